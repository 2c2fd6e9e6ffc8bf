import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * build/electron-builder.yml read and matched with the very libraries electron-builder uses
 * (app-builder-lib's js-yaml and minimatch), against the files `electron-vite build` wrote.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..')
const builderRequire = createRequire(createRequire(import.meta.url).resolve('app-builder-lib/package.json'))
const yaml = builderRequire('js-yaml') as { load(text: string): unknown }
const { minimatch } = builderRequire('minimatch') as {
  minimatch(p: string, pattern: string, opts?: { dot?: boolean }): boolean
}
const config = yaml.load(readFileSync(path.join(ROOT, 'build/electron-builder.yml'), 'utf8')) as {
  files: string[]
  asarUnpack: string[]
}

/** Whether electron-builder's `files` list packs this path (later patterns win; `!` excludes). */
function packed(rel: string): boolean {
  let inside = false
  for (const pattern of config.files) {
    if (pattern.startsWith('!')) {
      if (minimatch(rel, pattern.slice(1), { dot: true })) inside = false
    } else if (minimatch(rel, pattern, { dot: true })) inside = true
  }
  return inside
}

const built = existsSync(path.join(ROOT, 'out/main/main.js'))
const outFiles = built
  ? readdirSync(path.join(ROOT, 'out'), { recursive: true })
      .map((f) => path.posix.join('out', String(f).split(path.sep).join('/')))
      .filter((f) => !f.endsWith('/'))
  : []

describe('the packaged file list', () => {
  it('packs the entry, the preload, the renderer and package.json; never the CLI, benchmarks or maps', () => {
    expect(packed('out/main/main.js')).toBe(true)
    expect(packed('out/main/chunks/demoCache-abc.js')).toBe(true)
    expect(packed('out/preload/preload.cjs')).toBe(true)
    expect(packed('out/renderer/index.html')).toBe(true)
    expect(packed('out/renderer/assets/index-abc.js')).toBe(true)
    expect(packed('package.json')).toBe(true)
    expect(packed('out/main/cli.js')).toBe(false)
    expect(packed('out/main/bench.js')).toBe(false)
    expect(packed('out/bench/index.js')).toBe(false)
    expect(packed('out/main/chunks/demoCache-abc.js.map')).toBe(false)
    expect(packed('electron/main.ts')).toBe(false)
    expect(packed('tests/e2e/electron.spec.ts')).toBe(false)
  })

  it.skipIf(!built)(
    `packs every file out/main/main.js imports, and the built worker is unpacked${built ? '' : ' (skipped: no build; run npx electron-vite build)'}`,
    () => {
      const main = readFileSync(path.join(ROOT, 'out/main/main.js'), 'utf8')
      const imports = [...main.matchAll(/(?:from |import\()"(\.\/[^"]+)"/g)].map((m) =>
        path.posix.join('out/main', m[1]!),
      )
      expect(imports.length).toBeGreaterThan(0)
      for (const f of imports) {
        expect(outFiles).toContain(f)
        expect(packed(f)).toBe(true)
      }
      for (const name of ['maskScanWorker-', 'triageWorker-']) {
        const worker = outFiles.find((f) => f.startsWith(`out/main/chunks/${name}`))
        expect(worker).toBeDefined()
        expect(packed(worker!)).toBe(true)
        expect(config.asarUnpack.some((p) => minimatch(worker!, p))).toBe(true)
      }
    },
  )
})
