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
import { entryName, type EntryTable } from '../zip/zipFormat'
import type { TableIndex } from '../zip/zipReader'
import { makeFolder } from '../fs/paths'

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

/** The least payload bytes of one zip record: its 5 Float64 columns (its name may be empty). */
const ZIP_RECORD_MIN_BYTES = 5 * 8

export async function loadZipTable(
  cacheDir: string,
  zipPath: string,
  current: { size: number; mtimeNs: string },
): Promise<TableIndex | undefined> {
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
  // A record takes at least its 5 numeric columns (40 bytes): a count the payload cannot hold (or a
  // negative one) is a bad cache, ignored before any allocation sized by it.
  if (count < 0 || count > parsed.payload.length / ZIP_RECORD_MIN_BYTES) return undefined
  const namesBytes = h.namesBytes
  if (!Number.isSafeInteger(namesBytes) || (namesBytes as number) > parsed.payload.length) return undefined
  const nameBytes = parsed.payload.subarray(0, namesBytes as number)
  const bounds = nameBounds(nameBytes, count)
  if (!bounds) return undefined
  const numStart = align8(namesBytes as number)
  if (parsed.payload.length !== numStart + count * 5 * 8) return undefined
  const at = parsed.payload.byteOffset + numStart
  // The payload starts 8-aligned in the file; copy only if the Buffer itself is not 8-aligned.
  const columns =
    at % 8 === 0
      ? new Float64Array(parsed.payload.buffer, at, count * 5)
      : new Float64Array(parsed.payload.buffer.slice(at, at + count * 40))
  for (let i = 0; i < count; i++) if (columns[i] !== 0 && columns[i] !== 8) return undefined
  const table: EntryTable = {
    count,
    nameBytes,
    nameStart: bounds.start,
    nameEnd: bounds.end,
    utf8: new Uint8Array(count).fill(1),
    columns,
    stride: count,
  }
  return { table, unsafe: h.unsafe, unsupported: h.unsupported, fileSize: current.size }
}

export async function saveZipTable(
  cacheDir: string,
  zipPath: string,
  stamp: { size: number; mtimeNs: string },
  index: TableIndex,
): Promise<boolean> {
  const t = index.table
  const names = utf8NameBlob(t)
  const header: ZipHeader = {
    version: VERSION,
    kind: 'zip',
    path: zipPath,
    size: stamp.size,
    mtimeNs: stamp.mtimeNs,
    count: t.count,
    namesBytes: names.length,
    unsafe: index.unsafe,
    unsupported: index.unsupported,
  }
  const numStart = align8(names.length)
  const payload = Buffer.alloc(numStart + t.count * 5 * 8)
  names.copy(payload, 0)
  const columns = new Float64Array(payload.buffer, payload.byteOffset + numStart, t.count * 5)
  for (let k = 0; k < 5; k++)
    columns.set(t.columns.subarray(k * t.stride, k * t.stride + t.count), k * t.count)
  return writeCacheFile(cacheFileFor(cacheDir, 'zip', zipPath), header, payload)
}

/**
 * The table's names in UTF-8 joined by NUL (never part of a readable name): raw bytes where they are
 * UTF-8 or ASCII already, re-encoded only for Latin-1 names with bytes over 0x7F.
 */
function utf8NameBlob(t: EntryTable): Buffer {
  const parts: Uint8Array[] = []
  const src = Buffer.from(t.nameBytes.buffer, t.nameBytes.byteOffset, t.nameBytes.byteLength)
  let len = Math.max(0, t.count - 1)
  for (let i = 0; i < t.count; i++) {
    const start = t.nameStart[i]
    const end = t.nameEnd[i]
    let raw = t.utf8[i] === 1
    if (!raw) {
      raw = true
      for (let p = start; p < end; p++) if (src[p] > 0x7f) raw = false
    }
    const part = raw ? src.subarray(start, end) : Buffer.from(entryName(t, i), 'utf8')
    parts.push(part)
    len += part.length
  }
  const out = Buffer.allocUnsafe(len)
  let at = 0
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out[at++] = 0
    out.set(parts[i], at)
    at += parts[i].length
  }
  return out
}

/** Start and end of each of `count` NUL-separated names, or undefined when the count differs. */
function nameBounds(blob: Uint8Array, count: number): { start: Uint32Array; end: Uint32Array } | undefined {
  if (count === 0)
    return blob.length === 0 ? { start: new Uint32Array(0), end: new Uint32Array(0) } : undefined
  const start = new Uint32Array(count)
  const end = new Uint32Array(count)
  let k = 0
  let from = 0
  // A plain loop: a native indexOf call per name costs more than looking at ~30 bytes.
  for (let p = 0; p < blob.length; p++) {
    if (blob[p] !== 0) continue
    if (k >= count - 1) return undefined
    start[k] = from
    end[k++] = p
    from = p + 1
  }
  if (k !== count - 1) return undefined
  start[k] = from
  end[k] = blob.length
  return { start, end }
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
    await makeFolder(path.dirname(file))
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
