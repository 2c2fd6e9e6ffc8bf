import { defineStore } from 'pinia'
import { markRaw, shallowRef } from 'vue'
import type { DatasetSummary } from '../../../shared/api/contract'
import type { LabelCounts, LabelMap } from '../../../shared/labels/codes'
import { api } from '../api'
import { decodeImage } from '../editor/decodeImage'

/** The heavy data of the open pair: kept out of reactivity (markRaw), swapped as a whole. */
export interface LoadedPair {
  index: number
  id: string
  image: ImageBitmap
  map: LabelMap
}

/** Non-reactive holder the canvas watches; Pinia keeps only small UI state. */
export const loadedPair = shallowRef<LoadedPair | null>(null)

export const usePairStore = defineStore('pairs', {
  state: () => ({
    summary: null as DatasetSummary | null,
    index: -1,
    id: '',
    total: 0,
    counts: null as LabelCounts | null,
    loading: false,
    error: null as { code: string; message: string } | null,
    /** Increases with every navigation; answers to older requests are dropped. */
    request: 0,
  }),
  getters: {
    position: (s) => (s.index >= 0 ? `${s.index + 1} / ${s.total}` : `– / ${s.total}`),
    canPrev: (s) => s.index > 0,
    canNext: (s) => s.index >= 0 && s.index < s.total - 1,
  },
  actions: {
    async init() {
      const r = await api.call('dataset:summary', undefined)
      if (!r.ok) {
        this.error = r.error
        return
      }
      this.summary = r.value
      this.total = r.value.pairCount
      if (this.total > 0) await this.open(0)
    },
    async open(index: number) {
      if (index < 0 || index >= this.total) return
      const request = ++this.request
      this.index = index
      this.loading = true
      const r = await api.call('pair:open', { index })
      if (request !== this.request) return
      if (!r.ok) {
        this.loading = false
        this.error = r.error
        this.id = ''
        this.counts = null
        loadedPair.value = null
        return
      }
      const pair = r.value
      let image: ImageBitmap
      try {
        image = await decodeImage(pair.image.bytes, pair.image.mime)
      } catch (err) {
        if (request !== this.request) return
        this.loading = false
        this.error = { code: 'image-corrupt', message: `${pair.image.name}: ${String(err)}` }
        loadedPair.value = null
        return
      }
      if (request !== this.request) {
        image.close()
        return
      }
      loadedPair.value?.image.close()
      loadedPair.value = markRaw({ index, id: pair.id, image, map: pair.mask })
      this.id = pair.id
      this.total = pair.total
      this.counts = pair.counts
      this.error = null
      this.loading = false
    },
    next() {
      if (this.canNext) return this.open(this.index + 1)
    },
    prev() {
      if (this.canPrev) return this.open(this.index - 1)
    },
  },
})
