import path from 'node:path'
import { build, defineConfig, type Plugin } from 'vite'

/**
 * The benchmarks' own build (`npm run bench`): a Vite SSR build of bench/index.ts into out/bench/,
 * dependencies external, apart from electron-vite's app build so nothing of it is ever packed into
 * the app.
 */
const root = path.resolve(import.meta.dirname, '..')

/**
 * electron-vite's `?modulePath` imports (worker threads, which must be plain JavaScript files) for
 * this build: the imported module is bundled on its own and emitted next to the bench bundle under
 * its own name, and the import resolves to that file's path.
 */
function modulePathForBench(): Plugin {
  const SUFFIX = '?modulePath'
  return {
    name: 'wsm:bench-module-path',
    apply: 'build',
    enforce: 'pre',
    async resolveId(id, importer) {
      if (!id.endsWith(SUFFIX)) return null
      const resolved = await this.resolve(id.slice(0, -SUFFIX.length), importer, { skipSelf: true })
      return resolved ? resolved.id + SUFFIX : null
    },
    async load(id) {
      if (!id.endsWith(SUFFIX)) return null
      const entry = id.slice(0, -SUFFIX.length)
      const name = path.basename(entry).replace(/\.[cm]?[jt]s$/, '') + '.js'
      const result = await build({
        configFile: false,
        root,
        logLevel: 'warn',
        publicDir: false,
        build: {
          ssr: entry,
          write: false,
          minify: false,
          rollupOptions: {
            output: { format: 'es', entryFileNames: name, chunkFileNames: `${name}-[hash].js` },
          },
        },
      })
      const outputs = Array.isArray(result) ? result : [result]
      for (const out of outputs) {
        if (!('output' in out)) throw new Error(`?modulePath: ${entry} gave no bundle`)
        for (const chunk of out.output) {
          this.emitFile({
            type: 'asset',
            fileName: chunk.fileName,
            source: chunk.type === 'chunk' ? chunk.code : chunk.source,
          })
        }
      }
      return `import { join } from 'node:path'\nexport default join(import.meta.dirname, ${JSON.stringify(name)})`
    },
  }
}

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  plugins: [modulePathForBench()],
  build: {
    ssr: path.join(root, 'bench/index.ts'),
    outDir: path.join(root, 'out/bench'),
    emptyOutDir: true,
    minify: false,
    // The worker files above are emitted as assets, which an SSR build drops unless told.
    ssrEmitAssets: true,
    // Every file at the top of out/bench/, where the worker paths above point.
    rollupOptions: {
      output: { format: 'es', entryFileNames: 'index.js', chunkFileNames: '[name]-[hash].js' },
    },
  },
})
