import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import { ZipReader, type ZipEntry } from '../zip/zipReader'
import {
  loadFolderListing,
  loadZipIndex,
  mtimeNsOf,
  saveFolderListing,
  saveZipIndex,
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
 */
export interface FileSource {
  readonly kind: 'zip' | 'folder'
  readonly path: string
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
  if (stat.isDirectory()) return FolderSource.open(abs, opts.cacheDir)
  return ZipSource.open(abs, opts.cacheDir)
}

class ZipSource implements FileSource {
  readonly kind = 'zip' as const
  readonly files: readonly SourceFile[]
  readonly refused: readonly RefusedEntry[]

  private constructor(
    private readonly zip: ZipReader,
    readonly fromCache: boolean,
  ) {
    this.files = zip.entries.map((e) => ({ name: e.name, size: e.uncompressedSize }))
    this.refused = [
      ...zip.index.unsafe.map((name) => ({ name, code: 'zip-unsafe-path' as const })),
      ...zip.index.unsupported.map((name) => ({ name, code: 'zip-unsupported' as const })),
    ]
  }

  get path(): string {
    return this.zip.path
  }

  static async open(zipPath: string, cacheDir: string | undefined): Promise<ZipSource> {
    if (cacheDir === undefined) return new ZipSource(await ZipReader.open(zipPath), false)
    const stamp = await mtimeNsOf(zipPath).catch(() => undefined)
    if (stamp) {
      const index = await loadZipIndex(cacheDir, zipPath, stamp)
      if (index) {
        const reader = await ZipReader.fromIndex(zipPath, index).catch(() => undefined)
        if (reader) return new ZipSource(reader, true)
      }
    }
    const reader = await ZipReader.open(zipPath)
    // Stamped before the index was read: a zip rewritten meanwhile is re-read next time.
    if (stamp && stamp.size === reader.index.fileSize)
      await saveZipIndex(cacheDir, zipPath, stamp, reader.index)
    return new ZipSource(reader, false)
  }

  private entry(name: string): ZipEntry {
    const entry = this.zip.getEntry(name)
    if (!entry)
      throw new CodedError('not-found', `${name} is not in ${this.zip.path}`, `${this.zip.path}!${name}`)
    return entry
  }

  async read(name: string, maxBytes = MAX_FILE_BYTES): Promise<Buffer> {
    return this.zip.read(this.entry(name), { maxBytes })
  }

  async readHead(name: string, bytes: number): Promise<Buffer> {
    return this.zip.readHead(this.entry(name), bytes)
  }

  locate(name: string): SourceLocation {
    return { kind: 'zip', zipPath: this.zip.path, fileSize: this.zip.index.fileSize, entry: this.entry(name) }
  }

  describe(name: string): string {
    return `${this.zip.path}!${name}`
  }

  close(): Promise<void> {
    return this.zip.close()
  }
}

class FolderSource implements FileSource {
  readonly kind = 'folder' as const
  readonly refused: readonly RefusedEntry[] = []
  private readonly names: Set<string>

  private constructor(
    readonly path: string,
    readonly files: readonly SourceFile[],
    readonly fromCache: boolean,
  ) {
    this.names = new Set(files.map((f) => f.name))
  }

  static async open(root: string, cacheDir: string | undefined): Promise<FolderSource> {
    if (cacheDir !== undefined) {
      const cached = await loadFolderListing(cacheDir, root)
      if (cached) return new FolderSource(root, cached.map(toSourceFile), true)
    }
    const startedNs = BigInt(Date.now()) * 1_000_000n
    const { files, dirs } = await listFolder(root)
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
    return new FolderSource(root, files.map(toSourceFile), false)
  }

  private absolute(name: string): string {
    if (!this.names.has(name)) throw new CodedError('not-found', `${name} is not in ${this.path}`, name)
    const abs = path.resolve(this.path, name)
    // The name came from our own listing, but a listing is not proof: never leave the root.
    if (!abs.startsWith(this.path + path.sep))
      throw new CodedError('forbidden-path', `${name} is outside ${this.path}`)
    return abs
  }

  async read(name: string, maxBytes = MAX_FILE_BYTES): Promise<Buffer> {
    return readFileChecked(this.absolute(name), maxBytes)
  }

  async readHead(name: string, bytes: number): Promise<Buffer> {
    return readFileHead(this.absolute(name), bytes)
  }

  locate(name: string): SourceLocation {
    return { kind: 'folder', path: this.absolute(name) }
  }

  describe(name: string): string {
    return path.join(this.path, name)
  }

  async close(): Promise<void> {}
}

function toSourceFile(name: string): SourceFile {
  return { name, size: -1 }
}

/** Every regular file under `root` (sorted, '/' separators) and every directory (relative). */
async function listFolder(root: string): Promise<{ files: string[]; dirs: string[] }> {
  let dirents
  try {
    dirents = await fsp.readdir(root, { recursive: true, withFileTypes: true })
  } catch (err) {
    throw new CodedError(
      'io-error',
      `cannot list ${root}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      root,
    )
  }
  const files: string[] = []
  const dirs: string[] = []
  for (const d of dirents) {
    const isFile = d.isFile()
    if (!isFile && !d.isDirectory()) continue
    // parentPath is the Node 20.12+ name; `path` the older one.
    const parent = (d as { parentPath?: string }).parentPath ?? (d as unknown as { path: string }).path
    const rel =
      parent === root ? d.name : path.relative(root, path.join(parent, d.name)).split(path.sep).join('/')
    if (isFile) files.push(rel)
    else dirs.push(rel)
  }
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return { files, dirs }
}

/** Reads a whole file, refusing files over `maxBytes`. Errors name the file. */
export async function readFileChecked(abs: string, maxBytes = MAX_FILE_BYTES): Promise<Buffer> {
  const fh = await openForRead(abs)
  try {
    const { size } = await fh.stat()
    if (size > maxBytes)
      throw new CodedError('image-too-large', `${abs} is ${size} bytes (limit ${maxBytes})`, abs)
    const buf = Buffer.allocUnsafe(size)
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

async function openForRead(abs: string) {
  try {
    return await fsp.open(abs, 'r')
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
 * directory read) and kept in `zips` for reuse; the caller closes them.
 */
export async function readLocated(
  loc: SourceLocation,
  zips: Map<string, Promise<ZipReader>>,
  opts: { maxBytes?: number; head?: number } = {},
): Promise<Buffer> {
  if (loc.kind === 'folder') {
    return opts.head === undefined
      ? readFileChecked(loc.path, opts.maxBytes)
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
