/**
 * The review queries of a workspace: pair states, pages of the pair list (SQL built by
 * pairQuery.ts), audit events, progress and statistics. Reads only: synchronous SQLite queries on
 * indexes, statements prepared once.
 */
import { CodedError } from '../../../shared/api/errors'
import type {
  PairState,
  PairStatus,
  ReviewProgress,
  Transition,
  WorkspaceEvent,
} from '../../../shared/workspace/review'
import { listStatements, pairWhere, type PairFilter } from './pairQuery'
import { HISTOGRAM_BINS, emptyByStatus, stateOf, type EventRow, type ListRow, type PairRow } from './rows'
import type { WorkspaceContext } from './store'
import type { EventQuery, PairListItem, PairListPage, PairQuery, WorkspaceStats } from './types'

const SQL = {
  progress: `SELECT status, count(*) AS n FROM pairs WHERE idx IS NOT NULL GROUP BY status`,
  aggregates: `SELECT count(uncertain_fraction) AS scanned,
                      count(scan_error) AS problems,
                      count(CASE WHEN uncertain_fraction IS NULL AND scan_error IS NOT NULL THEN 1 END) AS failed,
                      total(uncertain) AS unc,
                      total(CASE WHEN status IN ('unreviewed', 'skipped') THEN uncertain END) AS uncOpen,
                      count(CASE WHEN uncertain = 0 THEN 1 END) AS zero
               FROM pairs WHERE idx IS NOT NULL`,
  histogram: `SELECT min(${HISTOGRAM_BINS - 1}, CAST(uncertain_fraction * ${HISTOGRAM_BINS} AS INTEGER)) AS bin, count(*) AS n
              FROM pairs WHERE idx IS NOT NULL AND uncertain_fraction IS NOT NULL GROUP BY bin`,
  problemCodes: `SELECT scan_error AS code, count(*) AS n FROM pairs
                 WHERE idx IS NOT NULL AND scan_error IS NOT NULL GROUP BY scan_error ORDER BY n DESC, code`,
  statesWhere: (where: string) => `SELECT * FROM pairs WHERE ${where} ORDER BY id`,
  idsWhere: (where: string) => `SELECT id FROM pairs WHERE ${where} ORDER BY id`,
  events: (where: string) => `SELECT * FROM events ${where} ORDER BY seq DESC LIMIT ?`,
  changedSince: `SELECT count(DISTINCT e.pair_id) FROM events e JOIN pairs p ON p.id = e.pair_id
                 WHERE e.seq > ? AND p.idx IS NOT NULL`,
} as const

export class ReviewQueries {
  readonly #ctx: WorkspaceContext

  constructor(ctx: WorkspaceContext) {
    this.#ctx = ctx
  }

