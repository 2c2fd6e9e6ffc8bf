/**
 * The list of recently opened workspaces, most recent first. It lives outside any workspace, in a
 * JSON file of the app's user-data folder (e.g. `<userData>/settings.json`, key
 * `recentWorkspaces`); other keys of that file are preserved. Writes are atomic.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { atomicWriteFile } from '../fs/atomicWrite'
import { makeFolder } from '../fs/paths'

export const RECENT_KEY = 'recentWorkspaces'
export const RECENT_MAX = 10

export class RecentWorkspaces {
  /** Serialises the read-modify-write cycles of this instance. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(
    readonly file: string,
    readonly max = RECENT_MAX,
  ) {}

  /** The folders, most recent first (absolute paths; a missing or unreadable file gives []). */
  async list(): Promise<string[]> {
    const { list } = await this.#read()
    return list
  }

  /** Puts `dir` first (moving it up if already listed); keeps at most `max`. */
  add(dir: string): Promise<string[]> {
    const abs = path.resolve(dir)
    return this.#update((list) => [abs, ...list.filter((d) => d !== abs)].slice(0, this.max))
  }

  remove(dir: string): Promise<string[]> {
    const abs = path.resolve(dir)
    return this.#update((list) => list.filter((d) => d !== abs))
  }

  #update(change: (list: string[]) => string[]): Promise<string[]> {
    const run = this.#queue.then(async () => {
      const { doc, list } = await this.#read()
      const next = change(list)
      doc[RECENT_KEY] = next
      await makeFolder(path.dirname(this.file))
      await atomicWriteFile(this.file, Buffer.from(JSON.stringify(doc, null, 2) + '\n'))
      return next
    })
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #read(): Promise<{ doc: Record<string, unknown>; list: string[] }> {
    let doc: Record<string, unknown> = {}
    try {
      const parsed = JSON.parse(await fsp.readFile(this.file, 'utf8')) as unknown
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        doc = parsed as Record<string, unknown>
    } catch {
      // Missing or damaged: start afresh (the list is a convenience, not data).
    }
    const raw = doc[RECENT_KEY]
    const list = Array.isArray(raw)
      ? [...new Set(raw.filter((d): d is string => typeof d === 'string' && path.isAbsolute(d)))].slice(
          0,
          this.max,
        )
      : []
    return { doc, list }
  }
}
