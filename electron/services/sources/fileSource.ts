import { closeSync, constants as fsConstants, openSync, promises as fsp, readSync } from 'node:fs'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import { ZipReader, entryAt, entryName, type EntryTable, type ZipEntry } from '../zip/zipReader'
import {
  loadFolderListing,
  loadZipTable,
  mtimeNsOf,
  saveFolderListing,
  saveZipTable,
  type DirStamp,
} from './indexCache'

/** One file a source holds: its path inside the source ('/' separators) and its stored size. */
export interface SourceFile {
  name: string
  /** Uncompressed size for zip entries; -1 for folder files (not stat-ed when listing). */
  size: number
}

/**
 * Where one file of a source lives, as plain data (structured-clonable): enough for another thread
 * to read it on its own (see readLocated), without the source object or its listing.
 */
export type SourceLocation =
  { kind: 'zip'; zipPath: string; fileSize: number; entry: ZipEntry } | { kind: 'folder'; path: string }

/**
 * A read-only container of files: a folder or a zip. Sources are never written; every read is
 * of one file, never of the whole container.
 *
 * Files are addressed by name, or by position in `names` (the `…At` methods: no lookup at all, what
 * Dataset uses for 43,885 pairs). Name lookups build a name → position map on first use.
 */
export interface FileSource {
  readonly kind: 'zip' | 'folder'
  readonly path: string
  /**
   * The readable files' paths ('/' separators): central directory order for a zip, code-point order for
   * a folder. A zip source makes this array on first use: by position, use `count` and `nameAt`.
   */
  readonly names: readonly string[]
  /** Number of readable files (`names.length`). */
  readonly count: number
  /** `names[i]`, without making the array of every name. */
  nameAt(i: number): string
  /**
   * A zip source's names as bytes (see EntryTable: UTF-8 or Latin-1 per entry), for parsing names
   * without decoding them; undefined for a folder.
   */
  readonly nameTable?: EntryTable
  /** The same files with their sizes (made on first use). */
  readonly files: readonly SourceFile[]
  /** True when the listing came from the index cache (no central directory read, no folder listing). */
  readonly fromCache: boolean
  /** Entries never readable (zip only): unsafe names and encrypted/unsupported entries, by name. */
  readonly refused: readonly RefusedEntry[]
  read(name: string, maxBytes?: number): Promise<Buffer>
  /** Up to `bytes` bytes from the start of a file (headers), without reading the rest when possible. */
  readHead(name: string, bytes: number): Promise<Buffer>
  /** The file's location as plain data, for reads from a worker thread. */
  locate(name: string): SourceLocation
  /** `zip!entry` or the file's absolute path: the name used in messages. */
  describe(name: string): string
  readAt(i: number, maxBytes?: number): Promise<Buffer>
  readHeadAt(i: number, bytes: number): Promise<Buffer>
  locateAt(i: number): SourceLocation
  close(): Promise<void>
}

/** A zip entry that is listed in the central directory but never read. */
export interface RefusedEntry {
  name: string
  code: 'zip-unsafe-path' | 'zip-unsupported'
}

export interface OpenSourceOptions {
  /** Folder of the index cache (see indexCache.ts); no caching when absent. */
  cacheDir?: string
}

/** Default ceiling for one file read (a 6000×4000 JPEG is ~10 MB; a mask PNG well under 1 MB). */
export const MAX_FILE_BYTES = 512 * 1024 * 1024

export async function openFileSource(sourcePath: string, opts: OpenSourceOptions = {}): Promise<FileSource> {
  const abs = path.resolve(sourcePath)
  let stat
  try {
    stat = await fsp.stat(abs)
  } catch (err) {
    throw new CodedError('io-error', `cannot open ${abs}: ${(err as NodeJS.ErrnoException).code ?? err}`, abs)
  }
  if (stat.isDirectory()) return FolderSource.open(abs, opts.cacheDir, stat.nlink)
  return ZipSource.open(abs, opts.cacheDir)
}

/** Name lookups of a source: a map built on first use (most callers address files by position). */
abstract class Positional {
  abstract readonly names: readonly string[]
  abstract readonly path: string
  abstract readonly count: number
  #positions: Map<string, number> | undefined

  protected positionOf(name: string): number {
    let map = this.#positions
    if (map === undefined) {
      map = new Map()
      // Backwards: the first of duplicate names wins.
      for (let i = this.names.length - 1; i >= 0; i--) map.set(this.names[i], i)
      this.#positions = map
    }
    const i = map.get(name)
    if (i === undefined)
      throw new CodedError('not-found', `${name} is not in ${this.path}`, this.describe(name))
    return i
  }

