import { constants as bufferConstants } from 'node:buffer'
import { promises as fsp } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { promisify } from 'node:util'
import { constants as zlibConstants, crc32, inflateRaw, inflateRawSync } from 'node:zlib'
import { CodedError } from '../../../shared/api/errors'
import {
  EOCD_LEN,
  EOCD_SEARCH_LEN,
  LOCAL_HEADER_LEN,
  LOCAL_SIG,
  ZIP64_EOCD_LEN,
  ZIP64_LOCATOR_LEN,
  eocdNeedsZip64,
  entryAt,
  findEocd,
  isUnsafeName,
  parseEntryTable,
  parseEocd,
  parseZip64Eocd,
  parseZip64Locator,
  tableOfEntries,
  type EntryTable,
  type ZipEntry,
  type ZipIndex,
} from './zipFormat'

export type { CentralDirectory, EntryTable, ZipEntry, ZipIndex } from './zipFormat'
export { entryAt, entryName, isUnsafeName, parseCentralDirectory, parseEntryTable } from './zipFormat'

/** What `open` learns from the central directory: the readable entries as columns, and the rest. */
export interface TableIndex {
  table: EntryTable
  unsafe: string[]
  unsupported: string[]
  fileSize: number
}

/** Default ceiling for one entry's uncompressed size (and the inflate output bound). */
export const DEFAULT_MAX_ENTRY_BYTES = 512 * 1024 * 1024

/** Extra bytes read after the local header name in the hope of getting header + data in one read. */
const LOCAL_EXTRA_SLACK = 128

/**
 * Entries up to this uncompressed size are inflated synchronously: a zlib round trip through the
 * thread pool costs ~10x more than inflating a few KiB (mask PNGs), and the loop is blocked for well
 * under a millisecond. Larger entries use the async thread-pool inflate.
 */
const SYNC_INFLATE_MAX = 64 * 1024

const inflateRawAsync = promisify(inflateRaw)

/**
 * Random access to the entries of a read-only zip file (zip64 included). Opening reads only the
 * end of central directory (plus the zip64 locator and record) and the central directory; each
 * `read` reads one local header and that entry's data with positional reads on one file handle.
 * Every error thrown is a `CodedError` naming the zip (and the entry, as `zip!entry`).
 */
export class ZipReader {
  readonly path: string
  /** Size of the zip file when its index was read. */
  readonly fileSize: number
  readonly #fh: FileHandle
  #closed = false
  #table: EntryTable | undefined
  #index: ZipIndex | undefined
  readonly #unsafeNames: readonly string[]
  readonly #unsupportedNames: readonly string[]
  #byName: Map<string, ZipEntry> | undefined
  #unsupported: Set<string> | undefined

  private constructor(zipPath: string, fh: FileHandle, index: TableIndex | ZipIndex) {
    this.path = zipPath
    this.#fh = fh
    this.fileSize = index.fileSize
    this.#unsafeNames = index.unsafe
    this.#unsupportedNames = index.unsupported
    if ('table' in index) this.#table = index.table
    else this.#index = index
  }

  /**
   * The readable entries as columns (see EntryTable): what a caller addressing 43,885 entries by
   * position uses, without an object or a string per entry.
   */
  get table(): EntryTable {
    this.#table ??= tableOfEntries((this.#index as ZipIndex).entries)
    return this.#table
  }

  /** Names that could escape an extraction folder: never readable (see ZipIndex). */
  get unsafe(): readonly string[] {
    return this.#unsafeNames
  }

  /** Encrypted entries and unsupported compression methods: never readable (see ZipIndex). */
  get unsupported(): readonly string[] {
    return this.#unsupportedNames
  }

