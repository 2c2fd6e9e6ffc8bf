/**
 * A streaming zip writer, linear in the number of entries (yazl measured quadratic at 43,885 entries):
 * each entry's local header and data are appended through a write buffer, the central directory is
 * kept as compact records and written at the end, with the zip64 end records when the entry count,
 * an offset or a size needs them (or when forced). Used by exports, by the benchmark and by tests to
 * generate ISIC_WSM-scale archives; it writes whatever name it is given (tests need unsafe ones too).
 *
 * Entries are written in batches of about 1 MiB (one gathered write of the callers' own buffers, no
 * copy), one batch in flight while the next is gathered: appending rarely waits for the disk. Batches
 * stay small so that their bytes are still in the CPU cache when the kernel copies them (4 MiB
 * batches, or the bytes copied into a staging buffer first, cost two to four times the kernel time
 * on the 2-core development machine).
 * An entry's data is therefore referenced after `addPrepared` resolves, until its batch is written:
 * `onWritten` says when.
 *
 * Output is deterministic: fixed DOS timestamp, no extra fields beyond zip64, UTF-8 flag only on
 * non-ASCII names.
 */
import { promises as fsp } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { crc32, deflateRawSync } from 'node:zlib'

const MAX16 = 0xffff
const MAX32 = 0xffffffff
/** A batch is written once it holds this many bytes. */
const FLUSH_BYTES = 1024 * 1024
/** 2020-01-01 00:00:00 as DOS date/time. */
const DOS_TIME = 0
const DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1

/** An entry's data already compressed (or stored), with its CRC: add the same bytes many times cheaply. */
export interface PreparedEntry {
  method: 0 | 8
  data: Uint8Array
  crc32: number
  uncompressedSize: number
}

/** Compresses (or stores) bytes once, for `addPrepared`. */
export function prepareEntry(
  bytes: Uint8Array,
  opts: { compress?: boolean; level?: number } = {},
): PreparedEntry {
  const compress = opts.compress ?? true
  return {
    method: compress ? 8 : 0,
    data: compress ? deflateRawSync(bytes, { level: opts.level ?? 6 }) : bytes,
    crc32: crc32(bytes) >>> 0,
    uncompressedSize: bytes.length,
  }
}

interface CdRecord {
  name: Buffer
  method: number
  crc: number
  csize: number
  usize: number
  offset: number
}

export class ZipWriter {
  readonly #fh: FileHandle
  readonly #forceZip64: boolean
  readonly #records: CdRecord[] = []
  /** The batch being gathered, and the callbacks to run once it is written. */
  #chunks: Uint8Array[] = []
  #buffered = 0
  #onWritten: (() => void)[] = []
  /** The batch being written (at most one), and where the next batch goes in the file. */
  #writing: Promise<void> | undefined
  #fileAt = 0
  /** Once a write failed, every later call fails with its error (the file is unusable). */
  #failed: unknown
  #offset = 0
  #closed = false

  private constructor(fh: FileHandle, forceZip64: boolean) {
    this.#fh = fh
    this.#forceZip64 = forceZip64
  }

  /**
   * Creates (or truncates) `file`. `forceZip64` writes zip64 records even when not needed;
   * `exclusive` fails (EEXIST) instead of truncating an existing file.
   */
  static async create(
    file: string,
    opts: { forceZip64?: boolean; exclusive?: boolean } = {},
  ): Promise<ZipWriter> {
    return new ZipWriter(await fsp.open(file, opts.exclusive ? 'wx' : 'w'), opts.forceZip64 ?? false)
  }

  /** Bytes written so far (the offset of the next entry). */
  get offset(): number {
    return this.#offset
  }

  get count(): number {
    return this.#records.length
  }

  async addBuffer(name: string, bytes: Uint8Array, opts: { compress?: boolean } = {}): Promise<void> {
    await this.addPrepared(name, prepareEntry(bytes, opts))
  }

