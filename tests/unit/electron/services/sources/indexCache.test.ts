import { statSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, unlink, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dataset } from '../../../../../electron/services/dataset'
import { cacheFileFor } from '../../../../../electron/services/sources/indexCache'
import { openFileSource } from '../../../../../electron/services/sources/fileSource'
import {
  backdate,
  backdateTree,
  greyPng,
  jpeg,
  writeTree,
  writeZip,
  wsmMap,
} from '../../../../support/datasetFixtures'

let dir: string
const id = (n: number) => `ISIC_${String(n).padStart(7, '0')}`

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'indexCache-test-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function names(p: string, cacheDir: string) {
  const s = await openFileSource(p, { cacheDir })
  try {
    return { fromCache: s.fromCache, files: s.files.map((f) => f.name), refused: s.refused }
  } finally {
    await s.close()
  }
}

describe('zip index cache', () => {
  it('reuses the index while size and mtime match, rebuilds when either changes', async () => {
    const cache = path.join(dir, 'zip-cache')
    const mask = greyPng(wsmMap(20, 10))
    const zip = await writeZip(path.join(dir, 'a.zip'), [
      [`x/${id(1)}.png`, mask],
      [`x/${id(2)}.png`, mask, false],
      ['../bad.png', mask],
    ])
    const first = await names(zip, cache)
    expect(first.fromCache).toBe(false)
    const second = await names(zip, cache)
    expect(second).toEqual({ ...first, fromCache: true })
    expect(second.refused).toEqual([{ name: '../bad.png', code: 'zip-unsafe-path' }])

    // A cached reader reads entries exactly like a fresh one.
    const s = await openFileSource(zip, { cacheDir: cache })
    expect(s.fromCache).toBe(true)
    expect((await s.read(`x/${id(1)}.png`)).equals(mask)).toBe(true)
    expect((await s.read(`x/${id(2)}.png`)).equals(mask)).toBe(true)
    await s.close()

    // Same content, new mtime: a miss, then a hit again.
    const later = new Date(Date.now() + 5000)
    await utimes(zip, later, later)
    expect((await names(zip, cache)).fromCache).toBe(false)
    expect((await names(zip, cache)).fromCache).toBe(true)

    // New content (another size) with the old mtime forced back: still a miss (size differs).
    await writeZip(zip, [
      [`x/${id(1)}.png`, mask],
      [`x/${id(3)}.png`, mask],
      [`x/${id(4)}.png`, mask],
    ])
    await utimes(zip, later, later)
    const rebuilt = await names(zip, cache)
    expect(rebuilt.fromCache).toBe(false)
    expect(rebuilt.files).toEqual([`x/${id(1)}.png`, `x/${id(3)}.png`, `x/${id(4)}.png`])
  })

  it('treats a damaged cache file as a miss and rewrites it', async () => {
    const cache = path.join(dir, 'zip-cache-2')
    const zip = await writeZip(path.join(dir, 'b.zip'), [[`${id(1)}.png`, greyPng(wsmMap(8, 8))]])
    await names(zip, cache)
    const file = cacheFileFor(cache, 'zip', zip)
    for (const junk of [Buffer.from('WSMIDX1\n\xff\xff\xff\x7f', 'latin1'), Buffer.from('garbage')]) {
      await writeFile(file, junk)
      expect((await names(zip, cache)).fromCache).toBe(false)
      expect((await names(zip, cache)).fromCache).toBe(true)
    }
    // Atomic writes leave no temporary files behind.
    expect((await readdir(cache)).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
})

describe('zip index cache with a crafted header', () => {
  /** Rewrites the cache file's JSON header, keeping its payload. */
  async function rewriteHeader(file: string, change: (h: Record<string, unknown>) => void): Promise<void> {
    const buf = await readFile(file)
    const len = buf.readUInt32LE(8)
    const align8 = (n: number) => (n + 7) & ~7
    const header = JSON.parse(buf.toString('utf8', 12, 12 + len)) as Record<string, unknown>
    change(header)
    const json = Buffer.from(JSON.stringify(header), 'utf8')
    const payload = buf.subarray(align8(12 + len))
    const out = Buffer.alloc(align8(12 + json.length) + payload.length)
    buf.copy(out, 0, 0, 8)
    out.writeUInt32LE(json.length, 8)
    json.copy(out, 12)
    payload.copy(out, align8(12 + json.length))
    await writeFile(file, out)
  }

  it('ignores a negative or huge entry count (no RangeError) and rereads the zip', async () => {
    const cache = path.join(dir, 'crafted-cache')
    const mask = greyPng(wsmMap(8, 4))
    const zip = await writeZip(path.join(dir, 'crafted.zip'), [
      [`m/${id(1)}.png`, mask],
      [`m/${id(2)}.png`, mask],
    ])
    const first = await names(zip, cache)
    expect(first.fromCache).toBe(false)
    const file = cacheFileFor(cache, 'zip', zip)
    for (const count of [-1, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      await rewriteHeader(file, (h) => {
        expect(h.count).toBeTypeOf('number')
        h.count = count
      })
      const again = await names(zip, cache)
      expect(again).toEqual(first)
      // The reread wrote a good cache again.
      expect((await names(zip, cache)).fromCache).toBe(true)
    }
  })
})

describe('folder listing cache', () => {
  it('is valid while no directory of the tree changed; nested additions and removals are seen', async () => {
    const cache = path.join(dir, 'folder-cache')
    const root = await writeTree(path.join(dir, 'imgs'), [
      [`${id(1)}.jpg`, Buffer.from('a')],
      [`deep/er/${id(2)}.jpg`, Buffer.from('b')],
    ])
    await backdateTree(root)
    const first = await names(root, cache)
    expect(first).toMatchObject({ fromCache: false, files: [`${id(1)}.jpg`, `deep/er/${id(2)}.jpg`] })
    expect(await names(root, cache)).toEqual({ ...first, fromCache: true })

    // A file added two levels down changes only deep/er's mtime, not the root's.
    const rootMtimeBefore = statSync(root).mtimeMs
    await writeFile(path.join(root, `deep/er/${id(3)}.jpg`), 'c')
    expect(statSync(root).mtimeMs).toBe(rootMtimeBefore)
    const added = await names(root, cache)
    expect(added.fromCache).toBe(false)
    expect(added.files).toContain(`deep/er/${id(3)}.jpg`)

    // Fresh changes are racy: not cached until they are older than the racy window.
    expect((await names(root, cache)).fromCache).toBe(false)
    await backdateTree(root)
    await names(root, cache)
    expect((await names(root, cache)).fromCache).toBe(true)

    await unlink(path.join(root, `deep/er/${id(2)}.jpg`))
    const removed = await names(root, cache)
    expect(removed.fromCache).toBe(false)
    expect(removed.files).not.toContain(`deep/er/${id(2)}.jpg`)

    // A directory removed (or replaced) is a miss too.
    await backdateTree(root)
    await names(root, cache)
    await rm(path.join(root, 'deep'), { recursive: true })
    await backdate(root)
    expect(await names(root, cache)).toMatchObject({ fromCache: false, files: [`${id(1)}.jpg`] })
  })
})

describe('Dataset.open with a cacheDir', () => {
  it('reopens from the cache with the same pairs, and sees changes', async () => {
    const cache = path.join(dir, 'ds-cache')
    const mask = greyPng(wsmMap(30, 20))
    const masks = await writeZip(path.join(dir, 'ds', 'masks.zip'), [
      [`${id(1)}.png`, mask],
      [`${id(2)}.png`, mask],
    ])
    const images = await writeTree(path.join(dir, 'ds', 'images'), [[`${id(1)}.jpg`, await jpeg(30, 20)]])
    await backdateTree(images)
    const open = async () => {
      const ds = await Dataset.open({ masks, images: [images] }, { cacheDir: cache })
      const r = ds.report()
      const out = {
        cached: r.sources.map((s) => s.fromCache),
        pairs: ds.page(0, 10).items,
        alone: r.masksWithoutImage,
        counts: (await ds.openPair(0)).counts,
      }
      await ds.close()
      return out
    }
    const cold = await open()
    expect(cold.cached).toEqual([false, false])
    const warm = await open()
    expect(warm).toEqual({ ...cold, cached: [true, true] })

    await writeFile(path.join(images, `${id(2)}.jpg`), await jpeg(30, 20))
    await backdate(images)
    const changed = await open()
    expect(changed.cached).toEqual([true, false])
    expect(changed.pairs.map((p) => p.id)).toEqual([id(1), id(2)])
    expect(changed.alone).toEqual([])
  })
})