  protected checkPosition(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.count)
      throw new CodedError('not-found', `no file at position ${i} in ${this.path}`, this.path)
  }

  abstract describe(name: string): string
  abstract readAt(i: number, maxBytes?: number): Promise<Buffer>
  abstract readHeadAt(i: number, bytes: number): Promise<Buffer>
  abstract locateAt(i: number): SourceLocation

  read(name: string, maxBytes?: number): Promise<Buffer> {
    return this.readAt(this.positionOf(name), maxBytes)
  }

  readHead(name: string, bytes: number): Promise<Buffer> {
    return this.readHeadAt(this.positionOf(name), bytes)
  }

  locate(name: string): SourceLocation {
    return this.locateAt(this.positionOf(name))
  }
}

class ZipSource extends Positional implements FileSource {
  readonly kind = 'zip' as const
  readonly refused: readonly RefusedEntry[]
  readonly count: number
  #names: string[] | undefined
  #files: SourceFile[] | undefined

  /** The reader and its entries as columns (fresh from the central directory or from the index cache). */
  private constructor(
    private readonly zip: ZipReader,
    readonly fromCache: boolean,
    refused: { unsafe: readonly string[]; unsupported: readonly string[] },
  ) {
    super()
    this.count = zip.table.count
    this.refused = [
      ...refused.unsafe.map((name) => ({ name, code: 'zip-unsafe-path' as const })),
      ...refused.unsupported.map((name) => ({ name, code: 'zip-unsupported' as const })),
    ]
  }

  get path(): string {
    return this.zip.path
  }

  get nameTable(): EntryTable {
    return this.zip.table
  }

  get names(): readonly string[] {
    if (this.#names === undefined) {
      const t = this.zip.table
      const names = new Array<string>(t.count)
      for (let i = 0; i < t.count; i++) names[i] = entryName(t, i)
      this.#names = names
    }
    return this.#names
  }

  nameAt(i: number): string {
    this.checkPosition(i)
    return this.#names?.[i] ?? entryName(this.zip.table, i)
  }

  get files(): readonly SourceFile[] {
    this.#files ??= this.names.map((name, i) => ({ name, size: this.entryAt(i).uncompressedSize }))
    return this.#files
  }

  static async open(zipPath: string, cacheDir: string | undefined): Promise<ZipSource> {
    const stamp = cacheDir === undefined ? undefined : await mtimeNsOf(zipPath).catch(() => undefined)
    if (cacheDir !== undefined && stamp) {
      const cached = await loadZipTable(cacheDir, zipPath, stamp)
      if (cached) {
        const reader = await ZipReader.fromTable(zipPath, cached).catch(() => undefined)
        if (reader) return new ZipSource(reader, true, cached)
      }
    }
    const reader = await ZipReader.open(zipPath)
    const refused = { unsafe: [...reader.unsafe], unsupported: [...reader.unsupported] }
    // Stamped before the index was read: a zip rewritten meanwhile is re-read next time.
    if (cacheDir !== undefined && stamp && stamp.size === reader.fileSize) {
      await saveZipTable(cacheDir, zipPath, stamp, {
        table: reader.table,
        ...refused,
        fileSize: reader.fileSize,
      })
    }
    return new ZipSource(reader, false, refused)
  }

  private entryAt(i: number): ZipEntry {
    this.checkPosition(i)
    return entryAt(this.zip.table, i)
  }

  async readAt(i: number, maxBytes = MAX_FILE_BYTES): Promise<Buffer> {
    return this.zip.read(this.entryAt(i), { maxBytes })
  }

  async readHeadAt(i: number, bytes: number): Promise<Buffer> {
    return this.zip.readHead(this.entryAt(i), bytes)
  }

  locateAt(i: number): SourceLocation {
    return { kind: 'zip', zipPath: this.zip.path, fileSize: this.zip.fileSize, entry: this.entryAt(i) }
  }

  describe(name: string): string {
    return `${this.zip.path}!${name}`
  }

  close(): Promise<void> {
    return this.zip.close()
  }
}

class FolderSource extends Positional implements FileSource {
  readonly kind = 'folder' as const
  readonly refused: readonly RefusedEntry[] = []
  #files: SourceFile[] | undefined

  private constructor(
    readonly path: string,
    readonly names: readonly string[],
    readonly fromCache: boolean,
  ) {
    super()
  }

  get count(): number {
    return this.names.length
  }

