import { DEFAULT_HISTORY_BYTES, History } from '../../../shared/labels/history'

/** How many pairs keep their undo history while the curator moves between pairs. */
export const HISTORIES_KEPT = 50

/**
 * Bytes all kept histories may hold together (their undo and redo steps and an open stroke's
 * patches, as patchBytes counts them). Without it, 50 histories of up to 256 MiB each could hold
 * ~12.8 GB of a 24-megapixel pair's steps in the renderer.
 */
export const HISTORY_CACHE_BYTES = 512 * 1024 * 1024

/**
 * Undo histories by pair id, so that going back to a pair brings its undo steps back (napari's
 * "history that resets when the view changes" is what to avoid). Two limits, least recently opened
 * pair first: no more than `kept` histories, and no more than `maxBytes` held by all of them
 * together, checked whenever a history grows. The current pair's history (the one last handed out)
 * is never dropped; each history also keeps its own per-pair budget (at most `maxBytes`). A dropped
 * history is cleared, so its bytes go even if something still holds it; the pair reopens with an
 * empty history.
 */
export class HistoryCache {
  private readonly histories = new Map<string, History>()
  private readonly perPairBytes: number

  constructor(
    readonly kept = HISTORIES_KEPT,
    readonly maxBytes = HISTORY_CACHE_BYTES,
  ) {
    this.perPairBytes = Math.min(DEFAULT_HISTORY_BYTES, maxBytes)
  }

  /** The history of pair `id` (a new one the first time), now the most recently used and current. */
  historyFor(id: string): History {
    let h = this.histories.get(id)
    if (h) this.histories.delete(id)
    else h = new History({ maxBytes: this.perPairBytes, onGrow: () => this.trim() })
    this.histories.set(id, h)
    while (this.histories.size > this.kept) this.drop(this.histories.keys().next().value as string)
    this.trim()
    return h
  }

  has(id: string): boolean {
    return this.histories.has(id)
  }

  get size(): number {
    return this.histories.size
  }

  /** Bytes all kept histories hold (History.heldBytes). */
  get bytes(): number {
    let total = 0
    for (const h of this.histories.values()) total += h.heldBytes
    return total
  }

  /** Forgets every history (another workspace: the same ids may name other masks). */
  clear(): void {
    this.histories.clear()
  }

  /** Drops the least recently used histories that hold bytes, never the current one, until within budget. */
  private trim(): void {
    let total = this.bytes
    if (total <= this.maxBytes) return
    let current: string | undefined
    for (const id of this.histories.keys()) current = id
    for (const [id, h] of this.histories) {
      if (total <= this.maxBytes) break
      const held = h.heldBytes
      if (id === current || held === 0) continue
      total -= held
      this.drop(id)
    }
  }

  private drop(id: string): void {
    this.histories.get(id)?.clear()
    this.histories.delete(id)
  }
}
