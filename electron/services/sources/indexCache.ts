/**
 * On-disk cache of source listings, so that reopening a dataset does not read a zip's central
 * directory or list a 43,885-file folder again. One file per source in the cache folder, named by a
 * hash of the source's absolute path, written atomically (temporary file + rename). A cache is a pure
 * optimisation: an unreadable, stale or malformed cache file is a miss, a failed write is ignored.
 *
 * Validity:
 * - zip: the zip's size and mtime (ns precision where the file system has it) must equal the recorded
 *   ones. Entry reads verify the local header, sizes and CRC anyway.
 * - folder: the set of file names is what is cached, and a name is added, removed or renamed only by
 *   changing the directory that holds it, which updates THAT directory's mtime (not its parent's).
 *   So the cache records the mtime of every directory of the tree and is valid only while each of them
 *   still exists as a directory with the same mtime (one stat per directory, no listing). To be safe
 *   against file systems with coarse timestamps, a listing is not cached while any directory was
 *   modified less than RACY_MS before the listing started (a later change could keep the same mtime).
 *   A file rewritten in place does not change the listing; reads always go to the file itself.
 */
import { randomBytes } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { sha256Hex } from '../fs/hash'
import type { ZipEntry, ZipIndex } from '../zip/zipFormat'

const MAGIC = Buffer.from('WSMIDX1\n', 'latin1')
const VERSION = 1
/** Directories modified this recently (before the listing started) are not trusted to be stable. */
export const RACY_MS = 2000

/** A directory of a folder source, relative to its root ('' is the root), and its mtime. */
export interface DirStamp {
  rel: string
  mtimeNs: string
}

interface ZipHeader {
  version: number
  kind: 'zip'
  path: string
  size: number
  mtimeNs: string
  count: number
  namesBytes: number
  unsafe: string[]
  unsupported: string[]
}

interface FolderHeader {
  version: number
  kind: 'folder'
  path: string
  count: number
  namesBytes: number
  dirs: DirStamp[]
}

/** The cache file of a source: `<kind>-<sha256(abs path), 24 hex>.idx`. */
export function cacheFileFor(cacheDir: string, kind: 'zip' | 'folder', absPath: string): string {
  const hash = sha256Hex(absPath).slice(0, 24)
  return path.join(cacheDir, `${kind}-${hash}.idx`)
}

/** mtime in nanoseconds as a decimal string (exact; `mtimeMs` is a rounded float). */
export async function mtimeNsOf(p: string): Promise<{ size: number; mtimeNs: string; isDir: boolean }> {
  const st = await fsp.stat(p, { bigint: true })
  return { size: Number(st.size), mtimeNs: st.mtimeNs.toString(), isDir: st.isDirectory() }
}

// ---- zip -----------------------------------------------------------------------------------------

/**
 * A zip's readable entries as columns (what the cache stores): names, and per entry method,
 * compressed size, uncompressed size, CRC-32 and local header offset. Entry objects are made on
 * demand (`zipEntryAt`), so reopening 43,885 entries allocates one string each and nothing else.
 */
export interface ZipTable {
  names: string[]
  /** 5 × count numbers: method, compressedSize, uncompressedSize, crc32, localHeaderOffset (column-major). */
  columns: Float64Array
  unsafe: string[]
  unsupported: string[]
  fileSize: number
}

export function zipEntryAt(t: ZipTable, i: number): ZipEntry {
  const n = t.names.length
  const c = t.columns
  return {
    name: t.names[i],
    method: c[i] as 0 | 8,
    compressedSize: c[n + i],
    uncompressedSize: c[2 * n + i],
    crc32: c[3 * n + i],
    localHeaderOffset: c[4 * n + i],
  }
}

export async function loadZipTable(
  cacheDir: string,
  zipPath: string,
  current: { size: number; mtimeNs: string },
): Promise<ZipTable | undefined> {
  const parsed = await readCacheFile(cacheFileFor(cacheDir, 'zip', zipPath))
  if (!parsed) return undefined
  const h = parsed.header as Partial<ZipHeader>
  if (
    h.version !== VERSION ||
    h.kind !== 'zip' ||
    h.path !== zipPath ||
    h.size !== current.size ||
    h.mtimeNs !== current.mtimeNs ||
    !Number.isSafeInteger(h.count) ||
    !Array.isArray(h.unsafe) ||
    !Array.isArray(h.unsupported)
  ) {
    return undefined
  }
  const count = h.count as number
  const names = splitNames(parsed.payload, h.namesBytes, count)
  if (!names) return undefined
  const numStart = align8(h.namesBytes as number)
  if (parsed.payload.length !== numStart + count * 5 * 8) return undefined
  const at = parsed.payload.byteOffset + numStart
  // The payload starts 8-aligned in the file; copy only if the Buffer itself is not 8-aligned.
  const columns =
    at % 8 === 0
      ? new Float64Array(parsed.payload.buffer, at, count * 5)
      : new Float64Array(parsed.payload.buffer.slice(at, at + count * 40))
  for (let i = 0; i < count; i++) if (columns[i] !== 0 && columns[i] !== 8) return undefined
  return { names, columns, unsafe: h.unsafe, unsupported: h.unsupported, fileSize: current.size }
}

