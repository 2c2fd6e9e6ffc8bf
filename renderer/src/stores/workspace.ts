import { defineStore } from 'pinia'
import type { DatasetSummary, ReviewProgress, WorkspaceInfo } from '../../../shared/api/contract'
import { api } from '../api'
import { useQueueStore } from './queue'

const SCAN_POLL_MS = 1500
/** After a failed poll the next waits twice as long, up to this. */
const SCAN_POLL_MAX_MS = 10_000
/** Failed polls in a row after which the last progress is no longer shown as running. */
const POLL_FAILURES_STALE = 3

/** The running followScan loop: a newer one (after a reload) ends the older. */
let following = 0
/** Counts with thousands separators, the same in every locale ("scoring 1,234 / 43,885"). */
const COUNT = new Intl.NumberFormat('en-US')

/** The open workspace: where it is, who curates, and how far the review has come. */
export const useWorkspaceStore = defineStore('workspace', {
  state: () => ({
    info: null as WorkspaceInfo | null,
    summary: null as DatasetSummary | null,
    progress: null as ReviewProgress | null,
    error: null as { code: string; message: string } | null,
    /** The progress polls keep failing: `info`'s running flags are stale and not shown. */
    infoStale: false,
  }),
  getters: {
    progressText: (s) => (s.progress ? `${s.progress.reviewed} / ${s.progress.total} reviewed` : ''),
    progressFraction: (s) =>
      s.progress && s.progress.total > 0 ? s.progress.reviewed / s.progress.total : 0,
    scanText: (s): string => {
      const scan = s.info?.scan
      if (!scan || s.infoStale) return ''
      if (scan.running) return `scanning masks ${scan.done} / ${scan.toScan}`
      return scan.problems > 0 ? `${scan.problems} mask problems` : ''
    },
    /** The triage image pass refining the scan's scores (issue #13), while it runs. */
    triageText: (s): string => {
      const t = s.info?.triage
      if (s.infoStale || !t?.running || t.toScore === 0) return ''
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
      this.infoStale = false
      this.progress = info.value.progress
      if (summary.ok) this.summary = summary.value
      if (info.value.scan?.running || info.value.triage?.running) void this.followScan()
      return true
    },
    /**
     * Polls the background statistics scan, then the triage pass that follows it, until both end.
     * When the scan ends the queue's fractions (and mask-only scores) are refreshed; the pass's
     * progress is in `info.triage` (the pair's score view refreshes on it instead of polling).
     * A failed poll is retried with a doubling delay (at most SCAN_POLL_MAX_MS); after a few in a
     * row the stale progress is no longer shown as running, until a poll answers again.
     */
    async followScan() {
      const self = ++following
      let scanning = this.info?.scan?.running ?? false
      let failures = 0
      for (;;) {
        const wait = Math.min(SCAN_POLL_MS * 2 ** failures, SCAN_POLL_MAX_MS)
        await new Promise((r) => setTimeout(r, wait))
        if (self !== following) return
        const r = await api.call('workspace:info', undefined).catch(() => null)
        if (self !== following) return
        if (!r?.ok) {
          failures = Math.min(failures + 1, 16)
          if (failures >= POLL_FAILURES_STALE) this.infoStale = true
          continue
        }
        failures = 0
        this.infoStale = false
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
