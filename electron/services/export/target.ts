/**
 * Where an export is written, and how it lands there safely: everything goes to a temporary name in
 * the output's own folder (`<out>.partial-<random>`, a folder or a zip file), is flushed to the disk,
 * and only then takes the final name, so an export interrupted at any instant (error, cancel,
 * SIGKILL, power cut) leaves nothing under the final name — at worst a `.partial-` leftover.
 *
 * Refused with `export-target`: an output path that exists (never overwritten), an output inside a
 * source FOLDER (masks or images; the folder holding a source zip is fine), and an output inside the
 * workspace folder.
 */
import { randomBytes } from 'node:crypto'
import { constants as fsConstants, promises as fsp } from 'node:fs'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import { fsError, fsyncDir } from '../fs/atomicWrite'
import { isWithin, makeFolder } from '../fs/paths'
import { ZipWriter, prepareEntry } from '../zip/zipWriter'
import { IMAGES_DIR, MASKS_DIR } from './format'

export type Container = 'folder' | 'zip'

/** A zip when the name ends in `.zip` (any case), else a folder. */
export function containerOf(out: string): Container {
  return /\.zip$/i.test(out) ? 'zip' : 'folder'
}

const PARTIAL = '.partial-'

/** The real path of `p`, resolving symbolic links of its existing ancestors (the rest is appended). */
async function realPathOf(p: string): Promise<string> {
  const abs = path.resolve(p)
  const rest: string[] = []
  let cur = abs
  for (;;) {
    try {
      const real = await fsp.realpath(cur)
      return rest.length === 0 ? real : path.join(real, ...rest.reverse())
    } catch {
      const parent = path.dirname(cur)
      if (parent === cur) return abs
      rest.push(path.basename(cur))
      cur = parent
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p)
    return true
  } catch {
    return false
  }
}

/**
 * Checks an output path against the sources and the workspace (see the module comment) and
 * returns it resolved, with its container kind and leftovers of earlier interrupted exports to it.
 */
export async function checkTarget(
  out: string,
  guard: { workspaceDir: string; sources: string[] },
): Promise<{ out: string; container: Container; leftovers: string[] }> {
  if (typeof out !== 'string' || out.trim() === '')
    throw new CodedError('bad-request', 'the export needs an output path')
  const abs = path.resolve(out)
  if (await exists(abs)) {
    throw new CodedError(
      'export-target',
      `${abs} already exists: an export never overwrites; choose a new name or remove it first`,
      abs,
    )
  }
  const real = await realPathOf(abs)
  const workspace = await realPathOf(guard.workspaceDir)
  if (isWithin(real, workspace)) {
    throw new CodedError(
      'export-target',
      `${abs} is inside the workspace folder ${guard.workspaceDir}: export somewhere else`,
      abs,
    )
  }
  for (const src of guard.sources) {
    const isDir = await fsp.stat(src).then(
      (st) => st.isDirectory(),
      () => false, // a source that is gone cannot be written into
    )
    if (isDir && isWithin(real, await realPathOf(src))) {
      throw new CodedError(
        'export-target',
        `${abs} is inside the source folder ${src}, which is only ever read: export somewhere else`,
        abs,
      )
    }
  }
  const parent = path.dirname(abs)
  const base = path.basename(abs)
  let leftovers: string[] = []
  try {
    leftovers = (await fsp.readdir(parent))
      .filter((n) => n.startsWith(base + PARTIAL))
      .map((n) => path.join(parent, n))
  } catch {
    // The parent folder does not exist yet: created when the export starts.
  }
  return { out: abs, container: containerOf(abs), leftovers }
}

/** How `ExportSink.add` writes a file (see there). */
export interface AddOptions {
  compress?: boolean
  crc32?: number
  onWritten?: () => void
}

/** Receives the files of an export under its temporary name, then gives them the final one. */
export interface ExportSink {
  readonly container: Container
  /** The temporary path being written. */
  readonly partial: string
  /** True when `add` may run concurrently (folders); a zip takes its entries one at a time, in order. */
  readonly parallel: boolean
  /**
   * Adds a file (`images/…`, `masks/…`, `manifest.csv`…). The bytes must stay unchanged until
   * `onWritten` is called (once they are written: after `add` resolves for a folder, when the batch
   * holding them is written for a zip; never if the export fails). Zip entries only: `compress`
   * deflates the entry, and `crc32` is the bytes' CRC-32 when the caller has it (else computed here).
   */
  add(name: string, bytes: Uint8Array, opts?: AddOptions): Promise<void>
  /** Flushes everything to the disk and renames to the final path (refusing one that appeared meanwhile). */
  commit(): Promise<void>
  /** Removes what was written (after an error or a cancel). */
  discard(): Promise<void>
  /** Bytes written so far. */
  readonly bytes: number
}

