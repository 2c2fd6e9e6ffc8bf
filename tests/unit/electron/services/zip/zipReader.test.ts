import { mkdtemp, rm, utimes, writeFile, mkdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { buffer as streamToBuffer } from 'node:stream/consumers'
import { crc32 } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZipFile, type EndOptions } from 'yazl'
import { CodedError, type ErrorCode } from '../../../../../shared/api/errors'
import {
  ZipReader,
  entryAt,
  entryName,
  isUnsafeName,
  parseCentralDirectory,
  parseEntryTable,
  type ZipEntry,
  type ZipIndex,
} from '../../../../../electron/services/zip/zipReader'
import { openFileSource } from '../../../../../electron/services/sources/fileSource'
import { caught } from '../../../../support/datasetFixtures'

/**
 * A zip of stored entries written by hand, each name as the given bytes with or without the UTF-8
 * flag (yazl always flags non-ASCII names as UTF-8; old writers store CP437/Latin-1 bytes unflagged).
 */
function handZip(records: { name: Buffer; utf8: boolean; data: Buffer }[]): { zip: Buffer; cd: Buffer } {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const r of records) {
    const crc = crc32(r.data) >>> 0
    const flags = r.utf8 ? 0x0800 : 0
    // The fields both headers share, from "version needed" on: at 4 in the local one, 6 in the central.
    const shared = (h: Buffer, at: number) => {
      h.writeUInt16LE(10, at)
      h.writeUInt16LE(flags, at + 2)
      h.writeUInt32LE(crc, at + 10)
      h.writeUInt32LE(r.data.length, at + 14)
      h.writeUInt32LE(r.data.length, at + 18)
      h.writeUInt16LE(r.name.length, at + 22)
    }
    const lh = Buffer.alloc(30)
    lh.writeUInt32LE(0x04034b50, 0)
    shared(lh, 4)
    const ch = Buffer.alloc(46)
    ch.writeUInt32LE(0x02014b50, 0)
    ch.writeUInt16LE(20, 4)
    shared(ch, 6)
    ch.writeUInt32LE(offset, 42)
    locals.push(lh, r.name, r.data)
    centrals.push(ch, r.name)
    offset += 30 + r.name.length + r.data.length
  }
  const cd = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(records.length, 8)
  end.writeUInt16LE(records.length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(offset, 16)
  return { zip: Buffer.concat([...locals, cd, end]), cd }
}

const MTIME = new Date('2020-01-01T00:00:00Z')

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'zipReader-test-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

let fileCounter = 0
function tmpFile(label: string): string {
  return path.join(dir, `${String(fileCounter++).padStart(3, '0')}-${label}.zip`)
}

/** Deterministic bytes: a mix of repetitive text (compressible) and LCG noise. */
function content(seed: number, len: number, noisy = false): Buffer {
  const buf = Buffer.alloc(len)
  let x = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < len; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    buf[i] = noisy || i % 7 === 0 ? x >>> 24 : 0x61 + ((i + seed) % 13)
  }
  return buf
}

interface Spec {
  name: string
  data?: Buffer
  compress?: boolean
  zip64?: boolean
  dir?: boolean
  stream?: boolean
}

async function makeZip(
  label: string,
  specs: Spec[],
  end?: Partial<EndOptions>,
): Promise<{ file: string; buf: Buffer }> {
  const zip = new ZipFile()
  for (const s of specs) {
    if (s.dir) zip.addEmptyDirectory(s.name, { mtime: MTIME })
    else if (s.stream) {
      zip.addReadStream(Readable.from([s.data ?? Buffer.alloc(0)]), s.name, {
        mtime: MTIME,
        compress: s.compress ?? true,
        forceZip64Format: s.zip64 ?? false,
      })
    } else {
      zip.addBuffer(s.data ?? Buffer.alloc(0), s.name, {
        mtime: MTIME,
        compress: s.compress ?? true,
        forceZip64Format: s.zip64 ?? false,
      })
    }
  }
  zip.end(end as EndOptions)
  const buf = await streamToBuffer(zip.outputStream)
  const file = tmpFile(label)
  await writeFile(file, buf)
  return { file, buf }
}

async function writeZip(label: string, buf: Buffer): Promise<string> {
  const file = tmpFile(label)
  await writeFile(file, buf)
  return file
}

