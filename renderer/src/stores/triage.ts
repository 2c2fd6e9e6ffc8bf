import { defineStore } from 'pinia'
import type { PairTriage } from '../../../shared/api/contract'
import { api } from '../api'

/**
 * After a save the main process rescores the pair off the save's path (the save clears the old
 * score): asked again after each of these delays while the pair has no score yet, ~40 s in all.
 */
const AFTER_SAVE_MS = [300, 700, 1500, 3000, 5000, 10_000, 10_000, 10_000]

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
    /** The latest save followed by afterSave: a newer save (or pair) ends the older's follow-up. */
    saveFollow: 0,
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
    /**
     * The image pass progressed: ask again, unless this pair already has its image score (after a
     * save it has none until the rescore commits, so it is asked again).
     */
    refresh(): void {
      if (this.id && !this.triage?.withImage) void this.load(this.id)
    },
    /**
     * A save of `id` committed: its old score is gone, so none is shown, and the pair is asked for
     * its new score until it has one (the image pass's progress may never move again).
     */
    afterSave(id: string): void {
      const follow = ++this.saveFollow
      if (this.id === id) {
        this.request++
        this.triage = null
      }
      const ask = async (step: number): Promise<void> => {
        if (this.id !== id || follow !== this.saveFollow) return
        await this.load(id)
        if (this.id !== id || follow !== this.saveFollow || this.triage !== null) return
        if (step + 1 < AFTER_SAVE_MS.length) setTimeout(() => void ask(step + 1), AFTER_SAVE_MS[step + 1])
      }
      setTimeout(() => void ask(0), AFTER_SAVE_MS[0])
    },
  },
})