/** Columns of a freshly read index (the same layout as a cached one). */
export function zipTableOf(index: ZipIndex): ZipTable {
  const { entries } = index
  const count = entries.length
  const names = new Array<string>(count)
  const columns = new Float64Array(count * 5)
  for (let i = 0; i < count; i++) {
    const e = entries[i]
    names[i] = e.name
    columns[i] = e.method
    columns[count + i] = e.compressedSize
    columns[2 * count + i] = e.uncompressedSize
    columns[3 * count + i] = e.crc32 >>> 0
    columns[4 * count + i] = e.localHeaderOffset
  }
  return { names, columns, unsafe: index.unsafe, unsupported: index.unsupported, fileSize: index.fileSize }
}

export async function saveZipTable(
  cacheDir: string,
  zipPath: string,
  stamp: { size: number; mtimeNs: string },
  table: ZipTable,
): Promise<boolean> {
  const names = joinNames(table.names)
  const header: ZipHeader = {
    version: VERSION,
    kind: 'zip',
    path: zipPath,
    size: stamp.size,
    mtimeNs: stamp.mtimeNs,
    count: table.names.length,
    namesBytes: names.length,
    unsafe: table.unsafe,
    unsupported: table.unsupported,
  }
  const payload = Buffer.alloc(align8(names.length) + table.columns.byteLength)
  names.copy(payload, 0)
  Buffer.from(table.columns.buffer, table.columns.byteOffset, table.columns.byteLength).copy(
    payload,
    align8(names.length),
  )
  return writeCacheFile(cacheFileFor(cacheDir, 'zip', zipPath), header, payload)
}

// ---- folder --------------------------------------------------------------------------------------

/** The cached file names of a folder, when every recorded directory still has its recorded mtime. */
export async function loadFolderListing(cacheDir: string, root: string): Promise<string[] | undefined> {
  const parsed = await readCacheFile(cacheFileFor(cacheDir, 'folder', root))
  if (!parsed) return undefined
  const h = parsed.header as Partial<FolderHeader>
  if (
    h.version !== VERSION ||
    h.kind !== 'folder' ||
    h.path !== root ||
    !Number.isSafeInteger(h.count) ||
    !Array.isArray(h.dirs) ||
    h.dirs.length === 0
  ) {
    return undefined
  }
  const stamps = await Promise.all(
    h.dirs.map((d) => mtimeNsOf(path.join(root, d.rel)).catch(() => undefined)),
  )
  for (let i = 0; i < stamps.length; i++) {
    const s = stamps[i]
    if (!s || !s.isDir || s.mtimeNs !== h.dirs[i].mtimeNs) return undefined
  }
  if (parsed.payload.length !== h.namesBytes) return undefined
  return splitNames(parsed.payload, h.namesBytes, h.count as number)
}

/**
 * Records a folder listing. `dirs` are the stamps of every directory taken AFTER listing; nothing is
 * written if one of them was modified after `listStartedNs - RACY_MS` (a change during the listing,
 * or one too recent for a coarse file-system clock to tell apart from a later one).
 */
export async function saveFolderListing(
  cacheDir: string,
  root: string,
  names: readonly string[],
  dirs: DirStamp[],
  listStartedNs: bigint,
): Promise<boolean> {
  const racyBefore = listStartedNs - BigInt(RACY_MS) * 1_000_000n
  if (dirs.some((d) => BigInt(d.mtimeNs) >= racyBefore)) return false
  const blob = joinNames(names)
  const header: FolderHeader = {
    version: VERSION,
    kind: 'folder',
    path: root,
    count: names.length,
    namesBytes: blob.length,
    dirs,
  }
  return writeCacheFile(cacheFileFor(cacheDir, 'folder', root), header, blob)
}

// ---- file format: magic | u32 header length | JSON header | pad to 8 | payload ------------------

async function readCacheFile(file: string): Promise<{ header: unknown; payload: Buffer } | undefined> {
  let buf: Buffer
  try {
    buf = await fsp.readFile(file)
  } catch {
    return undefined
  }
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) return undefined
  const headerLen = buf.readUInt32LE(8)
  if (12 + headerLen > buf.length) return undefined
  let header: unknown
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + headerLen))
  } catch {
    return undefined
  }
  return { header, payload: buf.subarray(align8(12 + headerLen)) }
}

async function writeCacheFile(file: string, header: object, payload: Buffer): Promise<boolean> {
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const start = align8(12 + json.length)
  const out = Buffer.alloc(start + payload.length)
  MAGIC.copy(out, 0)
  out.writeUInt32LE(json.length, 8)
  json.copy(out, 12)
  payload.copy(out, start)
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await fsp.mkdir(path.dirname(file), { recursive: true })
    await fsp.writeFile(tmp, out)
    await fsp.rename(tmp, file)
    return true
  } catch {
    await fsp.rm(tmp, { force: true }).catch(() => undefined)
    return false
  }
}

/** Names joined by NUL (never part of a readable name: zip names with NUL are unsafe, paths can't hold one). */
function joinNames(names: readonly string[]): Buffer {
  return Buffer.from(names.join('\0'), 'utf8')
}

function splitNames(payload: Buffer, namesBytes: unknown, count: number): string[] | undefined {
  if (!Number.isSafeInteger(namesBytes) || (namesBytes as number) > payload.length) return undefined
  if (count === 0) return namesBytes === 0 ? [] : undefined
  const names = payload.toString('utf8', 0, namesBytes as number).split('\0')
  return names.length === count ? names : undefined
}

function align8(n: number): number {
  return (n + 7) & ~7
}