async function expectCode(
  p: Promise<unknown>,
  codes: ErrorCode | ErrorCode[],
  file: string,
): Promise<CodedError> {
  const err = await caught(p)
  expect([codes].flat()).toContain(err.code)
  expect(err.message).toContain(file)
  expect(err.file?.startsWith(file)).toBe(true)
  return err
}

const sig = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}

/** Offset of the central directory record for `name`. */
function cdRecord(buf: Buffer, name: string): number {
  const nameBytes = Buffer.from(name)
  for (let p = buf.indexOf(sig(0x02014b50)); p >= 0; p = buf.indexOf(sig(0x02014b50), p + 1)) {
    const n = buf.readUInt16LE(p + 28)
    if (buf.subarray(p + 46, p + 46 + n).equals(nameBytes)) return p
  }
  throw new Error(`no CD record for ${name}`)
}

/** Offset of the local header for `name`. */
function localHeader(buf: Buffer, name: string): number {
  return buf.readUInt32LE(cdRecord(buf, name) + 42)
}

function eocd(buf: Buffer): number {
  return buf.lastIndexOf(sig(0x06054b50))
}

/** Replaces every occurrence of `from` by `to` (same byte length): CD and local header alike. */
function patchName(buf: Buffer, from: string, to: string): number {
  const a = Buffer.from(from)
  const b = Buffer.from(to)
  expect(b.length).toBe(a.length)
  let count = 0
  for (let p = buf.indexOf(a); p >= 0; p = buf.indexOf(a, p + 1)) {
    b.copy(buf, p)
    count++
  }
  return count
}

describe('ZipReader: regular zips', () => {
  const files: Spec[] = [
    { name: 'top.txt', data: content(1, 5000) },
    { name: 'a/', dir: true },
    { name: 'a/b/', dir: true },
    { name: 'a/b/c/deep.bin', data: content(2, 3000, true), compress: false },
    { name: 'ISIC_WSM_labels/ISIC_0000000.png', data: content(3, 20000) },
    { name: 'empty.txt', data: Buffer.alloc(0) },
    { name: 'empty-stored.txt', data: Buffer.alloc(0), compress: false },
    { name: 'big/random.bin', data: content(4, 300_000, true) },
    { name: 'ünïcödé/名前.txt', data: content(5, 777) },
    { name: 'streamed/data.bin', data: content(6, 40_000), stream: true },
    { name: 'a/b/c/d/e/f/g/nested.txt', data: content(7, 123), compress: false },
  ]
  let file: string
  let reader: ZipReader

  beforeAll(async () => {
    ;({ file } = await makeZip('regular', files))
    reader = await ZipReader.open(file)
  })
  afterAll(async () => {
    await reader.close()
  })

  it('lists files only, in order, with the right metadata', () => {
    const expected = files.filter((s) => !s.dir)
    expect(reader.entries.map((e) => e.name)).toEqual(expected.map((s) => s.name))
    expect(reader.index.unsafe).toEqual([])
    expect(reader.index.unsupported).toEqual([])
    for (const s of expected) {
      const e = reader.getEntry(s.name)!
      expect(e.uncompressedSize).toBe(s.data!.length)
      expect(e.crc32).toBe(crc32(s.data!) >>> 0)
      expect(e.method).toBe(s.compress === false ? 0 : 8)
    }
    expect(reader.getEntry('a/')).toBeUndefined()
    expect(reader.getEntry('nope.txt')).toBeUndefined()
    expect(reader.path).toBe(file)
  })

  it('reads every entry back byte-identical, also concurrently', async () => {
    for (const s of files.filter((f) => !f.dir)) {
      expect((await reader.read(reader.getEntry(s.name)!)).equals(s.data!)).toBe(true)
    }
    const all = await Promise.all(reader.entries.map((e) => reader.read(e)))
    all.forEach((buf, i) => expect(crc32(buf) >>> 0).toBe(reader.entries[i].crc32))
  })

  it('refuses entries larger than maxBytes', async () => {
    const e = reader.getEntry('big/random.bin')!
    const err = await expectCode(reader.read(e, { maxBytes: 1000 }), 'zip-unsupported', file)
    expect(err.message).toContain('big/random.bin')
    expect(err.file).toBe(`${file}!big/random.bin`)
    expect((await reader.read(e, { maxBytes: 300_000 })).length).toBe(300_000)
  })

  it('round-trips its index through JSON (fromIndex)', async () => {
    const index = JSON.parse(JSON.stringify(reader.index)) as ZipIndex
    const again = await ZipReader.fromIndex(file, index)
    try {
      expect(again.entries).toEqual(reader.entries)
      for (const e of again.entries) expect((await again.read(e)).equals(await reader.read(e))).toBe(true)
    } finally {
      await again.close()
    }
  })
})

