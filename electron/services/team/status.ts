/**
 * `team status`: progress and agreement of the whole team, read from the server. The agreement
 * scores are those the lead's program stored (agreementJob.ts); with the lead's workspace at hand,
 * the scores still missing are computed first.
 *
 * Who asks decides what is shown (the blind rule, for the app and the CLI alike): the lead's
 * workspace (checked on the server) sees everything; a curator's workspace sees no per-pair row,
 * and the agreement summaries and the adjudication count over the pairs they did not review only
 * (a summary over one's own pairs gives, after the first, that pair's exact Jaccard); a caller
 * with only the database URL is nobody in particular, so sees no agreement at all.
 */
import { CodedError } from '../../../shared/api/errors'
import type { CuratorStatus, TeamStatus } from '../../../shared/api/team'
import { Workspace } from '../workspace/workspace'

export type { CuratorStatus, TeamStatus }
import { decisionCategory, summarize, summarizeCurator } from './agreement'
import { computeAgreements } from './agreementJob'
import { withClient } from './connection'
import { requireLead, teamIdentity, type TeamIdentity } from './membership'
import { DECIDED_STATUSES, LATEST_DECISIONS } from './queries'
import { readTeam } from './serverSchema'

export async function teamStatus(
  url: string,
  options: { workspace?: string; open?: Workspace } = {},
): Promise<TeamStatus> {
  const dir = options.open?.dir ?? options.workspace
  const me: TeamIdentity | null = dir === undefined ? null : teamIdentity(dir)
  // Only the lead's program reads both reviewers' masks (to score them): a curator's workspace is
  // never opened.
  const ws =
    me?.role !== 'lead'
      ? undefined
      : (options.open ??
        (options.workspace ? await Workspace.open(options.workspace, { readOnly: true }) : undefined))
  try {
    const all = await withClient(url, async (client) => {
      const team =
        me?.role === 'lead' ? await requireLead(client, me, 'sees every agreement') : await readTeam(client)
      const unscored = ws ? (await computeAgreements(client, ws, team)).unscored : undefined
      const pairs = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM pairs')).rows[0].n)
      const counts = await client.query<{
        curator: string
        day: string | null
        first: string
        second: string
      }>(
        `WITH latest AS (${LATEST_DECISIONS})
         SELECT l.curator, to_char(l.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
                count(*) FILTER (WHERE p.first_curator = l.curator) AS first,
                count(*) FILTER (WHERE p.second_curator = l.curator) AS second
         FROM latest l JOIN pairs p ON p.id = l.pair_id
         WHERE l.status = ANY($1::text[])
         GROUP BY l.curator, day`,
        [DECIDED_STATUSES],
      )
      const double = await client.query<{ n: string }>(
        `WITH latest AS (${LATEST_DECISIONS})
         SELECT count(*) AS n FROM pairs p
         JOIN latest f ON f.pair_id = p.id AND f.curator = p.first_curator AND f.status = ANY($1::text[])
         JOIN latest s ON s.pair_id = p.id AND s.curator = p.second_curator AND s.status = ANY($1::text[])`,
        [DECIDED_STATUSES],
      )
      // Pending: assigned, and the curator's latest word on it is no decision (none, or a skip).
      const pendingRows = await client.query<{ curator: string; n: string }>(
        `WITH latest AS (${LATEST_DECISIONS})
         SELECT a.curator, count(*) AS n FROM assignments a
         WHERE NOT EXISTS (SELECT 1 FROM latest l WHERE l.curator = a.curator AND l.pair_id = a.pair_id
                           AND l.status = ANY($1::text[]))
         GROUP BY a.curator`,
        [DECIDED_STATUSES],
      )
      const agreementRows = await client.query<{
        pair_id: string
        first_curator: string
        second_curator: string
        first_status: string
        second_status: string
        jaccard: number
        needs_adjudication: boolean
        adjudicated: boolean
      }>(
        `SELECT a.pair_id, a.first_curator, a.second_curator, a.first_status, a.second_status, a.jaccard,
                a.needs_adjudication, j.pair_id IS NOT NULL AS adjudicated
         FROM agreements a LEFT JOIN adjudications j ON j.pair_id = a.pair_id ORDER BY a.pair_id`,
      )
      const names = (
        await client.query<{ name: string }>('SELECT name FROM curators ORDER BY name')
      ).rows.map((r) => r.name)
      const scored = agreementRows.rows.map((r) => {
        const firstCategory = decisionCategory(r.first_status)
        const secondCategory = decisionCategory(r.second_status)
        if (!firstCategory || !secondCategory)
          throw new CodedError('internal', `agreement row of ${r.pair_id} without decisions`)
        return {
          pairId: r.pair_id,
          firstCurator: r.first_curator,
          secondCurator: r.second_curator,
          firstCategory,
          secondCategory,
          jaccard: r.jaccard,
          needsAdjudication: r.needs_adjudication,
          adjudicated: r.adjudicated,
        }
      })
      const curators: CuratorStatus[] = names.map((name) => {
        const mine = counts.rows.filter((r) => r.curator === name)
        const perDay: Record<string, number> = {}
        for (const r of mine) {
          const k = r.day ?? 'unknown'
          perDay[k] = (perDay[k] ?? 0) + Number(r.first) + Number(r.second)
        }
        return {
          name,
          decided: mine.reduce((n, r) => n + Number(r.first), 0),
          secondReviews: mine.reduce((n, r) => n + Number(r.second), 0),
          perDay,
          pending: Number(pendingRows.rows.find((r) => r.curator === name)?.n ?? 0),
          agreement: summarizeCurator(scored, name),
        }
      })
      return {
        pairs,
        decided: curators.reduce((n, c) => n + c.decided, 0),
        doubleReviewed: Number(double.rows[0].n),
        curators,
        agreement: summarize(scored),
        adjudicationPending: scored.filter((s) => s.needsAdjudication && !s.adjudicated).length,
        scored,
        ...(unscored ? { unscored } : {}),
      }
    })
    return me?.role === 'lead' ? all : blindView(all, me?.curator ?? null)
  } finally {
    if (!options.open) await ws?.close()
  }
}

/**
 * The status without what the blind rule keeps from `curator` (null: from anyone): the agreement
 * rows, summaries and adjudication count over the other pairs only.
 */
export function blindView(s: TeamStatus, curator: string | null): TeamStatus {
  const scored =
    curator === null ? [] : s.scored.filter((x) => x.firstCurator !== curator && x.secondCurator !== curator)
  return {
    ...s,
    scored,
    agreement: summarize(scored),
    curators: s.curators.map((c) => ({ ...c, agreement: summarizeCurator(scored, c.name) })),
    adjudicationPending: scored.filter((x) => x.needsAdjudication && !x.adjudicated).length,
  }
}
