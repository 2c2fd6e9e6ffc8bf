import { CodedError } from '../../../shared/api/errors'

/**
 * Pure parsing of the zip container structures (PKWARE APPNOTE 6.3): the end of central directory
 * record, the zip64 locator and record, and the central directory itself. No I/O here.
 */

export interface ZipEntry {
  /** Full path inside the zip, '/' separators. */
  name: string
  /** 0 = stored, 8 = deflate. */
  method: 0 | 8
  /** Plain numbers: zip64 sizes and offsets up to 2^53 are exact. */
  compressedSize: number
  uncompressedSize: number
  crc32: number
  localHeaderOffset: number
}

/** Everything `ZipReader.open` learns from the central directory: plain JSON data, for caching. */
export interface ZipIndex {
  /** Readable files only: no directories, unsafe or unsupported entries. Central directory order. */
  entries: ZipEntry[]
  /** Names that could escape an extraction folder (absolute, `..` segment, backslash): never readable. */
  unsafe: string[]
  /** Encrypted entries or compression methods other than stored/deflate: never readable. */
  unsupported: string[]
  /** Size of the zip file when the index was made. */
  fileSize: number
}

export const EOCD_SIG = 0x06054b50
export const EOCD_LEN = 22
/** EOCD plus the longest possible comment: the EOCD must start within this many bytes of the end. */
export const EOCD_SEARCH_LEN = EOCD_LEN + 0xffff
export const ZIP64_LOCATOR_SIG = 0x07064b50
export const ZIP64_LOCATOR_LEN = 20
export const ZIP64_EOCD_SIG = 0x06064b50
export const ZIP64_EOCD_LEN = 56
export const CD_SIG = 0x02014b50
export const CD_HEADER_LEN = 46
export const LOCAL_SIG = 0x04034b50
export const LOCAL_HEADER_LEN = 30

const MAX16 = 0xffff
const MAX32 = 0xffffffff
const FLAG_ENCRYPTED = 0x0001
const FLAG_UTF8 = 0x0800
const ZIP64_EXTRA_ID = 0x0001

/**
 * Reads an unsigned 64-bit little-endian value as a plain number, or -1 when it exceeds 2^53
 * (no real file is that large, so callers treat -1 as corruption).
 */
export function readUInt64LE(buf: Buffer, pos: number): number {
  const hi = buf.readUInt32LE(pos + 4)
  if (hi > 0x1fffff) return -1
  return hi * 0x100000000 + buf.readUInt32LE(pos)
}

// Plain byte arithmetic: measurably faster than Buffer#readUInt*LE in the central directory loop.
function u16(b: Buffer, p: number): number {
  return b[p] | (b[p + 1] << 8)
}

function u32(b: Buffer, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000
}

/**
 * Position of the end of central directory record in `tail` (the last bytes of the file), or -1.
 * Prefers a record whose comment ends exactly at the end of the file; otherwise accepts the last
 * one whose comment fits (some writers leave junk after the comment).
 */
export function findEocd(tail: Buffer): number {
  let fallback = -1
  for (let i = tail.length - EOCD_LEN; i >= 0; i--) {
    if (tail[i] !== 0x50 || tail[i + 1] !== 0x4b || tail[i + 2] !== 0x05 || tail[i + 3] !== 0x06) continue
    const end = i + EOCD_LEN + tail.readUInt16LE(i + 20)
    if (end === tail.length) return i
    if (end < tail.length && fallback < 0) fallback = i
  }
  return fallback
}

/** The fields of the EOCD record that matter; `0xFFFF`/`0xFFFFFFFF` mean "see the zip64 record". */
export interface EocdFields {
  diskNumber: number
  cdDisk: number
  count: number
  cdSize: number
  cdOffset: number
}

export function parseEocd(buf: Buffer, pos: number): EocdFields {
  return {
    diskNumber: buf.readUInt16LE(pos + 4),
    cdDisk: buf.readUInt16LE(pos + 6),
    count: buf.readUInt16LE(pos + 10),
    cdSize: buf.readUInt32LE(pos + 12),
    cdOffset: buf.readUInt32LE(pos + 16),
  }
}

