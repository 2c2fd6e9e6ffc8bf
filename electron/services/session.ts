import type { OpenedPair, QueueItem, QueuePage, QueueQuery, WorkspaceInfo } from '../../shared/api/contract'
import { CodedError } from '../../shared/api/errors'
import { countLabels, type LabelMap } from '../../shared/labels/codes'
import type { Workspace } from './workspace/workspace'

/** The default queue: every pair, by id. */
export const DEFAULT_QUEUE: QueueQuery = { sort: 'id', order: 'asc' }

/** Pages of this size are read from SQLite to build a queue snapshot (the store's maximum). */
const SNAPSHOT_PAGE = 10_000

/**
 * What one app window (or one `serve` process) is working on: an open workspace and the review
 * queue. The queue is a snapshot of ids taken when it is set, so positions stay put while the
 * curator changes statuses (accepting a pair in an "unreviewed" queue must not shift the next one
 * under the cursor); statuses in pages are read fresh.
 */
export class CurationSession {
  private queueIds: string[] = []
  private queuePositions = new Map<string, number>()

  constructor(readonly workspace: Workspace) {
    this.setQueue(DEFAULT_QUEUE)
  }

  info(): WorkspaceInfo {
    const w = this.workspace
    return {
      dir: w.dir,
      curator: w.curator,
      readOnly: w.readOnly,
      readOnlyReason: w.readOnlyReason,
      progress: w.progress(),
    }
  }

  setQueue(query: QueueQuery): { total: number } {
    const ids: string[] = []
    for (let offset = 0; ; offset += SNAPSHOT_PAGE) {
      const page = this.workspace.listPairs({ ...query, offset, limit: SNAPSHOT_PAGE })
      for (const item of page.items) ids.push(item.id)
      if (page.items.length < SNAPSHOT_PAGE) break
    }
    this.queueIds = ids
    this.queuePositions = new Map(ids.map((id, i) => [id, i]))
    return { total: ids.length }
  }

  queuePage(offset: number, limit: number): QueuePage {
    const items: QueueItem[] = []
    const end = Math.min(this.queueIds.length, offset + limit)
    for (let position = offset; position < end; position++) {
      const state = this.workspace.pairState(this.queueIds[position])
      items.push({
        position,
        id: state.id,
        status: state.status,
        uncertainFraction: state.uncertainFraction,
        corrected: state.corrected,
      })
    }
    return { total: this.queueIds.length, offset, items }
  }

  queueFind(id: string): { position: number } {
    const position = this.queuePositions.get(id)
    if (position === undefined) throw new CodedError('not-found', `${id} is not in the current queue`)
    return { position }
  }

  /**
   * One pair for the editor: the image as stored, and the current mask — the corrected one when the
   * workspace has it, else the source mask with every check of Dataset.openPair (size, values,
   * challenge convention).
   */
  async openPair(id: string, challenge: 'refuse' | 'convert' = 'refuse'): Promise<OpenedPair> {
    const w = this.workspace
    const { index } = w.dataset.find(id)
    const state = w.pairState(id)
    const source = await w.dataset.openPair(index, { challenge })
    let mask: LabelMap = source.mask
    let origin: 'corrected' | 'source' = 'source'
    if (state.corrected) {
      const current = await w.readCurrentMask(id)
      if (current.map.width !== source.image.width || current.map.height !== source.image.height) {
        throw new CodedError(
          'mask-size',
          `${current.file} is ${current.map.width}×${current.map.height}, the image ${source.image.width}×${source.image.height}`,
          current.file,
        )
      }
      mask = current.map
      origin = 'corrected'
    }
    return {
      id,
      image: { name: source.image.name, mime: source.image.mime, bytes: source.image.bytes },
      mask: { width: mask.width, height: mask.height, data: mask.data, origin },
      counts: origin === 'source' ? source.counts : countLabels(mask.data),
      state,
      converted: origin === 'source' && source.converted,
    }
  }

  /** Reads the pairs around the current one into the dataset's cache, in the background. */
  prefetch(ids: readonly string[]): void {
    for (const id of ids) {
      try {
        this.workspace.dataset.prefetch(this.workspace.dataset.find(id).index)
      } catch {
        // An unknown id is only a hint gone stale.
      }
    }
  }

  async setStatus(id: string, status: Parameters<Workspace['setStatus']>[1], note?: string) {
    const state = await this.workspace.setStatus(id, status, note === undefined ? {} : { note })
    return { state, progress: this.workspace.progress() }
  }

  async setNote(id: string, note: string) {
    const current = this.workspace.pairState(id)
    const state = await this.workspace.setStatus(id, current.status, { note })
    return { state, progress: this.workspace.progress() }
  }

  async saveMask(id: string, map: LabelMap) {
    const result = await this.workspace.saveMask(id, map)
    return {
      state: this.workspace.pairState(id),
      transitions: result.transitions,
      progress: this.workspace.progress(),
    }
  }

  async close(): Promise<void> {
    await this.workspace.close()
  }
}
