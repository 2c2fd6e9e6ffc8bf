import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { CodedError } from '../../../shared/api/errors'
import { createApiHandlers } from '../../services/api'
import { Dataset, type DatasetSources } from '../../services/dataset'
import { ensureDemoDataset } from '../../services/demo/demoCache'
import { readWorkspaceSources } from '../../services/workspaceConfig'
import { startServer } from '../../serve/server'
import { UsageError } from '../util'

/** `wsm-curator serve [--workspace <dir> | --demo | --masks … --images …] [--port N] [--open]` */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      workspace: { type: 'string' },
      demo: { type: 'boolean' },
      masks: { type: 'string' },
      images: { type: 'string', multiple: true },
      port: { type: 'string' },
      open: { type: 'boolean' },
    },
  })
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port takes 0–65535')
  const chosen = [values.workspace !== undefined, values.demo === true, values.masks !== undefined]
  if (chosen.filter(Boolean).length > 1) throw new UsageError('choose one of --workspace, --demo, --masks')

  let sources: DatasetSources | undefined
  if (values.demo) sources = await ensureDemoDataset()
  else if (values.workspace !== undefined) sources = await readWorkspaceSources(values.workspace)
  else if (values.masks !== undefined) {
    if (!values.images?.length) throw new UsageError('--masks needs at least one --images')
    sources = { masks: values.masks, images: values.images }
  }
  const dataset = sources ? await Dataset.open(sources) : undefined

  // The CLI bundle lives in out/main/; the renderer beside it in out/renderer/.
  const rendererDir = fileURLToPath(new URL('../renderer', import.meta.url))
  if (!existsSync(rendererDir))
    throw new CodedError('not-found', `the renderer is not built (${rendererDir}): run npm run build`)
  const server = await startServer({
    handlers: createApiHandlers({ host: 'serve', dataset: () => dataset }),
    rendererDir,
    port,
  })
  process.stdout.write(
    `WSM Curator is serving ${dataset ? `${dataset.size} pairs` : 'no dataset'} at\n  ${server.url}\n` +
      `(127.0.0.1 only; the token in the URL is required. Ctrl-C stops.)\n`,
  )
  if (values.open) openInBrowser(server.url)
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await server.close()
  await dataset?.close()
  return 0
}

function openInBrowser(url: string): void {
  const [cmd, cmdArgs] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]]
  const child = spawn(cmd, cmdArgs as string[], { detached: true, stdio: 'ignore' })
  child.on('error', () => process.stderr.write(`could not open a browser; open the URL above by hand\n`))
  child.unref()
}
