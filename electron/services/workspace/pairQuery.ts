/**
 * The SQL of pair listings, built from a query. Every statement filters on indexed columns and,
 * for the common listings (all pairs or one status, by id or by uncertain fraction, with or without
 * a fraction range), reads one covering index in order: a page costs the index steps up to
 * offset + limit, never a sort of the whole set (tests check the query plans).
 */
import { CodedError } from '../../../shared/api/errors'
import type { MetadataCondition } from '../../../shared/workspace/dashboard'
import { isPairStatus, type PairStatus } from '../../../shared/workspace/review'

export interface PairFilter {
  /** One status or any of several. */
  status?: PairStatus | readonly PairStatus[]
  /** Inclusive bounds on the uncertain fraction (pairs not yet scanned never match). */
  uncertainMin?: number
  uncertainMax?: number
  /** Metadata conditions, all of which must hold (see metadata.ts; columns are checked there). */
  metadata?: readonly MetadataCondition[]
  /** Only pairs whose source mask the scan found this problem in (its code). */
  problem?: string
  /**
   * Leave out pairs whose source mask has a scan problem (wrong size, challenge convention…) and no
   * corrected mask: what a bulk decision by rule must not decide.
   */
  withoutProblem?: boolean
  /** Only pairs whose triage score has this reason (a code of TRIAGE_REASON_CODES). */
  reason?: string
  /** Inclusive bounds on the triage score (pairs not yet scored never match). */
  scoreMin?: number
  scoreMax?: number
  /**
   * Only these pairs (the curator's team assignments: a few hundred ids at most, looked up by the
   * primary key; a listing by fraction or score then sorts that small set instead of walking an
   * index of every pair).
   */
  ids?: readonly string[]
}

/** The columns of a listing row; `mask_size` is set exactly when a corrected mask exists. */
export const LIST_COLUMNS = 'id, status, uncertain_fraction, mask_size IS NOT NULL AS corrected'

/** The WHERE clause (pairs of the open dataset only) and its parameters. */
export function pairWhere(filter: PairFilter): { where: string; params: unknown[] } {
  const conds = ['idx IS NOT NULL']
  const params: unknown[] = []
  if (filter.status !== undefined) {
    const list = typeof filter.status === 'string' ? [filter.status] : [...filter.status]
    for (const s of list) {
      if (!isPairStatus(s)) throw new CodedError('bad-request', `unknown status ${JSON.stringify(s)}`)
    }
    if (list.length === 0) conds.push('0')
    else if (list.length === 1) conds.push('status = ?')
    else conds.push(`status IN (${list.map(() => '?').join(', ')})`)
    params.push(...list)
  }
  for (const [key, op, col] of [
    ['uncertainMin', '>=', 'uncertain_fraction'],
    ['uncertainMax', '<=', 'uncertain_fraction'],
    ['scoreMin', '>=', 'triage_score'],
    ['scoreMax', '<=', 'triage_score'],
  ] as const) {
    const v = filter[key]
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new CodedError('bad-request', `${key} must be a number`)
    }
    conds.push(`${col} ${op} ?`)
    params.push(v)
  }
  for (const m of filter.metadata ?? []) {
    if (m.values.length === 0) {
      conds.push('0')
      continue
    }
    conds.push(
      `id IN (SELECT pair_id FROM metadata WHERE col = ? AND value IN (${m.values.map(() => '?').join(', ')}))`,
    )
    params.push(m.column, ...m.values)
  }
  if (filter.problem !== undefined) {
    conds.push('scan_error = ?')
    params.push(filter.problem)
  }
  if (filter.withoutProblem === true) conds.push('(scan_error IS NULL OR mask_size IS NOT NULL)')
  if (filter.reason !== undefined) {
    conds.push(`EXISTS (SELECT 1 FROM json_each(triage_reasons) WHERE json_extract(value, '$.code') = ?)`)
    params.push(filter.reason)
  }
  if (filter.ids !== undefined) {
    if (!filter.ids.every((id) => typeof id === 'string'))
      throw new CodedError('bad-request', 'ids must be strings')
    conds.push('id IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(filter.ids))
  }
  return { where: conds.join(' AND '), params }
}

/**
 * The statements of one listing: the total count and the page query(ies), each taking the
 * where-parameters then LIMIT and OFFSET. Sorting by fraction lists the scanned pairs in fraction
 * order, then the unscanned ones by id (`scannedCount` splits the page between the two). Fraction
 * listings name their index (INDEXED BY), so that table statistics can never turn them into sorts.
 */
export function listStatements(
  filter: PairFilter,
  sort: 'id' | 'uncertain' | 'score',
  order: 'asc' | 'desc',
): {
  where: string
  params: unknown[]
  count: string
  scannedCount?: string
  scanned?: string
  unscanned?: string
  byId?: string
} {
  const { where, params } = pairWhere(filter)
  const dir = order === 'asc' ? 'ASC' : 'DESC'
  const count = `SELECT count(*) FROM pairs WHERE ${where}`
  if (sort === 'id') {
    return {
      where,
      params,
      count,
      byId: `SELECT ${LIST_COLUMNS} FROM pairs WHERE ${where} ORDER BY id ${dir} LIMIT ? OFFSET ?`,
    }
  }
  const oneStatus = typeof filter.status === 'string' || filter.status?.length === 1
  // By score (triage, schema v3): the same shape on the score's indexes; unscored pairs come last.
  const col = sort === 'score' ? 'triage_score' : 'uncertain_fraction'
  const index =
    sort === 'score'
      ? oneStatus
        ? 'pairs_status_score'
        : 'pairs_score'
      : oneStatus
        ? 'pairs_status_uncertain'
        : 'pairs_uncertain'
  // A list of ids is searched by the primary key and its few rows sorted: no index is forced, and
  // the `+` keeps the planner from walking the fraction's or score's index instead.
  const few = filter.ids !== undefined
  const by = few ? '' : `INDEXED BY ${index} `
  const key = few ? `+${col}` : col
  return {
    where,
    params,
    count,
    scannedCount: `SELECT count(*) FROM pairs WHERE ${where} AND ${key} IS NOT NULL`,
    scanned:
      `SELECT ${LIST_COLUMNS} FROM pairs ${by}WHERE ${where} AND ${key} IS NOT NULL ` +
      `ORDER BY ${col} ${dir}, id ${dir} LIMIT ? OFFSET ?`,
    unscanned:
      `SELECT ${LIST_COLUMNS} FROM pairs ${by}WHERE ${where} AND ${key} IS NULL ` +
      `ORDER BY id ${dir} LIMIT ? OFFSET ?`,
  }
}
