import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZipReader } from '../../../../../electron/services/zip/zipReader'
import { ZipWriter, prepareEntry, type PreparedEntry } from '../../../../../electron/services/zip/zipWriter'

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

  it('writes in batches: every entry reads back exactly, and onWritten comes once its bytes are in the file', async () => {
    const file = path.join(dir, 'batches.zip')
    const w = await ZipWriter.create(file)
    // Sizes around the 1 MiB batch: small ones filling batches, one just under, some over.
    const sizes = [10, 140_000, 1_048_575, 3, 1_048_576, 2_500_000, ...Array(30).fill(123_457), 0, 777]
    const data = sizes.map((n, k) => {
      const b = Buffer.allocUnsafe(n)
      for (let i = 0; i < n; i++) b[i] = (i * 31 + k) & 255
      return b
    })
    const copies = data.map((b) => Buffer.from(b))
    const fd = openSync(file, 'r')
    const onDisk: boolean[] = []
    try {
      for (let k = 0; k < data.length; k++) {
        const name = `images/ISIC_${String(k).padStart(7, '0')}.jpg`
        const at = w.offset + 30 + name.length
        const entry: PreparedEntry = prepareEntry(data[k], { compress: false })
        await w.addPrepared(name, entry, () => {
          const got = Buffer.alloc(sizes[k])
          readSync(fd, got, 0, sizes[k], at)
          onDisk[k] = got.equals(copies[k])
          // The caller reuses its buffer: the writer must not read it any more.
          data[k].fill(0xee)
        })
      }
      await w.close()
    } finally {
      closeSync(fd)
    }
    expect(onDisk).toEqual(sizes.map(() => true))
    expect((await stat(file)).size).toBe(w.offset)
    const r = await ZipReader.open(file)
    try {
      expect(r.entries.length).toBe(sizes.length)
      for (let k = 0; k < sizes.length; k++) expect((await r.read(r.entries[k])).equals(copies[k])).toBe(true)
    } finally {
      await r.close()
    }
  })

  it.runIf(existsSync('/dev/full'))(
    'a failed write fails every later call with its error, never calls onWritten, and abort still closes (skipped without /dev/full to fail the writes)',
    async () => {
      const w = await ZipWriter.create('/dev/full')
      const written: number[] = []
      const big = prepareEntry(Buffer.alloc(1_500_000, 1), { compress: false })
      // The first batch is written in the background; its failure shows at the next call.
      const first = await w
        .addPrepared('a.bin', big, () => written.push(1))
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      const second = await w
        .addPrepared('b.bin', big, () => written.push(2))
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      const err = first ?? second
      expect(err).toMatchObject({ code: 'ENOSPC' })
      await expect(w.addPrepared('c.bin', prepareEntry(Buffer.from('x')))).rejects.toBe(err)
      await w.abort()
      expect(written).toEqual([])
    },
  )

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
