import { defineStore } from 'pinia'
import type { PairTriage } from '../../../shared/api/contract'
import { api } from '../api'

/** After a save the main process rescores the pair off the save's path: asked again after these. */
const AFTER_SAVE_MS = [300, 1500]
/** A pair not scored yet (the background pass still running) is asked again this often, this many times. */
const RETRY_MS = 2000
const RETRIES = 30

/**
 * The triage score of the pair on screen (issue #13): its score, its reasons and their regions,
 * fetched when the pair changes and again shortly after a save (the rescoring is asynchronous).
 */
export const useTriageStore = defineStore('triage', {
  state: () => ({
    id: '',
    triage: null as PairTriage | null,
    request: 0,
  }),
  actions: {
    async load(id: string, retries = RETRIES): Promise<void> {
      const request = ++this.request
      if (id !== this.id) {
        this.id = id
        this.triage = null
      }
      if (!id) return
      const r = await api.call('pair:triage', { id })
      if (request !== this.request) return
      this.triage = r.ok ? r.value : null
      if (r.ok && r.value === null && retries > 0) {
        setTimeout(() => {
          if (request === this.request) void this.load(id, retries - 1)
        }, RETRY_MS)
      }
    },
    afterSave(id: string): void {
      for (const ms of AFTER_SAVE_MS) {
        setTimeout(() => {
          if (this.id === id) void this.load(id)
        }, ms)
      }
    },
  },
})
