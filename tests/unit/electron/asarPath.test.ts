import { cpSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { beforeAll, describe, expect, it } from 'vitest'
import { asarUnpackedPath } from '../../../electron/services/fs/asarPath'
import { builtCli } from '../../support/builtCli'

describe('asarUnpackedPath', () => {
  it('maps a file inside app.asar to its unpacked copy (POSIX and Windows)', () => {
    expect(asarUnpackedPath('/opt/WSM Curator/resources/app.asar/out/main/chunks/w-1.js', path.posix)).toBe(
      '/opt/WSM Curator/resources/app.asar.unpacked/out/main/chunks/w-1.js',
    )
    expect(
      asarUnpackedPath(
        'C:\\Program Files\\WSM Curator\\resources\\app.asar\\out\\main\\chunks\\w-1.js',
        path.win32,
      ),
    ).toBe('C:\\Program Files\\WSM Curator\\resources\\app.asar.unpacked\\out\\main\\chunks\\w-1.js')
  })

  it('leaves paths outside an asar alone (CLI, tests, development runs)', () => {
    for (const p of ['/work/main/out/main/chunks/w.js', '/data/app.asarx/w.js', '/x/app.asar']) {
      expect(asarUnpackedPath(p, path.posix)).toBe(p)
    }
    expect(asarUnpackedPath('D:\\src\\out\\main\\w.js', path.win32)).toBe('D:\\src\\out\\main\\w.js')
  })
})

describe('the built mask-scan worker, unpacked', () => {
  // The worker chunk as electron-vite builds it, from the current sources (never a stale out/main).
  let chunks: string
  let built: string | undefined
  beforeAll(async () => {
    chunks = path.join(path.dirname(await builtCli()), 'chunks')
    built = readdirSync(chunks).find((f) => f.startsWith('maskScanWorker-'))
  }, 300_000)

  it('loads as an ES module from a folder with no package.json above it, as app.asar.unpacked is', async () => {
    expect(built, `no maskScanWorker chunk in ${chunks}`).toBeDefined()
    // The packaged layout: resources/app.asar.unpacked/out/main/chunks/<worker>, and no
    // package.json ("type": "module" stays inside app.asar): Node's syntax detection must load it.
    const resources = path.join(mkdtempSync(path.join(os.tmpdir(), 'wsm-asar-')), 'resources')
    const unpacked = path.join(resources, 'app.asar.unpacked', 'out', 'main', 'chunks')
    mkdirSync(unpacked, { recursive: true })
    cpSync(path.join(chunks, built!), path.join(unpacked, built!))
    const packedPath = path.join(resources, 'app.asar', 'out', 'main', 'chunks', built!)
    const file = asarUnpackedPath(packedPath)
    expect(file).toBe(path.join(unpacked, built!))
    const worker = new Worker(file, { workerData: {} })
    try {
      // An empty batch comes back only if the module ran (read as CommonJS it fails at its first import).
      const reply = await new Promise<unknown>((resolve, reject) => {
        worker.once('message', resolve)
        worker.once('error', reject)
        worker.postMessage({ type: 'batch', batch: 7, items: [] })
      })
      expect(reply).toEqual({ type: 'results', batch: 7, results: [] })
    } finally {
      await worker.terminate()
    }
  })
})