describe('ZipReader: duplicates', () => {
  it('keeps duplicate names in entries; getEntry returns the first', async () => {
    const { file } = await makeZip('dups', [
      { name: 'dup.txt', data: Buffer.from('first') },
      { name: 'other.txt', data: Buffer.from('other') },
      { name: 'dup.txt', data: Buffer.from('second') },
    ])
    const reader = await ZipReader.open(file)
    try {
      expect(reader.entries.map((e) => e.name)).toEqual(['dup.txt', 'other.txt', 'dup.txt'])
      expect((await reader.read(reader.getEntry('dup.txt')!)).toString()).toBe('first')
    } finally {
      await reader.close()
    }
  })
})

describe('ZipReader: zip64', () => {
  it('reads zip64 entries and a zip64 end record identically', async () => {
    const specs: Spec[] = [
      { name: 'z/one.bin', data: content(10, 10_000), zip64: true },
      { name: 'z/two.bin', data: content(11, 4000, true), zip64: true, compress: false },
      { name: 'plain.bin', data: content(12, 999) },
      { name: 'z/streamed.bin', data: content(13, 70_000), zip64: true, stream: true },
    ]
    const { file, buf } = await makeZip('zip64', specs, { forceZip64Format: true })
    expect(buf.indexOf(sig(0x06064b50))).toBeGreaterThan(0) // zip64 EOCD record present
    expect(buf.readUInt32LE(cdRecord(buf, 'z/one.bin') + 24)).toBe(0xffffffff) // sizes in the zip64 extra
    const reader = await ZipReader.open(file)
    try {
      expect(reader.entries.map((e) => e.name)).toEqual(specs.map((s) => s.name))
      for (const s of specs) {
        const e = reader.getEntry(s.name)!
        expect(e.uncompressedSize).toBe(s.data!.length)
        expect((await reader.read(e)).equals(s.data!)).toBe(true)
      }
    } finally {
      await reader.close()
    }
  })

  it('parses 64-bit sizes and offsets from the zip64 extra field', () => {
    const name = Buffer.from('huge/image.jpg')
    const rec = (fields: bigint[], saturate: { u: boolean; c: boolean; o: boolean }): Buffer => {
      const extra = Buffer.alloc(4 + 8 * fields.length)
      extra.writeUInt16LE(1, 0)
      extra.writeUInt16LE(8 * fields.length, 2)
      fields.forEach((v, i) => extra.writeBigUInt64LE(v, 4 + 8 * i))
      const h = Buffer.alloc(46)
      h.writeUInt32LE(0x02014b50, 0)
      h.writeUInt16LE(8, 10)
      h.writeUInt32LE(0x12345678, 16)
      h.writeUInt32LE(saturate.c ? 0xffffffff : 1000, 20)
      h.writeUInt32LE(saturate.u ? 0xffffffff : 2000, 24)
      h.writeUInt16LE(name.length, 28)
      h.writeUInt16LE(extra.length, 30)
      h.writeUInt32LE(saturate.o ? 0xffffffff : 3000, 42)
      return Buffer.concat([h, name, extra])
    }
    const cd = Buffer.concat([
      rec([6_000_000_000n, 5_000_000_000n, 2n ** 40n + 7n], { u: true, c: true, o: true }),
      rec([25_000_000_000n], { u: false, c: false, o: true }),
      rec([], { u: false, c: true, o: false }), // saturated without zip64 extra: taken literally
    ])
    const parsed = parseCentralDirectory(cd, 'synthetic.zip')
    expect(parsed.count).toBe(3)
    expect(
      parsed.entries.map(({ uncompressedSize, compressedSize, localHeaderOffset }) => [
        uncompressedSize,
        compressedSize,
        localHeaderOffset,
      ]),
    ).toEqual([
      [6_000_000_000, 5_000_000_000, 2 ** 40 + 7],
      [2000, 1000, 25_000_000_000],
      [2000, 0xffffffff, 3000],
    ])
    expect(parsed.entries[0].crc32).toBe(0x12345678)

    const tooBig = rec([2n ** 60n], { u: false, c: false, o: true })
    expect(() => parseCentralDirectory(tooBig, 'synthetic.zip')).toThrow(/synthetic\.zip/)
    expect(() => parseCentralDirectory(cd.subarray(0, cd.length - 3), 'synthetic.zip')).toThrow(CodedError)
  })

  it('counts more than 65,535 entries (zip64 end record)', async () => {
    // yazl is quadratic in the entry count, so this zip is written by hand: stored entries,
    // zip64 end record + locator, 0xFFFF in the classic end record.
    const n = 70_000
    const nameOf = (i: number): string => `n/${String(i).padStart(6, '0')}.png` // 12 bytes
    const localLen = 30 + 12 + 2
    const cdLen = 46 + 12
    const body = Buffer.alloc(n * (localLen + cdLen))
    const cd = body.subarray(n * localLen)
    for (let i = 0; i < n; i++) {
      const lh = i * localLen
      const ch = i * cdLen
      body.writeUInt8(i & 0xff, lh + 42)
      body.writeUInt8((i >> 8) & 0xff, lh + 43)
      const crc = crc32(body.subarray(lh + 42, lh + 44)) >>> 0
      body.writeUInt32LE(0x04034b50, lh)
      body.writeUInt16LE(10, lh + 4)
      body.writeUInt32LE(crc, lh + 14)
      body.writeUInt32LE(2, lh + 18)
      body.writeUInt32LE(2, lh + 22)
      body.writeUInt16LE(12, lh + 26)
      body.write(nameOf(i), lh + 30, 'latin1')
      cd.writeUInt32LE(0x02014b50, ch)
      cd.writeUInt16LE(45, ch + 4)
      cd.writeUInt16LE(10, ch + 6)
      cd.writeUInt32LE(crc, ch + 16)
      cd.writeUInt32LE(2, ch + 20)
      cd.writeUInt32LE(2, ch + 24)
      cd.writeUInt16LE(12, ch + 28)
      cd.writeUInt32LE(lh, ch + 42)
      cd.write(nameOf(i), ch + 46, 'latin1')
    }
    const offset = n * localLen
    const z64 = Buffer.alloc(56)
    z64.writeUInt32LE(0x06064b50, 0)
    z64.writeBigUInt64LE(44n, 4)
    z64.writeUInt16LE(45, 12)
    z64.writeUInt16LE(45, 14)
    z64.writeBigUInt64LE(BigInt(n), 24)
    z64.writeBigUInt64LE(BigInt(n), 32)
    z64.writeBigUInt64LE(BigInt(cd.length), 40)
    z64.writeBigUInt64LE(BigInt(offset), 48)
    const loc = Buffer.alloc(20)
    loc.writeUInt32LE(0x07064b50, 0)
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8)
    loc.writeUInt32LE(1, 16)
    const end = Buffer.alloc(22)
    end.writeUInt32LE(0x06054b50, 0)
    end.writeUInt16LE(0xffff, 8)
    end.writeUInt16LE(0xffff, 10)
    end.writeUInt32LE(cd.length, 12)
    end.writeUInt32LE(offset, 16)
    const file = await writeZip('many', Buffer.concat([body, z64, loc, end]))

    const reader = await ZipReader.open(file)
    try {
      expect(reader.entries.length).toBe(n)
      const last = reader.getEntry(nameOf(n - 1))!
      expect([...(await reader.read(last))]).toEqual([(n - 1) & 0xff, ((n - 1) >> 8) & 0xff])
      expect([...(await reader.read(reader.entries[65_791]))]).toEqual([0xff, 0x00]) // entry 0x100FF
    } finally {
      await reader.close()
    }

    // A wrong count in the zip64 record is corruption.
    z64.writeBigUInt64LE(BigInt(n - 1), 32)
    const bad = await writeZip('many-badcount', Buffer.concat([body, z64, loc, end]))
    await expectCode(ZipReader.open(bad), 'zip-corrupt', bad)
  })
})

