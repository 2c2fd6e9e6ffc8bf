/**
 * Adjudication by the lead: the queue (double-reviewed pairs whose decisions differ or whose
 * Jaccard is under the team's threshold), the two masks of a pair with the source (for the app's
 * side-by-side and overlay), and the final word — take the first review, take the second, or a
 * merged mask the lead edited — written once, in one transaction with its audit row.
 *
 * Only the lead's program reads two curators' masks (the blind rule binds the curators' syncs).
 */
import type pg from 'pg'
import { CodedError } from '../../../shared/api/errors'
import type { AdjudicationCaseView, AdjudicationQueueItem, AdjudicationSide } from '../../../shared/api/team'
import type { LabelMap } from '../../../shared/labels/codes'
import { isPairStatus, type PairStatus } from '../../../shared/workspace/review'
import { readUnderChallengeMode } from '../dataset'
import { sha256Hex } from '../fs/hash'
import { readLabelMap } from '../mask/labelMap'
import { encodeMaskPng, type MaskPngFormat } from '../mask/maskPng'
import type { Workspace } from '../workspace/workspace'
import { decisionCategory } from './agreement'
import { inTransaction } from './connection'
import type { TeamRow } from './serverSchema'

export type QueueItem = AdjudicationQueueItem

export async function adjudicationQueue(client: pg.Client): Promise<QueueItem[]> {
  const { rows } = await client.query<{
    pair_id: string
    first_curator: string
    second_curator: string
    first_status: string
    second_status: string
    jaccard: number
    jaccard_uncertain: number | null
    decisions_agree: boolean
  }>(
    `SELECT a.* FROM agreements a LEFT JOIN adjudications j ON j.pair_id = a.pair_id
     WHERE a.needs_adjudication AND j.pair_id IS NULL ORDER BY a.jaccard, a.pair_id`,
  )
  return rows.map((r) => ({
    pairId: r.pair_id,
    firstCurator: r.first_curator,
    secondCurator: r.second_curator,
    firstStatus: r.first_status,
    secondStatus: r.second_status,
    jaccard: r.jaccard,
    jaccardUncertain: r.jaccard_uncertain,
    decisionsAgree: r.decisions_agree,
  }))
}

export type ReviewSide = AdjudicationSide

export interface AdjudicationCase extends AdjudicationCaseView {
  format: MaskPngFormat
}

/** The source and both reviewers' final masks and statuses of a scored pair. */
export async function adjudicationCase(
  client: pg.Client,
  ws: Workspace,
  pairId: string,
): Promise<AdjudicationCase> {
  const { rows } = await client.query<{
    first_curator: string
    second_curator: string
    first_status: string
    second_status: string
    fm: string | null
    sm: string | null
  }>(
    `SELECT a.first_curator, a.second_curator, a.first_status, a.second_status,
            f.mask_sha256 AS fm, s.mask_sha256 AS sm
     FROM agreements a JOIN decisions f ON f.id = a.first_decision JOIN decisions s ON s.id = a.second_decision
     WHERE a.pair_id = $1`,
    [pairId],
  )
  if (rows.length === 0) throw new CodedError('not-found', `${pairId} has no scored double review`)
  const r = rows[0]
  const { bytes, file } = await ws.dataset.readMaskBytes(ws.dataset.find(pairId).index)
  // A challenge-convention source is shown (and is a side's final mask) as what it means: converted.
  const read = readLabelMap(bytes, file)
  const { format } = read
  const source = readUnderChallengeMode(read, 'convert', file).map
  const side = async (curator: string, status: string, sha: string | null): Promise<ReviewSide> => {
    if (sha === null) return { curator, status, map: source, sha256: null }
    const m = await client.query<{ bytes: Buffer }>('SELECT bytes FROM masks WHERE sha256 = $1', [sha])
    if (m.rows.length === 0)
      throw new CodedError('internal', `mask ${sha} of ${pairId} is missing on the server`)
    return { curator, status, map: readLabelMap(m.rows[0].bytes, `${pairId} by ${curator}`).map, sha256: sha }
  }
  return {
    pairId,
    source,
    format,
    first: await side(r.first_curator, r.first_status, r.fm),
    second: await side(r.second_curator, r.second_status, r.sm),
  }
}

export type Verdict = { take: 'first' | 'second' } | { take: 'merge'; status: PairStatus; map: LabelMap }

/** Records the lead's final word on a pair (once: a second verdict is refused). */
export async function adjudicate(
  client: pg.Client,
  ws: Workspace,
  team: TeamRow,
  lead: string,
  pairId: string,
  verdict: Verdict,
): Promise<{ status: string; maskSha256: string | null }> {
  if (lead !== team.lead)
    throw new CodedError('bad-request', `only the team's lead (${team.lead}) adjudicates`)
  const c = await adjudicationCase(client, ws, pairId)
  let status: string
  let mask: { sha: string; bytes: Buffer | null } | null = null
  if (verdict.take === 'merge') {
    if (!isPairStatus(verdict.status) || decisionCategory(verdict.status) === null)
      throw new CodedError('bad-request', `a verdict's status is accepted, corrected, rejected or flagged`)
    const m = verdict.map
    if (m.width !== c.source.width || m.height !== c.source.height)
      throw new CodedError(
        'mask-size',
        `the merged mask is ${m.width}×${m.height}, the source ${c.source.width}×${c.source.height}`,
      )
    const bytes = encodeMaskPng(m, c.format)
    mask = { sha: sha256Hex(bytes), bytes }
    status = verdict.status
  } else {
    const side = verdict.take === 'first' ? c.first : c.second
    status = side.status
    // The curator's own mask, already on the server under its hash.
    if (side.sha256 !== null) mask = { sha: side.sha256, bytes: null }
  }
  await inTransaction(client, async () => {
    if (mask?.bytes)
      await client.query('INSERT INTO masks (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        mask.sha,
        mask.bytes,
      ])
    const ins = await client.query(
      `INSERT INTO adjudications (pair_id, lead, status, mask_sha256, taken) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (pair_id) DO NOTHING`,
      [pairId, lead, status, mask?.sha ?? null, verdict.take],
    )
    if (ins.rowCount === 0) throw new CodedError('bad-request', `${pairId} is already adjudicated (final)`)
    await client.query("INSERT INTO audit (actor, kind, pair_id, detail) VALUES ($1, 'adjudicate', $2, $3)", [
      lead,
      pairId,
      JSON.stringify({
        taken: verdict.take,
        status,
        mask: mask?.sha ?? null,
        first: c.first.curator,
        second: c.second.curator,
      }),
    ])
  })
  return { status, maskSha256: mask?.sha ?? null }
}
