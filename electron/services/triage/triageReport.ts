/**
 * The triage listing (issue #13) the CLI and scripts read: the missing part computed first (the
 * statistics scan, then the triage pass, when the workspace is writable), then every scored pair,
 * highest score first, optionally only those with a reason and the first N.
 */
import os from 'node:os'
import { CodedError } from '../../../shared/api/errors'
import {
  TRIAGE_REASON_CODES,
  type PairTriage,
  type TriagePassProgress,
} from '../../../shared/workspace/triage'
import type { StatsScanProgress, Workspace } from '../workspace/workspace'

export interface TriageReportOptions {
  /** Only the first N (after the reason filter). */
  top?: number
  /** Only pairs whose score gives this reason. */
  reason?: string
  signal?: AbortSignal
  onStatsProgress?(p: StatsScanProgress): void
  onTriageProgress?(p: TriagePassProgress): void
  /** Worker threads of the pass (default: the available cores). */
  workers?: number
}

export interface TriageReport {
  pairs: PairTriage[]
  /** Pairs with statistics left without a score (a read-only workspace not scored yet, an interrupted pass). */
  unscored: number
  /** The run stopped early (Ctrl-C): what was done is kept. */
  aborted: boolean
}

export function checkReason(reason: string | undefined): void {
  if (reason !== undefined && !(TRIAGE_REASON_CODES as readonly string[]).includes(reason)) {
    throw new CodedError(
      'bad-request',
      `unknown reason ${JSON.stringify(reason)} (reasons: ${TRIAGE_REASON_CODES.join(', ')})`,
    )
  }
}

export async function triageReport(
  workspace: Workspace,
  options: TriageReportOptions = {},
): Promise<TriageReport> {
  checkReason(options.reason)
  if (options.top !== undefined && (!Number.isInteger(options.top) || options.top < 0)) {
    throw new CodedError('bad-request', '--top must be an integer ≥ 0')
  }
  let aborted = false
  if (!workspace.readOnly) {
    const stats = await workspace.startStatsScan({
      signal: options.signal,
      onProgress: options.onStatsProgress,
    })
    aborted = stats.aborted
    if (!aborted) {
      const cores =
        typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
      const pass = await workspace.startTriagePass({
        signal: options.signal,
        onProgress: options.onTriageProgress,
        workers: options.workers ?? cores,
      })
      aborted = pass.aborted
    }
  }
  let pairs = workspace.triageAll()
  const reason = options.reason
  if (reason !== undefined) pairs = pairs.filter((p) => p.reasons.some((r) => r.code === reason))
  if (options.top !== undefined) pairs = pairs.slice(0, options.top)
  return { pairs, unscored: workspace.triageUnscoredCount(), aborted }
}