describe('ZipReader: unsafe and unsupported entries', () => {
  it('lists unsafe names and never reads them', async () => {
    const patches: [string, string][] = [
      ['aa/x.png', '../x.png'],
      ['xabs.png', '/abs.png'],
      ['abcd.png', 'C:\\d.png'],
      ['dir_evil.png', 'dir\\evil.png'],
      ['a/xx/b.png', 'a/../b.png'],
      ['up/xx', 'up/..'],
    ]
    const { buf } = await makeZip('unsafe-src', [
      ...patches.map(([safe], i) => ({ name: safe, data: content(20 + i, 100) })),
      { name: 'ok/fine.png', data: content(30, 100) },
      { name: 'ok/..hidden..png', data: content(31, 100) },
    ])
    for (const [safe, evil] of patches) expect(patchName(buf, safe, evil)).toBe(2) // CD + local header
    const file = await writeZip('unsafe', buf)
    const reader = await ZipReader.open(file)
    try {
      expect(reader.index.unsafe).toEqual(patches.map(([, evil]) => evil))
      expect(reader.entries.map((e) => e.name)).toEqual(['ok/fine.png', 'ok/..hidden..png'])
      expect((await reader.read(reader.getEntry('ok/fine.png')!)).equals(content(30, 100))).toBe(true)
      for (const [safe, evil] of patches) {
        expect(reader.getEntry(evil)).toBeUndefined()
        const p = cdRecord(buf, evil)
        const forged: ZipEntry = {
          name: evil,
          method: 8,
          compressedSize: buf.readUInt32LE(p + 20),
          uncompressedSize: buf.readUInt32LE(p + 24),
          crc32: buf.readUInt32LE(p + 16),
          localHeaderOffset: buf.readUInt32LE(p + 42),
        }
        const err = await expectCode(reader.read(forged), 'zip-unsafe-path', file)
        expect(err.message).toContain(evil)
        expect(safe).not.toBe(evil)
      }
    } finally {
      await reader.close()
    }
  })

  it('classifies names', () => {
    for (const bad of [
      '',
      '/x',
      '\\x',
      '\\\\server\\x',
      'C:\\x',
      'c:x',
      '..',
      '../x',
      'a/..',
      'a/../b',
      'a\\b',
      'a\0b',
    ])
      expect(isUnsafeName(bad), bad).toBe(true)
    for (const ok of [
      'x',
      'a/b',
      'a/b/',
      '..a',
      'a..',
      'a/...',
      'a/.b',
      'ISIC_WSM_labels/ISIC_0000000.png',
      'ab:c',
    ])
      expect(isUnsafeName(ok), ok).toBe(false)
  })

  it('classifies names from their bytes exactly as isUnsafeName does, UTF-8 and Latin-1 alike', () => {
    const pieces = ['a', 'é', '名', '.', '..', '/', '\\', ':', 'C', '\0', '..x', 'x..']
    let seed = 11
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
    const names = ['', '/x', '..', 'a/..', 'a/../b', 'C:x', 'c:\\x', 'a\0b', 'a/b/', '..a', 'a/...', 'ab:c']
    for (let k = 0; k < 3000; k++) {
      let name = ''
      const parts = 1 + Math.floor(next() * 5)
      for (let p = 0; p < parts; p++) name += pieces[Math.floor(next() * pieces.length)]
      names.push(name)
    }
    for (const utf8 of [true, false]) {
      // Latin-1 records hold only names that fit in Latin-1.
      const used = utf8 ? names : names.filter((n) => [...n].every((c) => c.charCodeAt(0) <= 0xff))
      const { cd } = handZip(
        used.map((n) => ({ name: Buffer.from(n, utf8 ? 'utf8' : 'latin1'), utf8, data: Buffer.alloc(0) })),
      )
      const { table, unsafe, count } = parseEntryTable(cd, 'names.zip')
      expect(count).toBe(used.length)
      expect(unsafe).toEqual(used.filter(isUnsafeName))
      const readable = used.filter((n) => !isUnsafeName(n) && !n.endsWith('/'))
      expect(Array.from({ length: table.count }, (_, i) => entryName(table, i))).toEqual(readable)
      expect(parseCentralDirectory(cd, 'names.zip').entries.map((e) => e.name)).toEqual(readable)
    }
  })

  it('decodes unflagged names as Latin-1 and flagged ones as UTF-8; reads both; the index cache keeps them', async () => {
    const records = [
      { name: Buffer.from('caf\xe9/ISIC_0000001.png', 'latin1'), utf8: false, data: Buffer.from('latin') },
      { name: Buffer.from('café/ISIC_0000002.png', 'utf8'), utf8: true, data: Buffer.from('utf-8') },
      { name: Buffer.from('plain/ISIC_0000003.png'), utf8: false, data: Buffer.from('ascii') },
    ]
    const file = await writeZip('latin1', handZip(records).zip)
    const reader = await ZipReader.open(file)
    try {
      expect(reader.table.count).toBe(3)
      expect([0, 1, 2].map((i) => entryName(reader.table, i))).toEqual([
        'café/ISIC_0000001.png',
        'café/ISIC_0000002.png',
        'plain/ISIC_0000003.png',
      ])
      for (let i = 0; i < 3; i++) {
        expect(reader.entries[i]).toEqual(entryAt(reader.table, i))
        expect((await reader.read(entryAt(reader.table, i))).equals(records[i].data)).toBe(true)
      }
    } finally {
      await reader.close()
    }
    const cacheDir = path.join(dir, 'latin1-cache')
    const backdated = new Date(Date.now() - 3600_000)
    await utimes(file, backdated, backdated)
    for (const fromCache of [false, true]) {
      const source = await openFileSource(file, { cacheDir })
      try {
        expect(source.fromCache).toBe(fromCache)
        expect(source.names).toEqual([
          'café/ISIC_0000001.png',
          'café/ISIC_0000002.png',
          'plain/ISIC_0000003.png',
        ])
        expect(source.nameAt(0)).toBe('café/ISIC_0000001.png')
        expect((await source.read('café/ISIC_0000001.png')).toString()).toBe('latin')
        expect((await source.readAt(1)).toString()).toBe('utf-8')
      } finally {
        await source.close()
      }
    }
  })

  it('keeps no spare capacity for long names: the columns hold exactly the entries', async () => {
    const names = Array.from(
      { length: 40 },
      (_, i) => `${'deep/'.repeat(30)}ISIC_${String(i).padStart(7, '0')}.png`,
    )
    const records = names.map((n, i) => ({
      name: Buffer.from(n),
      utf8: false,
      data: Buffer.from(`mask ${i}`),
    }))
    const short = parseEntryTable(
      handZip([{ name: Buffer.from('a'), utf8: false, data: Buffer.alloc(1) }]).cd,
      's',
    )
    expect(short.table.stride).toBe(1)
    const file = await writeZip('long-names', handZip(records).zip)
    const reader = await ZipReader.open(file)
    try {
      expect(reader.table.count).toBe(40)
      expect(reader.table.stride).toBe(40)
      expect(reader.table.columns.length).toBe(5 * 40)
      for (let i = 0; i < 40; i++) {
        expect(entryName(reader.table, i)).toBe(names[i])
        expect((await reader.read(entryAt(reader.table, i))).toString()).toBe(`mask ${i}`)
      }
    } finally {
      await reader.close()
    }
  })

  it('lists encrypted entries and unknown methods as unsupported and refuses them', async () => {
    const { buf } = await makeZip('unsupported-src', [
      { name: 'enc.bin', data: content(40, 100), compress: false },
      { name: 'bz2.bin', data: content(41, 100), compress: false },
      { name: 'fine.bin', data: content(42, 100), compress: false },
    ])
    const enc = cdRecord(buf, 'enc.bin')
    buf.writeUInt16LE(buf.readUInt16LE(enc + 8) | 1, enc + 8)
    const bz = cdRecord(buf, 'bz2.bin')
    buf.writeUInt16LE(12, bz + 10)
    buf.writeUInt16LE(12, localHeader(buf, 'bz2.bin') + 8)
    const file = await writeZip('unsupported', buf)
    const reader = await ZipReader.open(file)
    try {
      expect(reader.index.unsupported).toEqual(['enc.bin', 'bz2.bin'])
      expect(reader.entries.map((e) => e.name)).toEqual(['fine.bin'])
      const forged: ZipEntry = {
        name: 'enc.bin',
        method: 0,
        compressedSize: 100,
        uncompressedSize: 100,
        crc32: buf.readUInt32LE(enc + 16),
        localHeaderOffset: buf.readUInt32LE(enc + 42),
      }
      await expectCode(reader.read(forged), 'zip-unsupported', file)
      await expectCode(reader.read({ ...forged, name: 'bz2.bin' }), 'zip-unsupported', file)
      await expectCode(reader.read({ ...forged, name: 'fine.bin', method: 12 as 0 }), 'zip-unsupported', file)
    } finally {
      await reader.close()
    }
  })
})