/** True when some EOCD field is saturated and the real value must come from the zip64 record. */
export function eocdNeedsZip64(f: EocdFields): boolean {
  return f.count === MAX16 || f.cdSize === MAX32 || f.cdOffset === MAX32 || f.diskNumber === MAX16
}

/** Offset of the zip64 EOCD record named by a locator at `pos`, or -1 when there is no locator. */
export function parseZip64Locator(buf: Buffer, pos: number): number {
  if (pos < 0 || pos + ZIP64_LOCATOR_LEN > buf.length) return -1
  if (buf.readUInt32LE(pos) !== ZIP64_LOCATOR_SIG) return -1
  return readUInt64LE(buf, pos + 8)
}

/** The zip64 EOCD record at `pos`, or undefined when the signature is wrong or a value is absurd. */
export function parseZip64Eocd(buf: Buffer, pos: number): EocdFields | undefined {
  if (pos < 0 || pos + ZIP64_EOCD_LEN > buf.length) return undefined
  if (buf.readUInt32LE(pos) !== ZIP64_EOCD_SIG) return undefined
  const f: EocdFields = {
    diskNumber: buf.readUInt32LE(pos + 16),
    cdDisk: buf.readUInt32LE(pos + 20),
    count: readUInt64LE(buf, pos + 32),
    cdSize: readUInt64LE(buf, pos + 40),
    cdOffset: readUInt64LE(buf, pos + 48),
  }
  return f.count < 0 || f.cdSize < 0 || f.cdOffset < 0 ? undefined : f
}

/**
 * True for names that must never be read or extracted: empty, absolute (`/x`, `\x`, `C:x`),
 * containing a backslash or NUL, or with a `..` segment.
 */
export function isUnsafeName(name: string): boolean {
  if (name.length === 0) return true
  const c0 = name.charCodeAt(0)
  if (c0 === 0x2f || c0 === 0x5c) return true
  if (name.length >= 2 && name.charCodeAt(1) === 0x3a && (c0 | 0x20) >= 0x61 && (c0 | 0x20) <= 0x7a)
    return true
  if (name.includes('\\') || name.includes('\0')) return true
  if (name.includes('..')) {
    for (const segment of name.split('/')) if (segment === '..') return true
  }
  return false
}

export interface CentralDirectory {
  entries: ZipEntry[]
  unsafe: string[]
  unsupported: string[]
  /** Number of records parsed, directories included. */
  count: number
}

/**
 * The readable entries of a zip as columns: no object and no string per entry (43,885 entry objects
 * and their names cost more in allocation and garbage collection than reading the central directory).
 * Names stay as bytes in `nameBytes` (the central directory itself, or a cache file's blob) and are
 * decoded on demand (`entryName`); sizes and offsets are plain numbers in `columns`.
 */
export interface EntryTable {
  /** Readable entries (no directories, unsafe or unsupported ones), central directory order. */
  count: number
  /** Holds every name's bytes: entry i's name is `nameBytes[nameStart[i] .. nameEnd[i])`. */
  nameBytes: Uint8Array
  nameStart: Uint32Array
  nameEnd: Uint32Array
  /** 1 where the name is UTF-8 (general purpose flag bit 11), 0 where it is read as Latin-1. */
  utf8: Uint8Array
  /**
   * Column-major numbers, `stride` apart: method (0 stored, 8 deflate), compressed size, uncompressed
   * size, CRC-32 (unsigned), local header offset. Entry i's compressed size is `columns[stride + i]`.
   */
  columns: Float64Array
  stride: number
}

/** Column numbers of `EntryTable.columns`. */
export const COL_METHOD = 0
export const COL_COMPRESSED = 1
export const COL_UNCOMPRESSED = 2
export const COL_CRC = 3
export const COL_OFFSET = 4

/** The name of entry `i` of a table, decoded. */
export function entryName(t: EntryTable, i: number): string {
  const b = t.nameBytes
  const start = t.nameStart[i]
  const end = t.nameEnd[i]
  return t.utf8[i] === 1 ? utf8Slice(b, start, end) : latin1Slice(b, start, end)
}

/** Entry `i` of a table as an object (what `ZipReader.read` takes). */
export function entryAt(t: EntryTable, i: number): ZipEntry {
  const c = t.columns
  const s = t.stride
  return {
    name: entryName(t, i),
    method: c[i] as 0 | 8,
    compressedSize: c[s + i],
    uncompressedSize: c[2 * s + i],
    crc32: c[3 * s + i],
    localHeaderOffset: c[4 * s + i],
  }
}

