import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'vite'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** The child never scans: the scan worker's `?modulePath` import is stubbed out of its bundle. */
const stubModulePath: Plugin = {
  name: 'stub-module-path',
  enforce: 'pre',
  resolveId: (id) => (id.endsWith('?modulePath') ? '\0stub-module-path' : null),
  load: (id) => (id === '\0stub-module-path' ? 'export default ""' : null),
}

/**
 * Bundles `entry` into one ESM file a child process can run with plain `node` (the crash and kill
 * tests SIGKILL such children). The bundle lives inside the repository, in node_modules/.cache, so
 * its bare imports (better-sqlite3, sharp) resolve from node_modules. Returns the file and its
 * folder (remove the folder when done).
 */
export async function buildChildBundle(entry: string, name: string): Promise<{ file: string; dir: string }> {
  const dir = path.join(repo, 'node_modules', '.cache', `wsm-${name}-${process.pid}`)
  await build({
    configFile: false,
    logLevel: 'warn',
    plugins: [stubModulePath],
    build: {
      ssr: entry,
      outDir: dir,
      emptyOutDir: true,
      minify: false,
      rollupOptions: { output: { format: 'es', entryFileNames: `${name}.mjs` } },
    },
  })
  return { file: path.join(dir, `${name}.mjs`), dir }
}
