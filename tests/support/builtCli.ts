import { createHash } from 'node:crypto'
import { existsSync, promises as fsp } from 'node:fs'
import path from 'node:path'
import { MainConfigFactory, loadConfigFromFile } from 'electron-vite'
import { build } from 'vite'

const repo = path.resolve(import.meta.dirname, '../..')
const CACHE = path.join(repo, 'node_modules', '.cache')
const PREFIX = 'wsm-cli-build-'
/** What the bundle is made of: a change to any file here makes a new build. */
const SOURCE_DIRS = ['electron', 'shared']
const SOURCE_FILES = ['electron.vite.config.ts', 'package.json']

async function listFiles(dir: string, out: string[]): Promise<void> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) await listFiles(p, out)
    else if (entry.isFile()) out.push(p)
  }
}

/** A stamp of the sources: every file's path, size and modification time. */
async function sourceStamp(): Promise<string> {
  const files: string[] = SOURCE_FILES.map((f) => path.join(repo, f))
  for (const d of SOURCE_DIRS) await listFiles(path.join(repo, d), files)
  files.sort()
  const hash = createHash('sha256')
  for (const f of files) {
    const st = await fsp.stat(f)
    hash.update(`${path.relative(repo, f)}\0${st.size}\0${st.mtimeMs}\n`)
  }
  return hash.digest('hex').slice(0, 16)
}

/** electron-vite's real main config (the project's), with only the cli entry, into `outDir`. */
async function buildCli(outDir: string): Promise<void> {
  const loaded = await loadConfigFromFile({ mode: 'production', command: 'build' }, undefined, repo)
  const main = loaded.config.main as NonNullable<typeof loaded.config.main>
  const input = main.build?.rollupOptions?.input as Record<string, string>
  main.build = {
    ...main.build,
    outDir,
    emptyOutDir: true,
    rollupOptions: { ...main.build?.rollupOptions, input: { cli: input.cli } },
  }
  await build(
    await new MainConfigFactory(main, { configFile: false, logLevel: 'warn' }, { root: repo }).build(),
  )
}

let pending: Promise<string> | undefined

/**
 * The CLI bundle (`cli.js`, its worker chunk beside it) built from the current sources the way
 * `npm run build` builds it, for the tests that spawn the CLI: never a stale `out/main/cli.js`.
 * Built once per state of the sources, in node_modules/.cache (inside the project, so the bundle's
 * external dependencies resolve); test files running in parallel share it. Returns the cli.js path.
 */
export function builtCli(): Promise<string> {
  pending ??= (async () => {
    const stamp = await sourceStamp()
    const dir = path.join(CACHE, PREFIX + stamp)
    const cli = path.join(dir, 'cli.js')
    if (existsSync(cli)) return cli
    const tmp = `${dir}.tmp-${process.pid}`
    await buildCli(tmp)
    try {
      await fsp.rename(tmp, dir)
    } catch (err) {
      // Another test process finished the same build first: use it.
      if (!existsSync(cli)) throw err
      await fsp.rm(tmp, { recursive: true, force: true })
    }
    await removeOldBuilds(dir)
    return cli
  })()
  return pending
}

/** Builds of earlier sources, untouched for ten minutes (no test run is using them any more). */
async function removeOldBuilds(keep: string): Promise<void> {
  const cutoff = Date.now() - 10 * 60_000
  for (const name of await fsp.readdir(CACHE)) {
    const p = path.join(CACHE, name)
    if (!name.startsWith(PREFIX) || p === keep) continue
    const st = await fsp.stat(p).catch(() => null)
    if (st && st.mtimeMs < cutoff) await fsp.rm(p, { recursive: true, force: true })
  }
}
