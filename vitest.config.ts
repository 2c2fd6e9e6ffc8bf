import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { build, type Plugin } from 'vite'
import { defineConfig } from 'vitest/config'

/**
 * Vitest's stand-in for electron-vite's `?modulePath` imports (worker threads, which must be plain
 * JavaScript files): builds the imported TypeScript module the way electron-vite does (a Vite SSR
 * build, dependencies external) into a temporary folder, and resolves the import to that file.
 */
function modulePathForTests(): Plugin {
  const SUFFIX = '?modulePath'
  const built = new Map<string, Promise<string>>()
  const bundle = async (entry: string): Promise<string> => {
    const hash = createHash('sha256').update(entry).digest('hex').slice(0, 12)
    // One folder per process: test files run in parallel processes. Under the project's
    // node_modules, so that a worker's external packages (sharp for the triage worker) resolve.
    const outDir = path.join(
      process.cwd(),
      'node_modules',
      '.cache',
      'wsm-vitest-module-path',
      `${hash}-${process.pid}`,
    )
    // Removed when this test process exits (a later process builds its own).
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }))
    const name = path.basename(entry).replace(/\.[cm]?[jt]s$/, '') + '.mjs'
    await build({
      configFile: false,
      logLevel: 'warn',
      build: {
        ssr: entry,
        outDir,
        emptyOutDir: true,
        minify: false,
        rollupOptions: { output: { format: 'es', entryFileNames: name } },
      },
    })
    return path.join(outDir, name)
  }
  return {
    name: 'wsm:test-module-path',
    enforce: 'pre',
    async resolveId(id, importer) {
      if (!id.endsWith(SUFFIX)) return null
      const resolved = await this.resolve(id.slice(0, -SUFFIX.length), importer, { skipSelf: true })
      return resolved ? resolved.id + SUFFIX : null
    },
    async load(id) {
      if (!id.endsWith(SUFFIX)) return null
      const entry = id.slice(0, -SUFFIX.length)
      let file = built.get(entry)
      if (!file) {
        file = bundle(entry)
        built.set(entry, file)
      }
      return `export default ${JSON.stringify(await file)}`
    },
  }
}

export default defineConfig({
  plugins: [modulePathForTests()],
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/unit-report.json' },
  },
})