  nameAt(i: number): string {
    this.checkPosition(i)
    return this.names[i]
  }

  get files(): readonly SourceFile[] {
    this.#files ??= this.names.map((name) => ({ name, size: -1 }))
    return this.#files
  }

  /** `links`: the root's link count, from the stat that found it a directory (see listFolder). */
  static async open(root: string, cacheDir: string | undefined, links: number): Promise<FolderSource> {
    if (cacheDir !== undefined) {
      const cached = await loadFolderListing(cacheDir, root)
      if (cached) return new FolderSource(root, cached, true)
    }
    const startedNs = BigInt(Date.now()) * 1_000_000n
    const { files, dirs } = await listFolder(root, links)
    if (cacheDir !== undefined) {
      // Every directory's mtime, taken after the listing: a change during the listing makes its
      // directory racy (modified after startedNs), and a racy listing is not cached.
      const stamps = await Promise.all(
        ['', ...dirs].map(async (rel): Promise<DirStamp | undefined> => {
          const s = await mtimeNsOf(path.join(root, rel)).catch(() => undefined)
          return s?.isDir ? { rel, mtimeNs: s.mtimeNs } : undefined
        }),
      )
      if (stamps.every((s) => s !== undefined)) {
        await saveFolderListing(cacheDir, root, files, stamps as DirStamp[], startedNs)
      }
    }
    return new FolderSource(root, files, false)
  }

  private absoluteAt(i: number): string {
    this.checkPosition(i)
    const name = this.names[i]
    const abs = path.resolve(this.path, name)
    // The name came from our own listing, but a listing is not proof: never leave the root.
    if (!abs.startsWith(this.path + path.sep))
      throw new CodedError('forbidden-path', `${name} is outside ${this.path}`)
    return abs
  }

  async readAt(i: number, maxBytes = MAX_FILE_BYTES): Promise<Buffer> {
    return readFileChecked(this.absoluteAt(i), maxBytes)
  }

  async readHeadAt(i: number, bytes: number): Promise<Buffer> {
    return readFileHead(this.absoluteAt(i), bytes)
  }

  locateAt(i: number): SourceLocation {
    return { kind: 'folder', path: this.absoluteAt(i) }
  }

  describe(name: string): string {
    return path.join(this.path, name)
  }

  async close(): Promise<void> {}
}

/**
 * Every file under `root` (sorted, '/' separators) and every directory (relative). `rootLinks` is
 * the root's link count from the caller's stat: the listing of the root starts without another.
 *
 * A directory whose link count is 2 has no subdirectories (ext4, XFS, tmpfs… count `.` and each
 * subdirectory's `..`): its entries are listed by name only, about twice as fast as with types for
 * 43,885 images. Any other directory (or file system: btrfs says 1, APFS counts files too) is listed
 * with entry types, regular files kept, subdirectories descended. A name-only entry that is not a
 * regular file fails when read (`io-error`), never earlier.
 */
async function listFolder(root: string, rootLinks: number): Promise<{ files: string[]; dirs: string[] }> {
  let files: string[] = []
  const dirs: string[] = []
  const queue: string[] = ['']
  while (queue.length > 0) {
    const rel = queue.shift() as string
    const abs = rel === '' ? root : path.join(root, rel)
    const prefix = rel === '' ? '' : rel + '/'
    try {
      const links = rel === '' ? rootLinks : (await fsp.stat(abs)).nlink
      if (links === 2 && process.platform !== 'win32') {
        const names = await fsp.readdir(abs)
        // libuv lists names sorted (strcmp on UTF-8); a flat root's listing is used as it comes.
        if (rel === '') files = names
        else for (const name of names) files.push(prefix + name)
        continue
      }
      for (const d of await fsp.readdir(abs, { withFileTypes: true })) {
        if (d.isFile()) files.push(prefix + d.name)
        else if (d.isDirectory()) {
          dirs.push(prefix + d.name)
          queue.push(prefix + d.name)
        }
      }
    } catch (err) {
      throw new CodedError(
        'io-error',
        `cannot list ${abs}: ${(err as NodeJS.ErrnoException).code ?? err}`,
        abs,
      )
    }
  }
  // UTF-16 code-unit order (the default sort's, without a JS comparator call per comparison). A flat
  // folder's listing is in that order already unless names hold characters beyond U+FFFF (UTF-8 and
  // UTF-16 order them differently): one pass checks it.
  if (!inOrder(files)) files.sort()
  return { files, dirs }
}

