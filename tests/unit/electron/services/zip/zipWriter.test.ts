import { mkdtemp, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZipReader } from '../../../../../electron/services/zip/zipReader'
import { ZipWriter, prepareEntry } from '../../../../../electron/services/zip/zipWriter'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'zipWriter-test-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('ZipWriter', () => {
  it('writes entries ZipReader reads back exactly, stored and deflated, non-ASCII names too', async () => {
    const file = path.join(dir, 'small.zip')
    const w = await ZipWriter.create(file)
    const a = Buffer.from('hello '.repeat(1000))
    const b = Buffer.from([0, 1, 2, 3, 255])
    await w.addBuffer('dir/a.txt', a)
    await w.addBuffer('b.bin', b, { compress: false })
    await w.addBuffer('ünïcødé/ISIC_0000001.png', b)
    await w.close()
    expect((await stat(file)).size).toBe(w.offset)
    const r = await ZipReader.open(file)
    try {
      expect(r.entries.map((e) => [e.name, e.method])).toEqual([
        ['dir/a.txt', 8],
        ['b.bin', 0],
        ['ünïcødé/ISIC_0000001.png', 8],
      ])
      expect((await r.read(r.entries[0])).equals(a)).toBe(true)
      expect((await r.read(r.entries[1])).equals(b)).toBe(true)
      expect((await r.read(r.entries[2])).equals(b)).toBe(true)
      expect((await r.readHead(r.entries[0], 10)).toString()).toBe('hello hell')
    } finally {
      await r.close()
    }
  })

  it('writes zip64 records when forced, and when there are 65,535 entries or more', async () => {
    const forced = path.join(dir, 'forced.zip')
    const w = await ZipWriter.create(forced, { forceZip64: true })
    await w.addBuffer('x.txt', Buffer.from('zip64 please'))
    await w.close()
    const r = await ZipReader.open(forced)
    expect((await r.read(r.entries[0])).toString()).toBe('zip64 please')
    await r.close()

    const many = path.join(dir, 'many.zip')
    const m = await ZipWriter.create(many)
    const e = prepareEntry(Buffer.from('same bytes, many names'))
    const n = 70_000
    for (let i = 0; i < n; i++) await m.addPrepared(`masks/ISIC_${String(i).padStart(7, '0')}.png`, e)
    await m.close()
    const z = await ZipReader.open(many)
    try {
      expect(z.entries.length).toBe(n)
      expect(z.entries[n - 1].name).toBe(`masks/ISIC_${String(n - 1).padStart(7, '0')}.png`)
      expect((await z.read(z.entries[n - 1])).toString()).toBe('same bytes, many names')
    } finally {
      await z.close()
    }
  })
})