export async function openSink(out: string, container: Container): Promise<ExportSink> {
  const parent = path.dirname(out)
  try {
    await makeFolder(parent)
  } catch (err) {
    throw fsError(err, parent, 'create the folder')
  }
  const partial = `${out}${PARTIAL}${randomBytes(6).toString('hex')}`
  return container === 'zip' ? ZipSink.open(out, partial) : FolderSink.open(out, partial)
}

/** Writes a whole file durably: exclusive create, write, fsync, close. */
async function writeDurable(file: string, bytes: Uint8Array): Promise<void> {
  let fh: fsp.FileHandle | undefined
  try {
    fh = await fsp.open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644)
    let at = 0
    while (at < bytes.length) {
      const { bytesWritten } = await fh.write(bytes, at, bytes.length - at)
      if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' })
      at += bytesWritten
    }
    await fh.sync()
  } catch (err) {
    throw fsError(err, file, 'write')
  } finally {
    await fh?.close().catch(() => undefined)
  }
}

function refuseExisting(out: string): CodedError {
  return new CodedError(
    'export-target',
    `${out} appeared while the export was being written: it was left untouched, and the export removed`,
    out,
  )
}

class FolderSink implements ExportSink {
  readonly container = 'folder' as const
  readonly parallel = true
  bytes = 0

  private constructor(
    readonly out: string,
    readonly partial: string,
  ) {}

  static async open(out: string, partial: string): Promise<FolderSink> {
    try {
      await fsp.mkdir(partial)
      await fsp.mkdir(path.join(partial, IMAGES_DIR))
      await fsp.mkdir(path.join(partial, MASKS_DIR))
    } catch (err) {
      await fsp.rm(partial, { recursive: true, force: true }).catch(() => undefined)
      throw fsError(err, partial, 'create the export folder')
    }
    return new FolderSink(out, partial)
  }

  async add(name: string, bytes: Uint8Array, opts: AddOptions = {}): Promise<void> {
    await writeDurable(path.join(this.partial, ...name.split('/')), bytes)
    this.bytes += bytes.length
    opts.onWritten?.()
  }

  async commit(): Promise<void> {
    try {
      await fsyncDir(path.join(this.partial, IMAGES_DIR))
      await fsyncDir(path.join(this.partial, MASKS_DIR))
      await fsyncDir(this.partial)
    } catch (err) {
      throw fsError(err, this.partial, 'flush')
    }
    // rename(2) would replace an empty folder that appeared meanwhile: look first (a narrow window).
    if (await exists(this.out)) throw refuseExisting(this.out)
    try {
      await fsp.rename(this.partial, this.out)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') throw refuseExisting(this.out)
      throw fsError(err, this.out, 'rename the finished export to')
    }
    await fsyncDir(path.dirname(this.out)).catch((err: unknown) => {
      throw fsError(err, path.dirname(this.out), 'flush the folder of')
    })
  }

  async discard(): Promise<void> {
    await fsp.rm(this.partial, { recursive: true, force: true })
  }
}

class ZipSink implements ExportSink {
  readonly container = 'zip' as const
  readonly parallel = false
  #finished = false

  private constructor(
    readonly out: string,
    readonly partial: string,
    private readonly writer: ZipWriter,
  ) {}

  static async open(out: string, partial: string): Promise<ZipSink> {
    try {
      return new ZipSink(out, partial, await ZipWriter.create(partial, { exclusive: true }))
    } catch (err) {
      throw fsError(err, partial, 'create')
    }
  }

  get bytes(): number {
    return this.writer.offset
  }

  async add(name: string, bytes: Uint8Array, opts: AddOptions = {}): Promise<void> {
    const compress = opts.compress ?? false
    try {
      // JPEG and PNG are compressed already: stored, never recompressed.
      const entry =
        !compress && opts.crc32 !== undefined
          ? { method: 0 as const, data: bytes, crc32: opts.crc32, uncompressedSize: bytes.length }
          : prepareEntry(bytes, { compress })
      await this.writer.addPrepared(name, entry, opts.onWritten)
    } catch (err) {
      throw fsError(err, this.partial, 'write')
    }
  }

  async commit(): Promise<void> {
    try {
      await this.writer.close({ sync: true })
      this.#finished = true
    } catch (err) {
      throw fsError(err, this.partial, 'finish')
    }
    // link(2) fails with EEXIST instead of replacing: no window where another file could be lost.
    let linked = false
    try {
      await fsp.link(this.partial, this.out)
      linked = true
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') throw refuseExisting(this.out)
      // File systems without hard links (FAT, some network shares): check, then rename.
    }
    try {
      if (linked) await fsp.unlink(this.partial)
      else {
        if (await exists(this.out)) throw refuseExisting(this.out)
        await fsp.rename(this.partial, this.out)
      }
      await fsyncDir(path.dirname(this.out))
    } catch (err) {
      throw fsError(err, this.out, 'rename the finished export to')
    }
  }

  async discard(): Promise<void> {
    if (!this.#finished) await this.writer.abort().catch(() => undefined)
    await fsp.rm(this.partial, { force: true })
  }
}