  /** The review state of one pair (`not-found` for an id the dataset does not hold). */
  pairState(id: string): PairState {
    const { index } = this.#ctx.dataset.find(id)
    return stateOf(index, id, this.#ctx.store.row(id))
  }

  /** The review state of every pair matching a filter, in id order, from one query. */
  pairStates(query: PairFilter = {}): PairState[] {
    const { where, params } = pairWhere(query)
    const rows = this.#ctx.store.statement(SQL.statesWhere(where)).all(...params) as PairRow[]
    const states: PairState[] = []
    for (const row of rows) {
      const index = this.#indexOf(row.id)
      if (index !== undefined) states.push(stateOf(index, row.id, row))
    }
    return states
  }

  /** A page of pairs, filtered and sorted in SQLite on indexes (see Workspace.listPairs). */
  listPairs(query: PairQuery = {}): PairListPage {
    const offset = query.offset ?? 0
    const limit = query.limit ?? 100
    if (!Number.isInteger(offset) || offset < 0)
      throw new CodedError('bad-request', 'offset must be an integer ≥ 0')
    if (!Number.isInteger(limit) || limit < 0 || limit > 10_000)
      throw new CodedError('bad-request', 'limit must be an integer from 0 to 10000')
    const order = query.order ?? 'asc'
    if (order !== 'asc' && order !== 'desc') throw new CodedError('bad-request', `order must be asc or desc`)
    const sort = query.sort ?? 'id'
    if (sort !== 'id' && sort !== 'uncertain' && sort !== 'score')
      throw new CodedError('bad-request', `sort must be id, uncertain or score`)
    const sql = listStatements(query, sort, order)
    const params = sql.params
    const store = this.#ctx.store
    const count = (q: string) => store.statement(q, 'pluck').get(...params) as number
    const page = (q: string, lim: number, off: number) =>
      store.statement(q).all(...params, lim, off) as ListRow[]
    const total = count(sql.count)
    let rows: ListRow[] = []
    if (sql.byId !== undefined) rows = page(sql.byId, limit, offset)
    else {
      // Scanned pairs in fraction order (one index range), then the unscanned ones by id.
      const scanned = count(sql.scannedCount as string)
      if (offset < scanned) rows = page(sql.scanned as string, limit, offset)
      if (rows.length < limit && offset + rows.length >= scanned) {
        rows = rows.concat(page(sql.unscanned as string, limit - rows.length, Math.max(0, offset - scanned)))
      }
    }
    const items: PairListItem[] = []
    for (const r of rows) {
      // Absent: a read-only workspace whose sources changed since the last writable opening.
      const index = this.#indexOf(r.id)
      if (index === undefined) continue
      items.push({
        index,
        id: r.id,
        status: r.status,
        uncertainFraction: r.uncertain_fraction,
        corrected: r.corrected === 1,
      })
    }
    return { total, offset, items }
  }

  /** Every id matching a filter, in id order (for bulk decisions). */
  listIds(query: PairFilter = {}): string[] {
    const { where, params } = pairWhere(query)
    return this.#ctx.store.statement(SQL.idsWhere(where), 'pluck').all(...params) as string[]
  }

  /** How many pairs of the dataset have an audit event after `seq` (one query, no event parsed). */
  pairsChangedSince(seq: number): number {
    return this.#ctx.store.statement(SQL.changedSince, 'pluck').get(seq) as number
  }

  /** Audit events, newest first: of one pair, or of the whole workspace. */
  events(id?: string, query: EventQuery = {}): WorkspaceEvent[] {
    const limit = query.limit ?? 1000
    if (!Number.isInteger(limit) || limit < 0)
      throw new CodedError('bad-request', 'limit must be an integer ≥ 0')
    const conds: string[] = []
    const params: unknown[] = []
    if (id !== undefined) {
      conds.push('pair_id = ?')
      params.push(id)
    }
    if (query.beforeSeq !== undefined) {
      conds.push('seq < ?')
      params.push(query.beforeSeq)
    }
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : ''
    const rows = this.#ctx.store.statement(SQL.events(where)).all(...params, limit) as EventRow[]
    return rows.map((r) => ({
      seq: r.seq,
      at: new Date(r.at).toISOString(),
      curator: r.curator,
      id: r.pair_id,
      kind: r.kind,
      from: r.from_status,
      to: r.to_status,
      note: r.note,
      transitions: r.transitions
        ? (JSON.parse(r.transitions) as [Transition['from'], Transition['to'], number][]).map(
            ([from, to, pixels]) => ({ from, to, pixels }),
          )
        : [],
      maskSha256: r.mask_sha256,
      recovered: r.recovered === 1,
    }))
  }

  /** Counts per status and the number of decided pairs, over the pairs of the open dataset. */
  progress(): ReviewProgress {
    const byStatus = emptyByStatus()
    const rows = this.#ctx.store.statement(SQL.progress).all() as { status: PairStatus; n: number }[]
    for (const r of rows) byStatus[r.status] = r.n
    const total = this.#ctx.dataset.size
    // Pairs the dataset holds but a read-only database has not seen yet are unreviewed.
    const known = rows.reduce((a, r) => a + r.n, 0)
    if (known < total) byStatus.unreviewed += total - known
    const reviewed = byStatus.accepted + byStatus.corrected + byStatus.rejected + byStatus.flagged
    return { total, reviewed, byStatus }
  }

  /** Review progress plus statistics of the current masks (see WorkspaceStats). */
  stats(): WorkspaceStats {
    const progress = this.progress()
    const agg = this.#ctx.store.statement(SQL.aggregates).get() as {
      scanned: number
      problems: number
      failed: number
      unc: number
      uncOpen: number
      zero: number
    }
    const histogram = new Array<number>(HISTOGRAM_BINS).fill(0)
    const bins = this.#ctx.store.statement(SQL.histogram).all() as { bin: number; n: number }[]
    for (const b of bins) histogram[b.bin] = b.n
    const codes = this.#ctx.store.statement(SQL.problemCodes).all() as { code: string; n: number }[]
    return {
      ...progress,
      scanned: agg.scanned,
      scanProblems: agg.problems,
      scanProblemCodes: Object.fromEntries(codes.map((c) => [c.code, c.n])),
      scanFailed: agg.failed,
      unscanned: progress.total - agg.scanned - agg.failed,
      uncertainHistogram: histogram,
      noUncertain: agg.zero,
      uncertainPixels: agg.unc,
      uncertainPixelsUndecided: agg.uncOpen,
    }
  }

  #indexOf(id: string): number | undefined {
    try {
      return this.#ctx.dataset.find(id).index
    } catch {
      return undefined
    }
  }
}
