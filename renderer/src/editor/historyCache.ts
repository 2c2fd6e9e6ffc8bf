import { History } from '../../../shared/labels/history'

/** How many pairs keep their undo history while the curator moves between pairs. */
export const HISTORIES_KEPT = 50

/**
 * Undo histories by pair id, so that going back to a pair brings its undo steps back (napari's
 * "history that resets when the view changes" is what to avoid). The least recently opened pair's
 * history is dropped first once more than `kept` pairs have one.
 */
export class HistoryCache {
  private readonly histories = new Map<string, History>()

  constructor(readonly kept = HISTORIES_KEPT) {}

  /** The history of pair `id` (a new one the first time), now the most recently used. */
  historyFor(id: string): History {
    let h = this.histories.get(id)
    if (h) this.histories.delete(id)
    else h = new History()
    this.histories.set(id, h)
    while (this.histories.size > this.kept)
      this.histories.delete(this.histories.keys().next().value as string)
    return h
  }

  has(id: string): boolean {
    return this.histories.has(id)
  }

  get size(): number {
    return this.histories.size
  }

  /** Forgets every history (another workspace: the same ids may name other masks). */
  clear(): void {
    this.histories.clear()
  }
}
