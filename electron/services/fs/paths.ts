import { promises as fsp } from 'node:fs'
import path from 'node:path'

/** The path module whose rules apply: the host's, or `path.win32` / `path.posix` in tests. */
export type PathFlavour = Pick<typeof path, 'relative' | 'isAbsolute' | 'resolve' | 'sep'>

/**
 * True when `inner` is `outer` itself or lies below it, by the rules of `flavour` (the host's by
 * default): on Windows drive letters and case are folded by `path.win32.relative`, so `C:\Data` and
 * `c:\data\x` compare as they would on the volume. A child whose name merely starts with two dots
 * (`..x`) is inside; `..` as a whole segment is not. Both paths are resolved first, so neither
 * `a/../b` tricks nor a relative path changes the answer. Symbolic links are not followed: callers
 * that need that compare real paths.
 */
export function isWithin(inner: string, outer: string, flavour: PathFlavour = path): boolean {
  const rel = flavour.relative(flavour.resolve(outer), flavour.resolve(inner))
  if (rel === '') return true
  if (flavour.isAbsolute(rel)) return false
  return rel !== '..' && !rel.startsWith('..' + flavour.sep)
}

/**
 * `mkdir -p`: creates `dir` and the folders above it that are missing. Not Node's `recursive` mode,
 * which loops forever where mkdir answers ENOENT under a parent that exists (/proc, sysfs, some FUSE
 * file systems): here the missing folders are found by walking up, then made one by one, and the
 * first failure is thrown as it came (ENOENT, EACCES, ENOTDIR…). A folder made meanwhile by someone
 * else is fine.
 */
export async function makeFolder(dir: string): Promise<void> {
  const missing: string[] = []
  const target = path.resolve(dir)
  for (let at = target; ;) {
    let st
    try {
      st = await fsp.stat(at)
    } catch (err) {
      const up = path.dirname(at)
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || up === at) throw err
      missing.push(at)
      at = up
      continue
    }
    // A file above the folder fails its mkdir below with ENOTDIR; a file in the folder's place is
    // not the folder: EEXIST, as `mkdir -p` says (callers would fail later, less clearly, or go on).
    if (at === target && !st.isDirectory()) throw notAFolder(at)
    break
  }
  for (const folder of missing.reverse()) {
    try {
      await fsp.mkdir(folder)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      // Made meanwhile by someone else: fine if it is a folder.
      if (!(await fsp.stat(folder)).isDirectory()) throw notAFolder(folder)
    }
  }
}

/** The errno error `mkdir` gives where a file is in a folder's place. */
function notAFolder(at: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EEXIST: file already exists (not a folder), mkdir '${at}'`), {
    code: 'EEXIST',
    syscall: 'mkdir',
    path: at,
  })
}
