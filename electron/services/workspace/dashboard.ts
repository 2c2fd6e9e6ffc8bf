/**
 * The dashboard room: one aggregate query per chart (statuses, uncertain-fraction histogram, first
 * decisions per day, decisions per day and curator, problems per code, metadata breakdown), so the
 * renderer gets a few hundred numbers whatever the dataset's size, never a row per pair.
 */
import { DASHBOARD_BINS, type DashboardData } from '../../../shared/workspace/dashboard'
import type { MetadataRoom } from './metadata'
import type { ReviewQueries } from './reviewQueries'
import type { WorkspaceContext } from './store'

const DAY_MS = 86_400_000
/** Statuses that count as decided (as ReviewProgress.reviewed counts them). */
const REVIEWED_STATUSES_SQL = `'accepted', 'corrected', 'rejected', 'flagged'`

const SQL = {
  histogram: `SELECT min(${DASHBOARD_BINS - 1}, CAST(uncertain_fraction * ${DASHBOARD_BINS} AS INTEGER)) AS bin, count(*) AS n
              FROM pairs WHERE idx IS NOT NULL AND uncertain_fraction IS NOT NULL GROUP BY bin`,
  // The day each pair was first decided (an audit event into a reviewed status).
  firstDecisions: `SELECT day, count(*) AS n FROM
                     (SELECT min(at) / ${DAY_MS} AS day FROM events
                      WHERE kind IN ('status', 'save') AND to_status IN (${REVIEWED_STATUSES_SQL}) GROUP BY pair_id)
                   GROUP BY day ORDER BY day`,
  decisions: `SELECT at / ${DAY_MS} AS day, curator, count(*) AS n FROM events
              WHERE kind IN ('status', 'save') GROUP BY day, curator ORDER BY day, curator`,
  // The triage score (schema v3, triage room): a column that older schemas lack.
  hasScore: `SELECT count(*) FROM pragma_table_info('pairs') WHERE name = 'triage_score'`,
  scoreHistogram: `SELECT min(${DASHBOARD_BINS - 1}, max(0, CAST(triage_score * ${DASHBOARD_BINS} AS INTEGER))) AS bin, count(*) AS n
                   FROM pairs WHERE idx IS NOT NULL AND triage_score IS NOT NULL GROUP BY bin`,
  problems: `SELECT scan_error AS code, count(*) AS n FROM pairs
             WHERE idx IS NOT NULL AND scan_error IS NOT NULL GROUP BY scan_error ORDER BY n DESC, code`,
} as const

/** Bins of a [0, 1] value from `bin, n` rows; null when there are none. */
function binned(rows: readonly { bin: number; n: number }[]): number[] | null {
  if (rows.length === 0) return null
  const out = new Array<number>(DASHBOARD_BINS).fill(0)
  for (const r of rows) out[r.bin] = r.n
  return out
}

const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10)

export class DashboardRoom {
  readonly #ctx: WorkspaceContext
  readonly #queries: ReviewQueries
  readonly #metadata: MetadataRoom

  constructor(ctx: WorkspaceContext, queries: ReviewQueries, metadata: MetadataRoom) {
    this.#ctx = ctx
    this.#queries = queries
    this.#metadata = metadata
  }

  /** The triage score's histogram once any pair has a score (null before, or on older schemas). */
  #scoreHistogram(): number[] | null {
    const store = this.#ctx.store
    if ((store.statement(SQL.hasScore, 'pluck').get() as number) === 0) return null
    return binned(store.statement(SQL.scoreHistogram).all() as { bin: number; n: number }[])
  }

  data(): DashboardData {
    const store = this.#ctx.store
    const progress = this.#queries.progress()
    const uncertainHistogram = new Array<number>(DASHBOARD_BINS).fill(0)
    let scanned = 0
    for (const b of store.statement(SQL.histogram).all() as { bin: number; n: number }[]) {
      uncertainHistogram[b.bin] = b.n
      scanned += b.n
    }
    const firstDecisions = (store.statement(SQL.firstDecisions).all() as { day: number; n: number }[]).map(
      (r) => ({ day: isoDay(r.day), pairs: r.n }),
    )
    const decisions = (
      store.statement(SQL.decisions).all() as { day: number; curator: string; n: number }[]
    ).map((r) => ({ day: isoDay(r.day), curator: r.curator, events: r.n }))
    const problems = (store.statement(SQL.problems).all() as { code: string; n: number }[]).map((r) => ({
      code: r.code,
      pairs: r.n,
    }))
    const report = this.#ctx.dataset.report()
    const pairingProblems = [
      { code: 'no-image', count: report.masksWithoutImage.length },
      { code: 'no-mask', count: report.imagesWithoutMask.length },
      { code: 'duplicate-id', count: report.duplicates.length },
      { code: 'source-error', count: report.sources.filter((s) => s.error).length },
    ].filter((p) => p.count > 0)
    return {
      total: progress.total,
      byStatus: progress.byStatus,
      scanned,
      uncertainHistogram,
      scoreHistogram: this.#scoreHistogram(),
      firstDecisions,
      decisions,
      problems,
      pairingProblems,
      metadata: this.#metadata.breakdown(),
    }
  }
}