/** A table of the given entries (for indexes made from entry objects: JSON, tests). */
export function tableOfEntries(entries: readonly ZipEntry[]): EntryTable {
  const count = entries.length
  const encoded = entries.map((e) => Buffer.from(e.name, 'utf8'))
  const nameBytes = Buffer.concat(encoded)
  const nameStart = new Uint32Array(count)
  const nameEnd = new Uint32Array(count)
  const columns = new Float64Array(5 * count)
  let at = 0
  for (let i = 0; i < count; i++) {
    const e = entries[i]
    nameStart[i] = at
    at += encoded[i].length
    nameEnd[i] = at
    columns[i] = e.method
    columns[count + i] = e.compressedSize
    columns[2 * count + i] = e.uncompressedSize
    columns[3 * count + i] = e.crc32 >>> 0
    columns[4 * count + i] = e.localHeaderOffset
  }
  return { count, nameBytes, nameStart, nameEnd, utf8: new Uint8Array(count).fill(1), columns, stride: count }
}

function utf8Slice(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8', start, end)
}

function latin1Slice(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1', start, end)
}

/**
 * `isUnsafeName` on a name's bytes, without decoding it. Equivalent for UTF-8 and Latin-1 names: every
 * character the rule looks at is ASCII, an ASCII byte is always that character in both encodings, and
 * no byte of a multi-byte UTF-8 sequence (or its replacement character) is ASCII.
 */
function isUnsafeBytes(b: Uint8Array, start: number, end: number): boolean {
  if (end === start) return true
  const c0 = b[start]
  if (c0 === 0x2f || c0 === 0x5c) return true
  if (end - start >= 2 && b[start + 1] === 0x3a && (c0 | 0x20) >= 0x61 && (c0 | 0x20) <= 0x7a) return true
  // A `..` segment: two dots between separators (or the ends).
  let segStart = start
  for (let p = start; p < end; p++) {
    const c = b[p]
    // Letters, digits and most punctuation: one comparison (this runs on every byte of every name).
    if (c > 0x2f) {
      if (c === 0x5c) return true
      continue
    }
    if (c === 0x2f) segStart = p + 1
    else if (c === 0) return true
    else if (c === 0x2e && p === segStart + 1 && b[segStart] === 0x2e && (p + 1 === end || b[p + 1] === 0x2f))
      return true
  }
  return false
}

/**
 * Parses a whole central directory (exactly `cd.length` bytes of records) in one loop, into columns
 * (see EntryTable; the table's names point into `cd`, which it keeps). Zip64 extra fields replace the
 * saturated sizes/offset. Throws `zip-corrupt` on a malformed record.
 */
