import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import { ZipReader } from '../zip/zipReader'

/** One file a source holds: its path inside the source ('/' separators) and its stored size. */
export interface SourceFile {
  name: string
  size: number
}

/**
 * A read-only container of files: a folder or a zip. Sources are never written; every read is
 * of one file, never of the whole container.
 */
export interface FileSource {
  readonly kind: 'zip' | 'folder'
  readonly path: string
  readonly files: readonly SourceFile[]
  read(name: string, maxBytes?: number): Promise<Buffer>
  close(): Promise<void>
}

/** Default ceiling for one file read (a 6000×4000 JPEG is ~10 MB; a mask PNG well under 1 MB). */
export const MAX_FILE_BYTES = 512 * 1024 * 1024

export async function openFileSource(sourcePath: string): Promise<FileSource> {
  const abs = path.resolve(sourcePath)
  let stat
  try {
    stat = await fsp.stat(abs)
  } catch (err) {
    throw new CodedError('io-error', `cannot open ${abs}: ${(err as NodeJS.ErrnoException).code ?? err}`, abs)
  }
  if (stat.isDirectory()) return FolderSource.open(abs)
  return ZipSource.open(abs)
}

class ZipSource implements FileSource {
  readonly kind = 'zip' as const
  readonly files: readonly SourceFile[]

  private constructor(private readonly zip: ZipReader) {
    this.files = zip.entries.map((e) => ({ name: e.name, size: e.uncompressedSize }))
  }

  get path(): string {
    return this.zip.path
  }

  static async open(zipPath: string): Promise<ZipSource> {
    return new ZipSource(await ZipReader.open(zipPath))
  }

  async read(name: string, maxBytes = MAX_FILE_BYTES): Promise<Buffer> {
    const entry = this.zip.getEntry(name)
    if (!entry)
      throw new CodedError('not-found', `${name} is not in ${this.zip.path}`, `${this.zip.path}!${name}`)
    return this.zip.read(entry, { maxBytes })
  }

  close(): Promise<void> {
    return this.zip.close()
  }
}

class FolderSource implements FileSource {
  readonly kind = 'folder' as const
  private readonly sizes: Map<string, number>

  private constructor(
    readonly path: string,
    readonly files: readonly SourceFile[],
  ) {
    this.sizes = new Map(files.map((f) => [f.name, f.size]))
  }

  static async open(root: string): Promise<FolderSource> {
    const files: SourceFile[] = []
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
    for (const d of dirents) {
      if (!d.isFile()) continue
      // parentPath is the Node 20.12+ name; `path` the older one.
      const parent = (d as { parentPath?: string }).parentPath ?? (d as unknown as { path: string }).path
      const rel = path.relative(root, path.join(parent, d.name)).split(path.sep).join('/')
      files.push({ name: rel, size: -1 })
    }
    files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    return new FolderSource(root, files)
  }

  async read(name: string, maxBytes = MAX_FILE_BYTES): Promise<Buffer> {
    if (!this.sizes.has(name)) throw new CodedError('not-found', `${name} is not in ${this.path}`, name)
    const abs = path.resolve(this.path, name)
    // The name came from our own listing, but a listing is not proof: never leave the root.
    if (!abs.startsWith(this.path + path.sep))
      throw new CodedError('forbidden-path', `${name} is outside ${this.path}`)
    let fh
    try {
      fh = await fsp.open(abs, 'r')
    } catch (err) {
      throw new CodedError(
        'io-error',
        `cannot read ${abs}: ${(err as NodeJS.ErrnoException).code ?? err}`,
        abs,
      )
    }
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
    } finally {
      await fh.close()
    }
  }

  async close(): Promise<void> {}
}
