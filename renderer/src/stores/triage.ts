import { defineStore } from 'pinia'
import type { PairTriage } from '../../../shared/api/contract'
import { api } from '../api'

/** After a save the main process rescores the pair off the save's path: asked again after these. */
const AFTER_SAVE_MS = [300, 1500]

/**
 * The triage score of the pair on screen (issue #13): its score, its reasons and their regions,
 * fetched when the pair changes, again shortly after a save (the rescoring is asynchronous), and
 * when the background image pass moves on while this pair still has no image score (`refresh`,
 * driven by the pass's progress in workspace:info — no polling of its own).
 */
export const useTriageStore = defineStore('triage', {
  state: () => ({
    id: '',
    triage: null as PairTriage | null,
    request: 0,
  }),
  actions: {
    async load(id: string): Promise<void> {
      const request = ++this.request
      if (id !== this.id) {
        this.id = id
        this.triage = null
      }
      if (!id) return
      const r = await api.call('pair:triage', { id })
      if (request !== this.request) return
      this.triage = r.ok ? r.value : null
    },
    /** The image pass progressed: ask again, unless this pair already has its image score. */
    refresh(): void {
      if (this.id && !this.triage?.withImage) void this.load(this.id)
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