describe('ZipReader: damaged files', () => {
  const specs: Spec[] = [
    { name: 'first/deflated.txt', data: content(50, 20_000) },
    { name: 'first/stored.bin', data: content(51, 5000, true), compress: false },
    { name: 'zeros.bin', data: Buffer.alloc(100_000) },
    { name: 'zeros-big.bin', data: Buffer.alloc(2_000_000) },
    { name: 'last/stored.bin', data: content(52, 3000, true), compress: false },
  ]
  let good: Buffer
  beforeAll(async () => {
    ;({ buf: good } = await makeZip('damaged-src', specs))
  })

  /** Opens a patched copy and reads `name`. */
  async function readPatched(label: string, patch: (b: Buffer) => void, name: string) {
    const b = Buffer.from(good)
    patch(b)
    const file = await writeZip(label, b)
    const reader = await ZipReader.open(file)
    try {
      const entry = reader.getEntry(name)!
      expect(entry).toBeDefined()
      const settled = await reader.read(entry).then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      )
      const result = settled.ok ? Promise.resolve(settled.value) : Promise.reject(settled.error)
      result.catch(() => undefined)
      return { file, result }
    } finally {
      await reader.close()
    }
  }

  it('tail cut off (no end record) → zip-corrupt', async () => {
    for (const cut of [1, 10, 22, good.length >> 1]) {
      const file = await writeZip('cut', good.subarray(0, good.length - cut))
      await expectCode(ZipReader.open(file), 'zip-corrupt', file)
    }
  })

  it('central directory offset past the end → zip-corrupt; directory running past it → zip-truncated', async () => {
    const pastEnd = Buffer.from(good)
    pastEnd.writeUInt32LE(good.length + 1000, eocd(pastEnd) + 16)
    const f1 = await writeZip('cd-past-end', pastEnd)
    await expectCode(ZipReader.open(f1), 'zip-corrupt', f1)

    const tooLong = Buffer.from(good)
    tooLong.writeUInt32LE(tooLong.readUInt32LE(eocd(tooLong) + 12) + 1000, eocd(tooLong) + 12)
    const f2 = await writeZip('cd-too-long', tooLong)
    await expectCode(ZipReader.open(f2), 'zip-truncated', f2)

    const badSig = Buffer.from(good)
    badSig.writeUInt32LE(badSig.readUInt32LE(eocd(badSig) + 16) + 1, eocd(badSig) + 16)
    badSig.writeUInt32LE(badSig.readUInt32LE(eocd(badSig) + 12) - 1, eocd(badSig) + 12)
    const f3 = await writeZip('cd-bad-sig', badSig)
    await expectCode(ZipReader.open(f3), 'zip-corrupt', f3)
  })

  it('entry claiming data past the end of the file → zip-truncated', async () => {
    const { file, result } = await readPatched(
      'entry-past-end',
      (b) => {
        const p = cdRecord(b, 'last/stored.bin')
        b.writeUInt32LE(10_000_000, p + 20)
        b.writeUInt32LE(10_000_000, p + 24)
      },
      'last/stored.bin',
    )
    const err = await expectCode(result, 'zip-truncated', file)
    expect(err.message).toContain('last/stored.bin')
  })

  it('flipped byte in stored data → zip-crc-mismatch', async () => {
    const { file, result } = await readPatched(
      'flip-stored',
      (b) => {
        const lh = localHeader(b, 'first/stored.bin')
        b[lh + 30 + b.readUInt16LE(lh + 26) + b.readUInt16LE(lh + 28) + 100] ^= 0x55
      },
      'first/stored.bin',
    )
    await expectCode(result, 'zip-crc-mismatch', file)
  })

  it('flipped byte in deflated data → crc, size or corrupt error', async () => {
    for (const offsetInData of [5, 200, 1000]) {
      const { file, result } = await readPatched(
        'flip-deflated',
        (b) => {
          const lh = localHeader(b, 'first/deflated.txt')
          b[lh + 30 + b.readUInt16LE(lh + 26) + b.readUInt16LE(lh + 28) + offsetInData] ^= 0xff
        },
        'first/deflated.txt',
      )
      await expectCode(result, ['zip-crc-mismatch', 'zip-corrupt', 'zip-size-mismatch'], file)
    }
  })

  it('wrong CRC in the central directory → zip-crc-mismatch', async () => {
    const { file, result } = await readPatched(
      'bad-crc',
      (b) => {
        const p = cdRecord(b, 'first/deflated.txt')
        b.writeUInt32LE(b.readUInt32LE(p + 16) ^ 1, p + 16)
      },
      'first/deflated.txt',
    )
    await expectCode(result, 'zip-crc-mismatch', file)
  })

  it('declared size different from the inflated size → zip-size-mismatch', async () => {
    for (const delta of [-10, -1, 1, 10]) {
      const { file, result } = await readPatched(
        'bad-size',
        (b) => {
          const p = cdRecord(b, 'first/deflated.txt')
          b.writeUInt32LE(b.readUInt32LE(p + 24) + delta, p + 24)
        },
        'first/deflated.txt',
      )
      await expectCode(result, 'zip-size-mismatch', file)
    }
  })

  it('bomb: declared size far below the inflated size stops inflating → zip-size-mismatch', async () => {
    const { file, result } = await readPatched(
      'bomb',
      (b) => b.writeUInt32LE(1000, cdRecord(b, 'zeros.bin') + 24),
      'zeros.bin',
    )
    const err = await expectCode(result, 'zip-size-mismatch', file)
    expect(err.message).toContain('zeros.bin')
    // Same through the async (thread pool) inflate used for larger entries.
    const big = await readPatched(
      'bomb-big',
      (b) => b.writeUInt32LE(200_000, cdRecord(b, 'zeros-big.bin') + 24),
      'zeros-big.bin',
    )
    await expectCode(big.result, 'zip-size-mismatch', big.file)
  })

  it('local header missing or not matching the central directory → zip-corrupt', async () => {
    const r1 = await readPatched(
      'no-local',
      (b) => b.writeUInt32LE(0, localHeader(b, 'first/stored.bin')),
      'first/stored.bin',
    )
    await expectCode(r1.result, 'zip-corrupt', r1.file)
    const r2 = await readPatched(
      'local-name',
      (b) => {
        const lh = localHeader(b, 'first/stored.bin')
        b.write('F', lh + 30)
      },
      'first/stored.bin',
    )
    await expectCode(r2.result, 'zip-corrupt', r2.file)
  })

  it('not a zip, empty file, missing file, directory', async () => {
    const noise = await writeZip('noise', content(60, 100_000, true))
    await expectCode(ZipReader.open(noise), 'zip-corrupt', noise)
    const empty = await writeZip('empty', Buffer.alloc(0))
    await expectCode(ZipReader.open(empty), 'zip-corrupt', empty)
    const missing = path.join(dir, 'does-not-exist.zip')
    await expectCode(ZipReader.open(missing), 'io-error', missing)
    const folder = path.join(dir, 'a-folder.zip')
    await mkdir(folder)
    await expectCode(ZipReader.open(folder), 'io-error', folder)
  })

  it('fromIndex notices a changed file size; read after close is an io-error', async () => {
    const file = await writeZip('resized', good)
    const reader = await ZipReader.open(file)
    const index = JSON.parse(JSON.stringify(reader.index)) as ZipIndex
    const entry = reader.entries[0]
    await reader.close()
    await reader.close() // idempotent
    await expectCode(reader.read(entry), 'io-error', file)

    await writeFile(file, Buffer.concat([good, Buffer.alloc(10)]))
    await expectCode(ZipReader.fromIndex(file, index), 'zip-corrupt', file)
    await writeFile(file, good.subarray(0, good.length - 10))
    await expectCode(ZipReader.fromIndex(file, index), 'zip-truncated', file)
    await expectCode(ZipReader.fromIndex(file, { entries: 'x' } as unknown as ZipIndex), 'zip-corrupt', file)
    const gone = path.join(dir, 'gone.zip')
    await expectCode(ZipReader.fromIndex(gone, index), 'io-error', gone)
  })
})
