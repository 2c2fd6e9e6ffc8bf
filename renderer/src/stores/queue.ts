import { defineStore } from 'pinia'
import type { QueueItem, QueueQuery } from '../../../shared/api/contract'
import { api } from '../api'
import { usePairStore } from './pair'

export const QUEUE_PAGE = 200

/** The `queue:set` in flight (queries are sent one at a time). */
let setTail: Promise<unknown> = Promise.resolve()

export const DEFAULT_QUERY: QueueQuery = { sort: 'id', order: 'asc' }

/**
 * The review queue: which pairs, in what order, and where the curator is in it. The main process
 * holds the queue as a snapshot of ids (so positions stay put as statuses change); this store keeps
 * the query, the length and the pages seen so far (a few hundred items each, never all 43,885).
 */
export const useQueueStore = defineStore('queue', {
  state: () => ({
    query: { ...DEFAULT_QUERY } as QueueQuery,
    total: 0,
    /** Pages of items by page number; refreshed when statuses change. */
    pages: new Map<number, QueueItem[]>(),
    /** Bumped when pages are dropped, so virtual lists re-request what they show. */
    generation: 0,
    /**
     * A new query is being answered (at 43,885 pairs `queue:set` takes about a second): the list
     * and the count still hold the previous query's result, so the panel shows them as busy, never
     * as the new result.
     */
    busy: false,
    /** Increases with every query asked; an answer to an older one is dropped (the newest wins). */
    asked: 0,
  }),
  actions: {
    /**
     * Asks for a new queue; false when it was refused, failed, or a newer query was asked before
     * its answer came (that answer is dropped: the newest query's result is the one shown). Refused
     * while an assisted proposal is on preview (the pair store says why in its banner): the next
     * step, opening the new queue's first pair, would have to apply or drop it.
     */
    async setQuery(query: QueueQuery): Promise<boolean> {
      if (usePairStore().refusedInPreview('another queue')) return false
      const asked = ++this.asked
      this.busy = true
      // One at a time, in the order asked, so the main process's snapshot is always the newest
      // query's (over HTTP two requests in flight may arrive in any order); a query superseded
      // before its turn is never sent.
      const run = setTail.then(() => (asked === this.asked ? api.call('queue:set', query) : null))
      setTail = run.catch(() => null)
      const r = await run
      if (asked !== this.asked) return false
      this.busy = false
      if (!r?.ok) return false
      this.query = { ...query }
      this.total = r.value.total
      this.invalidate()
      void api.call('ui:set', { key: 'queue', value: JSON.parse(JSON.stringify(query)) as unknown })
      return true
    },
    invalidate() {
      this.pages = new Map()
      this.generation++
    },
    async loadPage(page: number): Promise<QueueItem[] | null> {
      const have = this.pages.get(page)
      if (have) return have
      const generation = this.generation
      const r = await api.call('queue:page', { offset: page * QUEUE_PAGE, limit: QUEUE_PAGE })
      if (!r.ok || generation !== this.generation) return null
      this.pages.set(page, r.value.items)
      this.total = r.value.total
      return r.value.items
    },
    async idAt(position: number): Promise<string | null> {
      if (position < 0 || position >= this.total) return null
      const items = await this.loadPage(Math.floor(position / QUEUE_PAGE))
      return items?.[position % QUEUE_PAGE]?.id ?? null
    },
    /**
     * Updates the item of pair `id` in place after its status changed (no refetch of the page); by
     * id, not position: the queue may have changed since (another filter). Looks only through the
     * pages seen (a few hundred items each).
     */
    patchItem(id: string, patch: Partial<QueueItem>) {
      for (const items of this.pages.values()) {
        const item = items.find((it) => it.id === id)
        if (item) {
          Object.assign(item, patch)
          return
        }
      }
    },
  },
})
