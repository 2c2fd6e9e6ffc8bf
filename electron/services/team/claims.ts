/**
 * Assignments. A curator claims a batch in one transaction: first the blind second reviews waiting
 * for someone (never their own pairs, never pairs they decided themselves), then unclaimed pairs as
 * first reviewer, passing over pairs the claimer released by skipping them unless nothing else is
 * left. Candidate rows are locked with `FOR UPDATE SKIP LOCKED`, so concurrent claims
 * take disjoint rows without waiting; a row another claim committed meanwhile is re-checked by
 * PostgreSQL against the conditions (first_curator IS NULL …) before it is locked, and the primary
 * key (pair, role) of `assignments` is a second guard. The lead can assign and reassign.
 */
import type pg from 'pg'
import { CodedError } from '../../../shared/api/errors'
import { inTransaction } from './connection'
import { requireLead, type TeamIdentity } from './membership'

export interface Claimed {
  first: string[]
  second: string[]
}

/** Claims up to `size` pairs for `curator` (second reviews first). */
export async function claimBatch(client: pg.Client, curator: string, size: number): Promise<Claimed> {
  return inTransaction(client, async () => {
    const second = await client.query<{ pair_id: string }>(
      `WITH picked AS (
         SELECT id FROM pairs p
         WHERE needs_second AND second_curator IS NULL AND first_curator <> $1
           AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.pair_id = p.id AND d.curator = $1)
         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED),
       upd AS (UPDATE pairs SET second_curator = $1 FROM picked WHERE pairs.id = picked.id RETURNING pairs.id)
       INSERT INTO assignments (pair_id, role, curator, assigned_by)
       SELECT id, 'second', $1, $1 FROM upd RETURNING pair_id`,
      [curator, size],
    )
    // Pairs this curator released by skipping them (sync.ts releaseUndecided audits each release)
    // come last: claimed lowest id first, they came straight back to the one who just set them aside.
    const released = await client.query<{ id: string }>(
      `SELECT DISTINCT jsonb_array_elements_text(detail->'first') AS id FROM audit
       WHERE kind = 'release' AND actor = $1`,
      [curator],
    )
    const passOver = released.rows.map((r) => r.id)
    const first: string[] = []
    for (const exclude of passOver.length > 0 ? [passOver, []] : [[]]) {
      const room = size - second.rows.length - first.length
      if (room <= 0) break
      first.push(...(await claimFirst(client, curator, room, exclude)))
    }
    const out = {
      first: first.sort(),
      second: second.rows.map((r) => r.pair_id).sort(),
    }
    if (out.first.length + out.second.length > 0) {
      await client.query("INSERT INTO audit (actor, kind, detail) VALUES ($1, 'claim', $2)", [
        curator,
        JSON.stringify(out),
      ])
    }
    return out
  })
}

/** Claims up to `room` unclaimed pairs as first reviewer, lowest id first, none of `exclude`. */
async function claimFirst(
  client: pg.Client,
  curator: string,
  room: number,
  exclude: readonly string[],
): Promise<string[]> {
  const { rows } = await client.query<{ pair_id: string }>(
    `WITH picked AS (
       SELECT id FROM pairs WHERE first_curator IS NULL AND second_curator IS DISTINCT FROM $1
         AND NOT (id = ANY($3::text[]))
       ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED),
     upd AS (UPDATE pairs SET first_curator = $1 FROM picked WHERE pairs.id = picked.id RETURNING pairs.id)
     INSERT INTO assignments (pair_id, role, curator, assigned_by)
     SELECT id, 'first', $1, $1 FROM upd RETURNING pair_id`,
    [curator, room, exclude],
  )
  return rows.map((r) => r.pair_id)
}

/**
 * The lead gives pairs to a curator in a role (a reassignment replaces the previous holder). The
 * first reviewer and the second reviewer of a pair are never the same curator. Only the lead's
 * workspace may (`team-permission` otherwise: a curator choosing who double-reviews whom defeats
 * the blind draw), and `assigned_by` and the audit name the one who ran it.
 */
export async function assignPairs(
  client: pg.Client,
  me: TeamIdentity,
  ids: readonly string[],
  curator: string,
  role: 'first' | 'second',
): Promise<number> {
  return inTransaction(client, async () => {
    const lead = (await requireLead(client, me, 'assigns pairs')).lead
    const known = await client.query('SELECT 1 FROM curators WHERE name = $1', [curator])
    if (!known.rowCount)
      throw new CodedError('not-found', `no curator ${JSON.stringify(curator)} in this team`)
    const column = role === 'first' ? 'first_curator' : 'second_curator'
    const other = role === 'first' ? 'second_curator' : 'first_curator'
    const upd = await client.query<{ id: string }>(
      `UPDATE pairs SET ${column} = $1 ${role === 'second' ? ', needs_second = true' : ''}
       WHERE id = ANY($2::text[]) AND ${other} IS DISTINCT FROM $1 RETURNING id`,
      [curator, ids],
    )
    if (upd.rows.length !== ids.length) {
      const got = new Set(upd.rows.map((r) => r.id))
      const bad = ids.find((id) => !got.has(id))
      throw new CodedError(
        'bad-request',
        `${bad} is not a pair of this team, or ${curator} already reviews it in the other role`,
      )
    }
    await client.query(
      `INSERT INTO assignments (pair_id, role, curator, assigned_by)
       SELECT id, $2, $3, $4 FROM unnest($1::text[]) AS id
       ON CONFLICT (pair_id, role) DO UPDATE SET curator = excluded.curator, assigned_by = excluded.assigned_by, assigned_at = now()`,
      [ids, role, curator, lead],
    )
    await client.query("INSERT INTO audit (actor, kind, detail) VALUES ($1, 'assign', $2)", [
      lead,
      JSON.stringify({ curator, role, ids }),
    ])
    return upd.rows.length
  })
}
