import { defineStore } from 'pinia'
import type { DatasetSummary, ReviewProgress, WorkspaceInfo } from '../../../shared/api/contract'
import { api } from '../api'
import { useQueueStore } from './queue'

const SCAN_POLL_MS = 1500
/** Counts with thousands separators, the same in every locale ("scoring 1,234 / 43,885"). */
const COUNT = new Intl.NumberFormat('en-US')

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
    scanText: (s): string => {
      const scan = s.info?.scan
      if (!scan) return ''
      if (scan.running) return `scanning masks ${scan.done} / ${scan.toScan}`
      return scan.problems > 0 ? `${scan.problems} mask problems` : ''
    },
    /** The triage image pass refining the scan's scores (issue #13), while it runs. */
    triageText: (s): string => {
      const t = s.info?.triage
      if (!t?.running || t.toScore === 0) return ''
      return `scoring ${COUNT.format(t.done)} / ${COUNT.format(t.toScore)}`
    },
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
      if (info.value.scan?.running || info.value.triage?.running) void this.followScan()
      return true
    },
    /**
     * Polls the background statistics scan, then the triage pass that follows it, until both end.
     * When the scan ends the queue's fractions (and mask-only scores) are refreshed; the pass's
     * progress is in `info.triage` (the pair's score view refreshes on it instead of polling).
     */
    async followScan() {
      let scanning = this.info?.scan?.running ?? false
      for (;;) {
        await new Promise((r) => setTimeout(r, SCAN_POLL_MS))
        const r = await api.call('workspace:info', undefined)
        if (!r.ok) return
        this.info = r.value
        if (scanning && !r.value.scan?.running) {
          scanning = false
          useQueueStore().invalidate()
        }
        if (!r.value.scan?.running && !r.value.triage?.running) return
      }
    },
  },
})