export function parseEntryTable(
  cd: Buffer,
  zipPath: string,
): { table: EntryTable; unsafe: string[]; unsupported: string[]; count: number } {
  const unsafe: string[] = []
  const unsupported: string[] = []
  const end = cd.length
  // No record is shorter than its fixed header: an upper bound of the entry count.
  const stride = Math.floor(end / CD_HEADER_LEN)
  const columns = new Float64Array(5 * stride)
  const nameStart = new Uint32Array(stride)
  const nameEnd = new Uint32Array(stride)
  const utf8 = new Uint8Array(stride)
  let n = 0
  let count = 0
  let p = 0
  while (p < end) {
    if (p + CD_HEADER_LEN > end || u32(cd, p) !== CD_SIG) {
      throw new CodedError(
        'zip-corrupt',
        `${zipPath}: central directory record ${count} at +${p} is malformed (bad signature or cut short)`,
        zipPath,
      )
    }
    const rec = p
    const flags = u16(cd, p + 8)
    const method = u16(cd, p + 10)
    let compressedSize = u32(cd, p + 20)
    let uncompressedSize = u32(cd, p + 24)
    const nameLen = u16(cd, p + 28)
    const extraLen = u16(cd, p + 30)
    const commentLen = u16(cd, p + 32)
    let localHeaderOffset = u32(cd, p + 42)
    const nameStartAt = p + CD_HEADER_LEN
    const extraStart = nameStartAt + nameLen
    const next = extraStart + extraLen + commentLen
    if (next > end) {
      throw new CodedError(
        'zip-corrupt',
        `${zipPath}: central directory record ${count} runs past the end of the central directory`,
        zipPath,
      )
    }

    if (uncompressedSize === MAX32 || compressedSize === MAX32 || localHeaderOffset === MAX32) {
      // Zip64 extended information: only the saturated fields are present, in this order.
      // Without the extra field a 0xFFFFFFFF value is taken literally (read() verifies it anyway).
      const extraEnd = extraStart + extraLen
      let q = extraStart
      while (q + 4 <= extraEnd) {
        const id = u16(cd, q)
        const dataEnd = q + 4 + u16(cd, q + 2)
        if (dataEnd > extraEnd) break
        if (id === ZIP64_EXTRA_ID) {
          let r = q + 4
          if (uncompressedSize === MAX32 && r + 8 <= dataEnd) {
            uncompressedSize = readUInt64LE(cd, r)
            r += 8
          }
          if (compressedSize === MAX32 && r + 8 <= dataEnd) {
            compressedSize = readUInt64LE(cd, r)
            r += 8
          }
          if (localHeaderOffset === MAX32 && r + 8 <= dataEnd) localHeaderOffset = readUInt64LE(cd, r)
          // (a 4-byte disk number may follow; split archives are refused from the end record)
          if (uncompressedSize < 0 || compressedSize < 0 || localHeaderOffset < 0) {
            const name = cd.toString((flags & FLAG_UTF8) !== 0 ? 'utf8' : 'latin1', nameStartAt, extraStart)
            throw new CodedError(
              'zip-corrupt',
              `${zipPath}: central directory record for "${name}" has a zip64 size or offset beyond 2^53`,
              zipPath,
            )
          }
          break
        }
        q = dataEnd
      }
    }

    count++
    p = next
    if (isUnsafeBytes(cd, nameStartAt, extraStart)) {
      unsafe.push(cd.toString((flags & FLAG_UTF8) !== 0 ? 'utf8' : 'latin1', nameStartAt, extraStart))
    } else if (cd[extraStart - 1] === 0x2f) {
      continue // directory
    } else if ((flags & FLAG_ENCRYPTED) !== 0 || (method !== 0 && method !== 8)) {
      unsupported.push(cd.toString((flags & FLAG_UTF8) !== 0 ? 'utf8' : 'latin1', nameStartAt, extraStart))
    } else {
      nameStart[n] = nameStartAt
      nameEnd[n] = extraStart
      utf8[n] = (flags & FLAG_UTF8) !== 0 ? 1 : 0
      columns[n] = method
      columns[stride + n] = compressedSize
      columns[2 * stride + n] = uncompressedSize
      columns[3 * stride + n] = u32(cd, rec + 16)
      columns[4 * stride + n] = localHeaderOffset
      n++
    }
  }
  const table: EntryTable = { count: n, nameBytes: cd, nameStart, nameEnd, utf8, columns, stride }
  // Long names leave most of the capacity unused: keep it only when it is at most twice the need.
  return { table: n < stride / 2 ? compacted(table) : table, unsafe, unsupported, count }
}

/** A copy of a table whose arrays hold exactly its entries (stride = count). */
function compacted(t: EntryTable): EntryTable {
  const n = t.count
  const columns = new Float64Array(5 * n)
  for (let k = 0; k < 5; k++) columns.set(t.columns.subarray(k * t.stride, k * t.stride + n), k * n)
  return {
    count: n,
    nameBytes: t.nameBytes,
    nameStart: t.nameStart.slice(0, n),
    nameEnd: t.nameEnd.slice(0, n),
    utf8: t.utf8.slice(0, n),
    columns,
    stride: n,
  }
}

/**
 * Parses a whole central directory into entry objects (see parseEntryTable for the columns, which is
 * what opening a zip uses). Throws `zip-corrupt` on a malformed record.
 */
export function parseCentralDirectory(cd: Buffer, zipPath: string): CentralDirectory {
  const { table, unsafe, unsupported, count } = parseEntryTable(cd, zipPath)
  const entries = new Array<ZipEntry>(table.count)
  for (let i = 0; i < table.count; i++) entries[i] = entryAt(table, i)
  return { entries, unsafe, unsupported, count }
}