/** True when the names are in UTF-16 code-unit order (the default sort's). */
function inOrder(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if (names[i - 1] > names[i]) return false
  return true
}

/**
 * Reads a whole file, refusing files over `maxBytes`. Errors name the file. `alloc` provides the
 * buffer for a file of `size` bytes (a BufferPool's `take`); default a fresh one.
 */
export async function readFileChecked(
  abs: string,
  maxBytes = MAX_FILE_BYTES,
  alloc: (size: number) => Buffer = Buffer.allocUnsafe,
): Promise<Buffer> {
  const fh = await openForRead(abs)
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new CodedError('io-error', `cannot read ${abs}: not a regular file`, abs)
    const size = st.size
    if (size > maxBytes)
      throw new CodedError('image-too-large', `${abs} is ${size} bytes (limit ${maxBytes})`, abs)
    const buf = alloc(size)
    let at = 0
    while (at < size) {
      const { bytesRead } = await fh.read(buf, at, size - at, at)
      if (bytesRead === 0) break
      at += bytesRead
    }
    if (at !== size) throw new CodedError('io-error', `${abs} shrank while being read`, abs)
    return buf
  } catch (err) {
    throw ioError(err, abs)
  } finally {
    await fh.close()
  }
}

/** Up to `bytes` bytes from the start of a file (fewer when the file is shorter). */
export async function readFileHead(abs: string, bytes: number): Promise<Buffer> {
  const fh = await openForRead(abs)
  try {
    const buf = Buffer.allocUnsafe(bytes)
    let at = 0
    while (at < bytes) {
      const { bytesRead } = await fh.read(buf, at, bytes - at, at)
      if (bytesRead === 0) break
      at += bytesRead
    }
    return buf.subarray(0, at)
  } catch (err) {
    throw ioError(err, abs)
  } finally {
    await fh.close()
  }
}

/**
 * readFileHead with blocking calls: for worker threads, where a few small page-cache reads cost less
 * than the round trips through the (process-wide) libuv thread pool.
 */
export function readFileHeadSync(abs: string, bytes: number): Buffer {
  let fd: number
  try {
    fd = openSync(abs, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0))
  } catch (err) {
    throw ioError(err, abs)
  }
  try {
    const buf = Buffer.allocUnsafe(bytes)
    let at = 0
    while (at < bytes) {
      const n = readSync(fd, buf, at, bytes - at, at)
      if (n === 0) break
      at += n
    }
    return buf.subarray(0, at)
  } catch (err) {
    throw ioError(err, abs)
  } finally {
    closeSync(fd)
  }
}

/**
 * Opens a file for reading, non-blocking: a FIFO or device among the files can never hang us (its
 * read fails, or readFileChecked's stat refuses it).
 */
async function openForRead(abs: string) {
  try {
    return await fsp.open(abs, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0))
  } catch (err) {
    throw ioError(err, abs)
  }
}

function ioError(err: unknown, abs: string): CodedError {
  if (err instanceof CodedError) return err
  return new CodedError('io-error', `cannot read ${abs}: ${(err as NodeJS.ErrnoException).code ?? err}`, abs)
}

/**
 * Reads a located file from any thread. Zip readers are opened from the location alone (no central
 * directory read) and kept in `zips` for reuse; the caller closes them. `alloc` provides the buffer
 * of a whole folder file (see readFileChecked).
 */
export async function readLocated(
  loc: SourceLocation,
  zips: Map<string, Promise<ZipReader>>,
  opts: { maxBytes?: number; head?: number; syncHead?: boolean; alloc?: (size: number) => Buffer } = {},
): Promise<Buffer> {
  if (loc.kind === 'folder') {
    if (opts.head !== undefined && opts.syncHead) return readFileHeadSync(loc.path, opts.head)
    return opts.head === undefined
      ? readFileChecked(loc.path, opts.maxBytes, opts.alloc)
      : readFileHead(loc.path, opts.head)
  }
  let reader = zips.get(loc.zipPath)
  if (!reader) {
    reader = ZipReader.fromIndex(loc.zipPath, {
      entries: [],
      unsafe: [],
      unsupported: [],
      fileSize: loc.fileSize,
    })
    zips.set(loc.zipPath, reader)
    // A failed open is not kept: the next read retries (and fails with its own error).
    reader.catch(() => zips.delete(loc.zipPath))
  }
  const zip = await reader
  return opts.head === undefined
    ? zip.read(loc.entry, { maxBytes: opts.maxBytes ?? MAX_FILE_BYTES })
    : zip.readHead(loc.entry, opts.head)
}
