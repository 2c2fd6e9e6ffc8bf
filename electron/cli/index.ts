import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { CodedError } from '../../shared/api/errors'
import { APP_VERSION } from '../appMeta'
import { createApiHandlers } from '../services/api'
import { Dataset, type DatasetSources } from '../services/dataset'
import { generateDemoDataset } from '../services/demo/demoDataset'
import { ensureDemoDataset } from '../services/demo/demoCache'
import { readWorkspaceSources } from '../services/workspaceConfig'
import { startServer } from '../serve/server'

const USAGE = `wsm-curator ${APP_VERSION} — curate ISIC_WSM weak segmentation maps

Usage:
  wsm-curator demo <dir>
      Write the demo dataset (images/, ISIC_WSM_labels.zip, truth/) into <dir>.
  wsm-curator serve [--workspace <dir> | --demo | --masks <zip|dir> --images <zip|dir>…] [--port N] [--open]
      Serve the app and its API on 127.0.0.1 only. Prints a URL carrying the access token.
  wsm-curator --version | --help
`

/** Exit codes: 0 success, 1 a problem in the data, 2 unusable arguments. */
export class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'demo':
        return await demoCommand(rest)
      case 'serve':
        return await serveCommand(rest)
      case '--version':
      case '-v':
        process.stdout.write(`${APP_VERSION}\n`)
        return 0
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(USAGE)
        return command === undefined ? 2 : 0
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`)
    }
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err)) {
      process.stderr.write(`wsm-curator: ${err.message}\n\n${USAGE}`)
      return 2
    }
    if (err instanceof CodedError) {
      process.stderr.write(`wsm-curator: [${err.code}] ${err.message}\n`)
      return 1
    }
    throw err
  }
}

async function demoCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} })
  if (positionals.length !== 1) throw new UsageError('demo takes one directory')
  const started = performance.now()
  const info = await generateDemoDataset(positionals[0])
  process.stdout.write(
    `wrote ${info.ids.length} demo pairs in ${Math.round(performance.now() - started)} ms\n` +
      `  masks:  ${info.masksZip}\n  images: ${info.imagesDir}\n  truth:  ${info.truthDir}\n`,
  )
  return 0
}

async function serveCommand(args: string[]): Promise<number> {
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(
      `wsm-curator: internal error: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`,
    )
    process.exitCode = 70
  },
)
