import { defineStore } from 'pinia'
import type { DatasetSummary, ReviewProgress, WorkspaceInfo } from '../../../shared/api/contract'
import { api } from '../api'

/** The open workspace: where it is, who curates, and how far the review has come. */
export const useWorkspaceStore = defineStore('workspace', {
  state: () => ({
    info: null as WorkspaceInfo | null,
    summary: null as DatasetSummary | null,
    progress: null as ReviewProgress | null,
    error: null as { code: string; message: string } | null,
  }),
  getters: {
    progressText: (s) => (s.progress ? `${s.progress.reviewed} / ${s.progress.total} reviewed` : ''),
    progressFraction: (s) =>
      s.progress && s.progress.total > 0 ? s.progress.reviewed / s.progress.total : 0,
  },
  actions: {
    async load(): Promise<boolean> {
      const [info, summary] = await Promise.all([
        api.call('workspace:info', undefined),
        api.call('dataset:summary', undefined),
      ])
      if (!info.ok) {
        this.error = info.error
        return false
      }
      this.info = info.value
      this.progress = info.value.progress
      if (summary.ok) this.summary = summary.value
      return true
    },
  },
})