  /** The index as plain JSON data (entry objects made on first use). */
  get index(): ZipIndex {
    if (this.#index === undefined) {
      const t = this.#table as EntryTable
      const entries = new Array<ZipEntry>(t.count)
      for (let i = 0; i < t.count; i++) entries[i] = entryAt(t, i)
      this.#index = {
        entries,
        unsafe: [...this.#unsafeNames],
        unsupported: [...this.#unsupportedNames],
        fileSize: this.fileSize,
      }
    }
    return this.#index
  }

  /** Opens a zip, reading only its end records and central directory. */
  static async open(zipPath: string): Promise<ZipReader> {
    const fh = await openReadOnly(zipPath)
    try {
      const fileSize = await regularFileSize(fh, zipPath)
      const index = await readIndex(fh, zipPath, fileSize)
      return new ZipReader(zipPath, fh, index)
    } catch (err) {
      await fh.close().catch(() => undefined)
      throw toCodedError(err, zipPath, 'cannot read the zip index')
    }
  }

  /**
   * Reopens a zip from an index made earlier by `open` (e.g. cached as JSON) without reading the
   * central directory again. The file must still have the indexed size; content changes of the same
   * size are caught per entry by `read` (local header signature, name, sizes, CRC).
   */
  static async fromIndex(zipPath: string, index: ZipIndex): Promise<ZipReader> {
    if (!isIndexShaped(index)) {
      throw new CodedError('zip-corrupt', `${zipPath}: the cached zip index is malformed`, zipPath)
    }
    return ZipReader.#reopen(zipPath, index)
  }

  /** `fromIndex` for an index kept as columns (the index cache's form): no entry objects at all. */
  static async fromTable(zipPath: string, index: TableIndex): Promise<ZipReader> {
    return ZipReader.#reopen(zipPath, index)
  }

  static async #reopen(zipPath: string, index: TableIndex | ZipIndex): Promise<ZipReader> {
    const fh = await openReadOnly(zipPath)
    try {
      const fileSize = await regularFileSize(fh, zipPath)
      if (fileSize !== index.fileSize) {
        throw new CodedError(
          fileSize < index.fileSize ? 'zip-truncated' : 'zip-corrupt',
          `${zipPath}: the file is now ${fileSize} bytes but its cached index was made for ${index.fileSize} bytes`,
          zipPath,
        )
      }
      return new ZipReader(zipPath, fh, index)
    } catch (err) {
      await fh.close().catch(() => undefined)
      throw toCodedError(err, zipPath, 'cannot reopen the zip')
    }
  }

  /** Readable files only: directories, unsafe and unsupported entries are excluded. */
  get entries(): readonly ZipEntry[] {
    return this.index.entries
  }

  /** The readable file with this exact name (first one if the zip holds duplicates). */
  getEntry(name: string): ZipEntry | undefined {
    let map = this.#byName
    if (map === undefined) {
      map = new Map()
      const entries = this.index.entries
      // Backwards, so that the first of duplicate names wins with one Map operation per entry.
      for (let i = entries.length - 1; i >= 0; i--) map.set(entries[i].name, entries[i])
      this.#byName = map
    }
    return map.get(name)
  }

  /**
   * Reads and decompresses one entry, verifying the local header, the size and the CRC.
   * `maxBytes` refuses entries declaring a larger uncompressed size and bounds the inflate output.
   * Like zlib's results, the Buffer may be a view into a larger allocation: copy it before handing
   * its `.buffer` to anything that transfers whole ArrayBuffers.
   */
  async read(entry: ZipEntry, opts: { maxBytes?: number } = {}): Promise<Buffer> {
    const where = `${this.path}!${entry?.name}`
    try {
      const maxBytes =
        typeof opts.maxBytes === 'number' && opts.maxBytes >= 0 ? opts.maxBytes : DEFAULT_MAX_ENTRY_BYTES
      return await this.#read(entry, maxBytes, where)
    } catch (err) {
      throw toCodedError(err, where, 'cannot read the entry')
    }
  }

  /**
   * The first `bytes` bytes of an entry (fewer if it is shorter), for sniffing headers: reads the local
   * header and only as much data as needed (a partial inflate for deflated entries). Not CRC-checked
   * (the whole entry is not read); `read` verifies everything.
   */
  async readHead(entry: ZipEntry, bytes: number): Promise<Buffer> {
    const where = `${this.path}!${entry?.name}`
    try {
      const want = Math.max(0, Math.min(bytes, entry.uncompressedSize))
      // Deflate never expands by more than ~0.1% plus a few bytes per block; 2x + 1 KiB is ample.
      const take = entry.method === 0 ? want : Math.min(entry.compressedSize, want * 2 + 1024)
      const data = await this.#readData(entry, DEFAULT_MAX_ENTRY_BYTES, where, take)
      if (entry.method === 0 || want === 0) return data.subarray(0, want)
      let out: Buffer
      try {
        out = inflateRawSync(data, {
          finishFlush: zlibConstants.Z_SYNC_FLUSH,
          maxOutputLength: Math.min(entry.uncompressedSize + 1, bufferConstants.MAX_LENGTH),
        })
      } catch (err) {
        throw new CodedError(
          'zip-corrupt',
          `${where}: the deflate data is corrupt (${(err as Error)?.message ?? err})`,
          where,
        )
      }
      return out.subarray(0, want)
    } catch (err) {
      throw toCodedError(err, where, 'cannot read the entry')
    }
  }

