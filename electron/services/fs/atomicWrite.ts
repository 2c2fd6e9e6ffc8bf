/**
 * Crash-safe file replacement: the data goes to a temporary file in the target's directory, is
 * flushed to the disk (fsync), optionally checked, renamed over the target (atomic on POSIX and on
 * NTFS), and the directory is flushed so the rename itself survives a power cut. A crash at any
 * instant leaves either the old file or the new one at the target, never a partial file; at worst a
 * stray temporary file, which `isTempName` recognises and `removeStaleTemps` deletes.
 */
import { randomBytes } from 'node:crypto'
import { constants as fsConstants, promises as fsp } from 'node:fs'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'

/** The file operations atomicWrite uses: injectable, so tests can simulate a full disk. */
export interface AtomicFs {
  open(file: string, flags: number, mode: number): Promise<fsp.FileHandle>
  write(fh: fsp.FileHandle, data: Uint8Array, offset: number, length: number): Promise<number>
  fsync(fh: fsp.FileHandle): Promise<void>
  rename(from: string, to: string): Promise<void>
  unlink(file: string): Promise<void>
  /** Flushes a directory's entries (no-op where directories cannot be opened, i.e. Windows). */
  fsyncDir(dir: string): Promise<void>
}

export const nodeAtomicFs: AtomicFs = {
  open: (file, flags, mode) => fsp.open(file, flags, mode),
  write: async (fh, data, offset, length) => (await fh.write(data, offset, length)).bytesWritten,
  fsync: (fh) => fh.sync(),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (file) => fsp.unlink(file),
  fsyncDir,
}

export interface AtomicWriteOptions {
  /** Replaces the file operations (tests). */
  fs?: AtomicFs
  /**
   * Called with the temporary file after it is flushed and closed, before the rename: throw to
   * abandon the write (the target is left untouched and the temporary file removed).
   */
  verify?: (tempFile: string) => Promise<void>
  /** File mode of a new file (default 0o644, less the umask). */
  mode?: number
}

export interface AtomicWriteResult {
  file: string
  bytes: number
}

const TEMP_SUFFIX = '.tmp'
/** `.<name>.<random>.tmp`: hidden, and never matching a mask name (`ISIC_…png`). */
const TEMP_PATTERN = /^\..+\.[0-9a-f]{12}\.tmp$/

/** True for the names of atomicWrite's temporary files. */
export function isTempName(name: string): boolean {
  return TEMP_PATTERN.test(name)
}

function tempNameFor(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`,
  )
}

/**
 * Maps a Node file-system error to a coded error: a full disk or quota is `disk-full`, a read-only
 * file system or a denied permission is `read-only`, anything else `io-error`.
 */
export function fsError(err: unknown, file: string, what: string): CodedError {
  if (err instanceof CodedError) return err
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const detail = code ?? (err instanceof Error ? err.message : String(err))
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new CodedError('disk-full', `cannot ${what} ${file}: the disk is full (${detail})`, file)
  }
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return new CodedError('read-only', `cannot ${what} ${file}: not writable (${detail})`, file)
  }
  return new CodedError('io-error', `cannot ${what} ${file}: ${detail}`, file)
}

/**
 * Writes `data` to `target` atomically and durably (see the module comment). Errors are coded
 * (`disk-full`, `read-only`, `io-error`, or whatever `verify` throws); after an error the target
 * holds its previous content (or still does not exist) and no temporary file is left behind.
 */
export async function atomicWriteFile(
  target: string,
  data: Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<AtomicWriteResult> {
  const ops = options.fs ?? nodeAtomicFs
  const temp = tempNameFor(target)
  const dir = path.dirname(target)
  let fh: fsp.FileHandle | undefined
  let created = false
  try {
    try {
      fh = await ops.open(
        temp,
        fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL,
        options.mode ?? 0o644,
      )
      created = true
      let at = 0
      while (at < data.length) {
        const n = await ops.write(fh, data, at, data.length - at)
        if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' })
        at += n
      }
      await ops.fsync(fh)
    } finally {
      const open = fh
      fh = undefined
      if (open) await open.close()
    }
  } catch (err) {
    if (created) await ops.unlink(temp).catch(() => undefined)
    throw fsError(err, target, 'write')
  }
  try {
    if (options.verify) await options.verify(temp)
    await ops.rename(temp, target)
  } catch (err) {
    await ops.unlink(temp).catch(() => undefined)
    throw fsError(err, target, 'replace')
  }
  try {
    await ops.fsyncDir(dir)
  } catch (err) {
    // The new file is in place; only its durability across a power cut is in doubt.
    throw fsError(err, dir, 'flush the directory of')
  }
  return { file: target, bytes: data.length }
}

/** fsync on a directory, so that renames and creations in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  const fh = await fsp.open(dir, fsConstants.O_RDONLY)
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Deletes atomicWrite's temporary files left in `dir` by a crash. Returns how many were removed. */
export async function removeStaleTemps(dir: string): Promise<number> {
  let names: string[]
  try {
    names = await fsp.readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw fsError(err, dir, 'list')
  }
  let removed = 0
  for (const name of names) {
    if (!isTempName(name)) continue
    try {
      await fsp.unlink(path.join(dir, name))
      removed++
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(err, path.join(dir, name), 'remove')
    }
  }
  return removed
}