  /**
   * Appends an entry (one call at a time). `e.data` must stay unchanged until `onWritten` is called,
   * once the batch holding it is written to the file (never, if the writer fails or is aborted).
   */
  async addPrepared(name: string, e: PreparedEntry, onWritten?: () => void): Promise<void> {
    if (this.#closed) throw new Error('ZipWriter is closed')
    if (this.#failed !== undefined) throw this.#failed
    // eslint-disable-next-line no-control-regex
    const ascii = /^[\x00-\x7f]*$/.test(name)
    const nameBytes = Buffer.from(name, ascii ? 'latin1' : 'utf8')
    const csize = e.data.length
    const usize = e.uncompressedSize
    const sizes64 = this.#forceZip64 || csize >= MAX32 || usize >= MAX32
    const extraLen = sizes64 ? 20 : 0
    const h = Buffer.alloc(30 + nameBytes.length + extraLen)
    h.writeUInt32LE(0x04034b50, 0)
    h.writeUInt16LE(sizes64 ? 45 : 20, 4)
    h.writeUInt16LE(ascii ? 0 : 0x0800, 6)
    h.writeUInt16LE(e.method, 8)
    h.writeUInt16LE(DOS_TIME, 10)
    h.writeUInt16LE(DOS_DATE, 12)
    h.writeUInt32LE(e.crc32 >>> 0, 14)
    h.writeUInt32LE(sizes64 ? MAX32 : csize, 18)
    h.writeUInt32LE(sizes64 ? MAX32 : usize, 22)
    h.writeUInt16LE(nameBytes.length, 26)
    h.writeUInt16LE(extraLen, 28)
    nameBytes.copy(h, 30)
    if (sizes64) {
      const x = 30 + nameBytes.length
      h.writeUInt16LE(0x0001, x)
      h.writeUInt16LE(16, x + 2)
      writeU64(h, x + 4, usize)
      writeU64(h, x + 12, csize)
    }
    this.#records.push({
      name: nameBytes,
      method: e.method,
      crc: e.crc32 >>> 0,
      csize,
      usize,
      offset: this.#offset,
    })
    this.#push(h)
    this.#push(e.data)
    if (onWritten) this.#onWritten.push(onWritten)
    if (this.#buffered >= FLUSH_BYTES) await this.#flush()
  }

  /**
   * Writes the central directory and end records, and closes the file; `sync` flushes it to the disk
   * (fsync) before closing.
   */
  async close(opts: { sync?: boolean } = {}): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      const cdOffset = this.#offset
      for (const r of this.#records) {
        const needU = this.#forceZip64 || r.usize >= MAX32
        const needC = this.#forceZip64 || r.csize >= MAX32
        const needO = this.#forceZip64 || r.offset >= MAX32
        const extraData = (needU ? 8 : 0) + (needC ? 8 : 0) + (needO ? 8 : 0)
        const extraLen = extraData > 0 ? 4 + extraData : 0
        const c = Buffer.alloc(46 + r.name.length + extraLen)
        c.writeUInt32LE(0x02014b50, 0)
        c.writeUInt16LE((3 << 8) | 45, 4) // made by Unix, 4.5
        c.writeUInt16LE(extraLen > 0 ? 45 : 20, 6)
        // eslint-disable-next-line no-control-regex
        c.writeUInt16LE(/^[\x00-\x7f]*$/.test(r.name.toString('latin1')) ? 0 : 0x0800, 8)
        c.writeUInt16LE(r.method, 10)
        c.writeUInt16LE(DOS_TIME, 12)
        c.writeUInt16LE(DOS_DATE, 14)
        c.writeUInt32LE(r.crc, 16)
        c.writeUInt32LE(needC ? MAX32 : r.csize, 20)
        c.writeUInt32LE(needU ? MAX32 : r.usize, 24)
        c.writeUInt16LE(r.name.length, 28)
        c.writeUInt16LE(extraLen, 30)
        // comment length, disk number, internal attributes: 0
        c.writeUInt32LE((0o100644 << 16) >>> 0, 38)
        c.writeUInt32LE(needO ? MAX32 : r.offset, 42)
        r.name.copy(c, 46)
        if (extraLen > 0) {
          let x = 46 + r.name.length
          c.writeUInt16LE(0x0001, x)
          c.writeUInt16LE(extraData, x + 2)
          x += 4
          if (needU) x = writeU64(c, x, r.usize)
          if (needC) x = writeU64(c, x, r.csize)
          if (needO) writeU64(c, x, r.offset)
        }
        this.#push(c)
        if (this.#buffered >= FLUSH_BYTES) await this.#flush()
      }
      const cdSize = this.#offset - cdOffset
      const count = this.#records.length
      const zip64 = this.#forceZip64 || count >= MAX16 || cdOffset >= MAX32 || cdSize >= MAX32
      if (zip64) {
        const z = Buffer.alloc(56 + 20)
        const at = this.#offset
        z.writeUInt32LE(0x06064b50, 0)
        writeU64(z, 4, 44)
        z.writeUInt16LE(45, 12)
        z.writeUInt16LE(45, 14)
        // disk numbers 0
        writeU64(z, 24, count)
        writeU64(z, 32, count)
        writeU64(z, 40, cdSize)
        writeU64(z, 48, cdOffset)
        z.writeUInt32LE(0x07064b50, 56)
        // disk with the zip64 end record: 0
        writeU64(z, 64, at)
        z.writeUInt32LE(1, 72)
        this.#push(z)
      }
      const e = Buffer.alloc(22)
      e.writeUInt32LE(0x06054b50, 0)
      e.writeUInt16LE(zip64 ? MAX16 : count, 8)
      e.writeUInt16LE(zip64 ? MAX16 : count, 10)
      e.writeUInt32LE(zip64 ? MAX32 : cdSize, 12)
      e.writeUInt32LE(zip64 ? MAX32 : cdOffset, 16)
      this.#push(e)
      await this.#flush()
      await this.#drain()
      if (opts.sync) await this.#fh.sync()
    } finally {
      await this.#fh.close()
    }
  }