  /** Closes the file handle (after pending reads finish). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#fh.close()
    } catch (err) {
      throw toCodedError(err, this.path, 'cannot close the zip')
    }
  }

  /**
   * Checks an entry against the index and its local header and returns its stored data, or only the
   * first `take` stored bytes when given.
   */
  async #readData(entry: ZipEntry, maxBytes: number, where: string, take?: number): Promise<Buffer> {
    if (this.#closed) throw new CodedError('io-error', `${where}: the zip reader is closed`, where)
    if (typeof entry?.name !== 'string' || isUnsafeName(entry.name)) {
      throw new CodedError('zip-unsafe-path', `${where}: unsafe entry name, refusing to read it`, where)
    }
    if (this.#isUnsupported(entry.name) || (entry.method !== 0 && entry.method !== 8)) {
      throw new CodedError(
        'zip-unsupported',
        `${where}: the entry is encrypted or uses an unsupported compression method`,
        where,
      )
    }
    const { compressedSize, uncompressedSize, localHeaderOffset: offset, method } = entry
    if (![compressedSize, uncompressedSize, offset].every((n) => Number.isSafeInteger(n) && n >= 0)) {
      throw new CodedError('zip-corrupt', `${where}: the entry has an invalid size or offset`, where)
    }
    if (uncompressedSize > maxBytes) {
      throw new CodedError(
        'zip-unsupported',
        `${where}: the entry is ${uncompressedSize} bytes uncompressed, more than the ${maxBytes}-byte limit`,
        where,
      )
    }
    const fileSize = this.fileSize
    if (offset + LOCAL_HEADER_LEN + compressedSize > fileSize) {
      throw new CodedError(
        'zip-truncated',
        `${where}: the entry (${compressedSize} bytes at offset ${offset}) runs past the end of the file (${fileSize} bytes)`,
        where,
      )
    }
    if (method === 0 && compressedSize !== uncompressedSize) {
      throw new CodedError(
        'zip-size-mismatch',
        `${where}: stored entry has compressed size ${compressedSize} but uncompressed size ${uncompressedSize}`,
        where,
      )
    }
    // Even a pathological deflate encoder (15-bit codes for every literal) stays under 2x; refuse more
    // so a lying central directory cannot make us read gigabytes for a small entry.
    if (method === 8 && compressedSize > 2 * uncompressedSize + 1024) {
      throw new CodedError(
        'zip-size-mismatch',
        `${where}: deflated size ${compressedSize} is impossible for ${uncompressedSize} uncompressed bytes`,
        where,
      )
    }

    // One read for the local header and (usually) the data; a second only if the local extra is long.
    const dataLen = take === undefined ? compressedSize : Math.min(take, compressedSize)
    const guess = LOCAL_HEADER_LEN + Buffer.byteLength(entry.name) + LOCAL_EXTRA_SLACK + dataLen
    let buf = await readAt(this.#fh, offset, Math.min(guess, fileSize - offset), where)
    if (buf.readUInt32LE(0) !== LOCAL_SIG) {
      throw new CodedError(
        'zip-corrupt',
        `${where}: no local file header at offset ${offset} (the central directory does not match the data)`,
        where,
      )
    }
    const headerLen = LOCAL_HEADER_LEN + buf.readUInt16LE(26) + buf.readUInt16LE(28)
    if (offset + headerLen + compressedSize > fileSize) {
      throw new CodedError(
        'zip-truncated',
        `${where}: the entry data (${compressedSize} bytes at offset ${offset + headerLen}) runs past the end of the file (${fileSize} bytes)`,
        where,
      )
    }
    if (headerLen + dataLen > buf.length) {
      buf = await readAt(this.#fh, offset, headerLen + dataLen, where)
    }
    const localFlags = buf.readUInt16LE(6)
    const localName = buf.toString(
      (localFlags & 0x0800) !== 0 ? 'utf8' : 'latin1',
      LOCAL_HEADER_LEN,
      LOCAL_HEADER_LEN + buf.readUInt16LE(26),
    )
    if (localName !== entry.name || buf.readUInt16LE(8) !== method) {
      throw new CodedError(
        'zip-corrupt',
        `${where}: the local header (name "${localName}", method ${buf.readUInt16LE(8)}) does not match the central directory`,
        where,
      )
    }
    return buf.subarray(headerLen, headerLen + dataLen)
  }

  async #read(entry: ZipEntry, maxBytes: number, where: string): Promise<Buffer> {
    const data = await this.#readData(entry, maxBytes, where)
    const { compressedSize, uncompressedSize, method } = entry

    let out: Buffer
    if (method === 0 || (compressedSize === 0 && uncompressedSize === 0)) {
      out = method === 0 ? data : Buffer.alloc(0)
    } else {
      try {
        // One byte over the declared size is enough to detect a lie, and bounds a bomb.
        // One output chunk of the declared size (+1 to detect a lie): no concatenation of 16 KiB chunks;
        // never more than the data could inflate to (deflate stays under 1032:1).
        const limit = Math.min(uncompressedSize + 1, bufferConstants.MAX_LENGTH)
        const opts = {
          maxOutputLength: limit,
          chunkSize: Math.max(64, Math.min(limit, compressedSize * 1032 + 1024)),
        }
        out =
          uncompressedSize <= SYNC_INFLATE_MAX
            ? inflateRawSync(data, opts)
            : await inflateRawAsync(data, opts)
      } catch (err) {
        if ((err as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE') {
          throw new CodedError(
            'zip-size-mismatch',
            `${where}: inflates to more than the declared ${uncompressedSize} bytes`,
            where,
          )
        }
        throw new CodedError(
          'zip-corrupt',
          `${where}: the deflate data is corrupt (${(err as Error)?.message ?? err})`,
          where,
        )
      }
    }
    if (out.length !== uncompressedSize) {
      throw new CodedError(
        'zip-size-mismatch',
        `${where}: ${out.length} bytes after decompression, the central directory declares ${uncompressedSize}`,
        where,
      )
    }
    const actual = crc32(out) >>> 0
    if (actual !== entry.crc32 >>> 0) {
      throw new CodedError(
        'zip-crc-mismatch',
        `${where}: CRC-32 is ${hex32(actual)}, the central directory declares ${hex32(entry.crc32)}`,
        where,
      )
    }
    return out
  }

  #isUnsupported(name: string): boolean {
    if (this.#unsupportedNames.length === 0) return false
    this.#unsupported ??= new Set(this.#unsupportedNames)
    return this.#unsupported.has(name)
  }
}

/** Reads the EOCD (and zip64 records) then the central directory: the only reads `open` makes. */
async function readIndex(fh: FileHandle, zipPath: string, fileSize: number): Promise<TableIndex> {
  if (fileSize < EOCD_LEN) {
    throw new CodedError('zip-corrupt', `${zipPath}: not a zip file (only ${fileSize} bytes)`, zipPath)
  }
  const tailStart = Math.max(0, fileSize - EOCD_SEARCH_LEN)
  const tail = await readAt(fh, tailStart, fileSize - tailStart, zipPath)
  const eocdPos = findEocd(tail)
  if (eocdPos < 0) {
    throw new CodedError(
      'zip-corrupt',
      `${zipPath}: no end of central directory record: not a zip file, or the file is truncated`,
      zipPath,
    )
  }
  let fields = parseEocd(tail, eocdPos)
  let zip64 = false
  // The central directory must end before this absolute offset (the zip64 record, or the EOCD).
  let cdLimit = tailStart + eocdPos

  const locatorPos = eocdPos - ZIP64_LOCATOR_LEN
  let z64Offset = -1
  if (locatorPos >= 0) z64Offset = parseZip64Locator(tail, locatorPos)
  else if (tailStart + locatorPos >= 0) {
    const loc = await readAt(fh, tailStart + locatorPos, ZIP64_LOCATOR_LEN, zipPath)
    z64Offset = parseZip64Locator(loc, 0)
  }
  if (z64Offset >= 0 && z64Offset + ZIP64_EOCD_LEN <= tailStart + locatorPos) {
    const rec =
      z64Offset >= tailStart
        ? tail.subarray(z64Offset - tailStart, z64Offset - tailStart + ZIP64_EOCD_LEN)
        : await readAt(fh, z64Offset, ZIP64_EOCD_LEN, zipPath)
    const z64 = parseZip64Eocd(rec, 0)
    if (z64) {
      fields = z64
      zip64 = true
      cdLimit = z64Offset
    }
  }
  if (!zip64 && eocdNeedsZip64(fields) && (fields.cdOffset === 0xffffffff || fields.cdSize === 0xffffffff)) {
    throw new CodedError(
      'zip-corrupt',
      `${zipPath}: the end record needs a zip64 end record, which is missing or invalid`,
      zipPath,
    )
  }
  if (fields.diskNumber !== 0 || fields.cdDisk !== 0) {
    throw new CodedError('zip-unsupported', `${zipPath}: split (multi-disk) zips are not supported`, zipPath)
  }
  const { cdOffset, cdSize } = fields
  if (cdOffset > cdLimit) {
    throw new CodedError(
      'zip-corrupt',
      `${zipPath}: the central directory offset ${cdOffset} lies outside the file (${fileSize} bytes)`,
      zipPath,
    )
  }
  if (cdOffset + cdSize > cdLimit) {
    throw new CodedError(
      'zip-truncated',
      `${zipPath}: the central directory (${cdSize} bytes at offset ${cdOffset}) runs past the end of the file (${fileSize} bytes)`,
      zipPath,
    )
  }
  const cd =
    cdOffset >= tailStart
      ? tail.subarray(cdOffset - tailStart, cdOffset - tailStart + cdSize)
      : await readAt(fh, cdOffset, cdSize, zipPath)
  const parsed = parseEntryTable(cd, zipPath)
  // Some old writers store the count modulo 65536 without zip64: accept that, nothing else.
  if (parsed.count !== fields.count && (zip64 || parsed.count % 0x10000 !== fields.count)) {
    throw new CodedError(
      'zip-corrupt',
      `${zipPath}: the central directory holds ${parsed.count} entries but the end record declares ${fields.count}`,
      zipPath,
    )
  }
  return { table: parsed.table, unsafe: parsed.unsafe, unsupported: parsed.unsupported, fileSize }
}

async function openReadOnly(zipPath: string): Promise<FileHandle> {
  try {
    return await fsp.open(zipPath, 'r')
  } catch (err) {
    throw toCodedError(err, zipPath, 'cannot open the zip')
  }
}

async function regularFileSize(fh: FileHandle, zipPath: string): Promise<number> {
  const stat = await fh.stat()
  if (!stat.isFile()) throw new CodedError('io-error', `${zipPath}: not a regular file`, zipPath)
  return stat.size
}

/** Positional read of exactly `len` bytes (looping over short reads); fewer bytes → `zip-truncated`. */
async function readAt(fh: FileHandle, pos: number, len: number, where: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len)
  let done = 0
  while (done < len) {
    const n = await fh.read(buf, done, len - done, pos + done).then(
      (r) => r.bytesRead,
      (err: unknown) => {
        throw toCodedError(err, where, `cannot read ${len} bytes at offset ${pos}`)
      },
    )
    if (n === 0) {
      throw new CodedError(
        'zip-truncated',
        `${where}: the file ended after ${pos + done} bytes while reading ${len} bytes at offset ${pos}`,
        where,
      )
    }
    done += n
  }
  return buf
}

function toCodedError(err: unknown, where: string, action: string): CodedError {
  if (err instanceof CodedError) return err
  const e = err as NodeJS.ErrnoException | undefined
  const detail = e?.code ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(err)
  return new CodedError('io-error', `${where}: ${action} (${detail})`, where)
}

function isIndexShaped(index: ZipIndex): boolean {
  return (
    typeof index === 'object' &&
    index !== null &&
    Array.isArray(index.entries) &&
    Array.isArray(index.unsafe) &&
    Array.isArray(index.unsupported) &&
    Number.isSafeInteger(index.fileSize) &&
    index.fileSize >= 0
  )
}

function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0')
}
