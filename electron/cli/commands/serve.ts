import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { CodedError } from '../../../shared/api/errors'
import { createApiHandlers } from '../../services/api'
import { openDemoWorkspace } from '../../services/demo/demoCache'
import { CurationSession } from '../../services/session'
import { Workspace } from '../../services/workspace/workspace'
import { startServer } from '../../serve/server'
import { UsageError } from '../util'

/** `wsm-curator serve (--workspace <dir> | --demo) [--read-only] [--port N] [--open]` */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      workspace: { type: 'string' },
      demo: { type: 'boolean' },
      'read-only': { type: 'boolean' },
      port: { type: 'string' },
      open: { type: 'boolean' },
    },
  })
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port takes 0–65535')
  if ((values.workspace !== undefined) === (values.demo === true))
    throw new UsageError('serve needs --workspace <dir> or --demo')

  // The CLI bundle lives in out/main/; the renderer beside it in out/renderer/.
  const rendererDir = fileURLToPath(new URL('../renderer', import.meta.url))
  if (!existsSync(rendererDir))
    throw new CodedError('not-found', `the renderer is not built (${rendererDir}): run npm run build`)

  const options = { readOnly: values['read-only'] === true, ifLocked: 'fail' as const }
  const workspace = values.demo
    ? await openDemoWorkspace(undefined, options)
    : await Workspace.open(values.workspace!, options)
  let session = new CurationSession(workspace)
  // A browser has no native dialogs: paths are typed by the curator, who holds the token and runs
  // this process. Recent workspaces are those of this serve run.
  const recent: string[] = [workspace.dir]
  const server = await startServer({
    handlers: createApiHandlers({
      host: 'serve',
      session: () => session,
      setSession: (s) => {
        session = s
      },
      allowPath: () => true,
      recent: async () => [...recent],
      addRecent: async (dir) => {
        recent.splice(0, recent.length, dir, ...recent.filter((d) => d !== dir))
      },
    }),
    rendererDir,
    port,
  })
  process.stdout.write(
    `WSM Curator is serving ${workspace.dataset.size} pairs of ${workspace.dir}${workspace.readOnly ? ' (read-only)' : ''} at\n` +
      `  ${server.url}\n(127.0.0.1 only; the token in the URL is required. Ctrl-C stops.)\n`,
  )
  for (const notice of workspace.notices) process.stdout.write(`note: ${notice}\n`)
  if (values.open) openInBrowser(server.url)
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await server.close()
  await session.close()
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