  /** Closes the file without finishing it (no central directory): for a write being abandoned. */
  async abort(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#writing?.catch(() => undefined)
    this.#chunks = []
    this.#buffered = 0
    this.#onWritten = []
    await this.#fh.close()
  }

  #push(b: Uint8Array): void {
    this.#chunks.push(b)
    this.#buffered += b.byteLength
    this.#offset += b.byteLength
  }

  /** Starts writing the gathered batch, once the previous one is written. */
  async #flush(): Promise<void> {
    await this.#drain()
    if (this.#buffered === 0) return
    const chunks = this.#chunks
    const length = this.#buffered
    const callbacks = this.#onWritten
    this.#chunks = []
    this.#buffered = 0
    this.#onWritten = []
    const pos = this.#fileAt
    this.#fileAt += length
    const writing = writeAllAt(this.#fh, chunks, length, pos).then(
      () => {
        for (const f of callbacks) f()
      },
      (err: unknown) => {
        this.#failed ??= err
        throw err
      },
    )
    writing.catch(() => undefined) // observed by #drain
    this.#writing = writing
  }

  /** Waits for the batch being written; its error (or an earlier one) is thrown here. */
  async #drain(): Promise<void> {
    const writing = this.#writing
    this.#writing = undefined
    if (writing !== undefined) await writing
    if (this.#failed !== undefined) throw this.#failed
  }
}

/** One gathered write of `length` bytes at `pos`, continuing after short writes. */
async function writeAllAt(fh: FileHandle, chunks: Uint8Array[], length: number, pos: number): Promise<void> {
  let done = 0
  let rest = chunks
  while (done < length) {
    const { bytesWritten } = await fh.writev(rest, pos + done)
    if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' })
    done += bytesWritten
    if (done < length) {
      // Drop what was written: whole chunks, then the head of the next one.
      let skip = bytesWritten
      let i = 0
      while (i < rest.length && skip >= rest[i].byteLength) skip -= rest[i++].byteLength
      rest = rest.slice(i)
      if (skip > 0) rest[0] = rest[0].subarray(skip)
    }
  }
}

function writeU64(b: Buffer, at: number, v: number): number {
  b.writeUInt32LE(v % 0x100000000, at)
  b.writeUInt32LE(Math.floor(v / 0x100000000), at + 4)
  return at + 8
}
