/**
 * `team sync`: push this workspace's decisions and corrected masks, pull its assignments.
 *
 * Why it can neither lose nor duplicate:
 * - The workspace is only READ (opened read-only; the app may hold it meanwhile). The team's own
 *   state is team.sqlite, so a failed sync leaves the curator's work exactly as it was.
 * - What to push: every pair with an audit event after the cursor, in the order of its latest
 *   event. A chunk is pushed in ONE server transaction: its mask bytes (keyed by SHA-256), its
 *   decisions (keyed by client, pair, local event seq; `ON CONFLICT DO NOTHING`), the claims and
 *   second-review sampling they cause. Only after COMMIT returns does the cursor advance, to the
 *   latest event seq of the chunk (team.sqlite, synchronous=FULL).
 * - A kill -9 or a dropped connection before COMMIT: the server rolls the chunk back; the cursor has
 *   not moved; the next sync pushes the chunk again. Between COMMIT and the cursor write: the next
 *   sync re-pushes rows the server has, and the keys drop them. So each (client, pair, event) is on
 *   the server once, and every pair's latest state gets there.
 * - A skip (or a return to unreviewed) pushed by a pair's first reviewer releases the pair to the
 *   pool in the same transaction (releaseUndecided): nothing stays held by a curator who decided it
 *   not, pending for nobody.
 * - Blind rule: the pull reads pair ids and roles only (PENDING_ASSIGNMENTS); no decision or mask of
 *   anyone else ever comes back to a curator.
 */
import { CodedError } from '../../../shared/api/errors'
import type { SyncResult } from '../../../shared/api/team'
import type { PairState } from '../../../shared/workspace/review'
import { sha256Hex } from '../fs/hash'
import { Workspace } from '../workspace/workspace'
import { readFile } from 'node:fs/promises'
import type pg from 'pg'
import { connect, inTransaction, redactUrl, teamError } from './connection'
import { claimBatch } from './claims'
import { computeAgreements } from './agreementJob'
import { TeamLocal, type Assignment, type TeamMembership } from './localState'
import { joinedMembership } from './membership'
import { DECIDED_STATUSES, PENDING_ASSIGNMENTS } from './queries'
import { sampledForSecondReview } from './sampling'
import { readTeam, type TeamRow } from './serverSchema'

export type { SyncResult }

export interface SyncOptions {
  /** Pairs per server transaction (default 200). */
  chunk?: number
  /** Called after each chunk's COMMIT and cursor write (tests cut the connection here). */
  onChunk?(info: { pushed: number; cursor: number }): void | Promise<void>
  /** Another URL than the stored one (e.g. with a password from a prompt). */
  url?: string
  /** The workspace already open in this process (the app's): read through it, not reopened. */
  workspace?: Workspace
}

interface Change {
  id: string
  seq: number
  at: string
}

/** The identity of one audit event: its pair and time (a renumbered table will not match it). */
export function eventMark(e: { id: string; at: string }): string {
  return `${e.id}@${e.at}`
}

/**
 * The cursor if it still means something in this workspace's events, else 0: the event at the
 * cursor's seq must be the one recorded with it. A rebuild keeps the seqs (opening.ts salvage), but
 * an events table renumbered or restored from an older copy would otherwise make every later
 * decision with a seq at or under the cursor never pushed. A re-push from 0 is harmless: decisions
 * are keyed by (client, pair, event seq, event time) and `ON CONFLICT DO NOTHING`. With `fix`, a stale cursor is
 * reset and a cursor written before marks existed adopts the mark of its event.
 */
export function trustedCursor(ws: Workspace, local: TeamLocal, fix = false): number {
  const cursor = local.cursor()
  if (cursor === 0) return 0
  const [e] = ws.events(undefined, { limit: 1, beforeSeq: cursor + 1 })
  const here = e && e.seq === cursor ? eventMark(e) : null
  const mark = local.cursorMark()
  if (here !== null && (mark === here || mark === null)) {
    if (fix && mark === null) local.adoptCursorMark(here)
    return cursor
  }
  if (fix) local.resetCursor()
  return 0
}

/** Pairs with an event after `cursor`, each with its latest event, oldest first. */
export function changesSince(ws: Workspace, cursor: number): Change[] {
  const latest = new Map<string, Change>()
  const PAGE = 5000
  let before: number | undefined
  for (;;) {
    const page = ws.events(undefined, { limit: PAGE, beforeSeq: before })
    for (const e of page) {
      if (e.seq <= cursor) return [...latest.values()].sort((a, b) => a.seq - b.seq)
      if (!latest.has(e.id)) latest.set(e.id, { id: e.id, seq: e.seq, at: e.at })
    }
    if (page.length < PAGE) break
    before = page[page.length - 1].seq
  }
  return [...latest.values()].sort((a, b) => a.seq - b.seq)
}

interface PushRow {
  change: Change
  state: PairState
  mask: { sha: string; bytes: Buffer } | null
}

async function readChunk(ws: Workspace, changes: readonly Change[]): Promise<PushRow[]> {
  const rows: PushRow[] = []
  for (const change of changes) {
    if (!ws.inDataset(change.id)) continue
    const state = ws.pairState(change.id)
    let mask: PushRow['mask'] = null
    if (state.corrected) {
      const file = ws.maskFile(change.id)
      let bytes: Buffer
      try {
        bytes = await readFile(file)
      } catch (err) {
        throw new CodedError(
          'io-error',
          `cannot read the corrected mask ${file}: ${(err as Error).message}`,
          file,
        )
      }
      mask = { sha: sha256Hex(bytes), bytes }
    }
    rows.push({ change, state, mask })
  }
  return rows
}

/** Pushes one chunk in one transaction; returns the decisions the server did not have. */
async function pushChunk(
  client: pg.Client,
  me: TeamMembership,
  clientId: string,
  team: TeamRow,
  rows: readonly PushRow[],
): Promise<number> {
  return inTransaction(client, async () => {
    const masks = rows.flatMap((r) => (r.mask ? [r.mask] : []))
    if (masks.length > 0) {
      const have = await client.query<{ sha256: string }>(
        'SELECT sha256 FROM masks WHERE sha256 = ANY($1::text[])',
        [masks.map((m) => m.sha)],
      )
      const known = new Set(have.rows.map((r) => r.sha256))
      const missing = new Map(masks.filter((m) => !known.has(m.sha)).map((m) => [m.sha, m.bytes]))
      if (missing.size > 0)
        await client.query(
          'INSERT INTO masks (sha256, bytes) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT DO NOTHING',
          [[...missing.keys()], [...missing.values()]],
        )
    }
    const decided = rows
      .filter((r) => (DECIDED_STATUSES as readonly string[]).includes(r.state.status))
      .map((r) => r.change.id)
    // A decision on a pair nobody holds makes this curator its first reviewer — unless the lead made
    // them its second reviewer already (first and second are never the same curator: the CHECK would
    // roll the whole chunk back, on every sync).
    await client.query(
      `WITH c AS (UPDATE pairs SET first_curator = $1
                  WHERE id = ANY($2::text[]) AND first_curator IS NULL AND second_curator IS DISTINCT FROM $1 RETURNING id)
       INSERT INTO assignments (pair_id, role, curator, assigned_by) SELECT id, 'first', $1, $1 FROM c ON CONFLICT DO NOTHING`,
      [me.curator, decided],
    )
    const inserted = await client.query(
      `INSERT INTO decisions (client_id, curator, pair_id, event_seq, status, note, mask_sha256, role, decided_at)
       SELECT $1, $2, d.pair_id, d.seq, d.status, d.note, d.sha,
              CASE WHEN p.first_curator = $2 THEN 'first' WHEN p.second_curator = $2 THEN 'second' ELSE 'extra' END, d.at
       FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
            AS d(pair_id, seq, status, note, sha, at)
       JOIN pairs p ON p.id = d.pair_id
       ON CONFLICT DO NOTHING`,
      [
        clientId,
        me.curator,
        rows.map((r) => r.change.id),
        rows.map((r) => r.change.seq),
        rows.map((r) => r.state.status),
        rows.map((r) => r.state.note),
        rows.map((r) => r.mask?.sha ?? null),
        rows.map((r) => r.change.at),
      ],
    )
    await sampleSecondReviews(client, me.curator, decided, team)
    const undecided = rows
      .filter((r) => !(DECIDED_STATUSES as readonly string[]).includes(r.state.status))
      .map((r) => r.change.id)
    await releaseUndecided(client, me.curator, undecided, team)
    return inserted.rowCount ?? 0
  })
}

/**
 * A pair its first reviewer set to skipped (or back to unreviewed) goes back to the pool: no first
 * reviewer, no first assignment, not first-decided, so the next claim takes it like any unclaimed
 * pair (QA 7 #5: a bulk flag made a curator first reviewer of pairs nobody held, a skip then left
 * them held by that curator, decided by nobody, pending for nobody and counted in no status). A
 * second reviewer already holding the pair keeps it (the draw that sent it to second review is
 * the same for the next first reviewer); the curator's counters give back what the pair added.
 * Returns the released ids. Runs inside the push's transaction.
 */
export async function releaseUndecided(
  client: pg.Client,
  curator: string,
  ids: readonly string[],
  team: TeamRow,
): Promise<string[]> {
  if (ids.length === 0) return []
  const released = await client.query<{ id: string; was_decided: boolean }>(
    `WITH rel AS (
       UPDATE pairs p SET first_curator = NULL, first_decided = false, needs_second = p.second_curator IS NOT NULL
       FROM pairs old
       WHERE old.id = p.id AND p.id = ANY($2::text[]) AND p.first_curator = $1
       RETURNING p.id, old.first_decided AS was_decided),
     gone AS (
       DELETE FROM assignments a USING rel WHERE a.pair_id = rel.id AND a.role = 'first' RETURNING a.pair_id)
     SELECT id, was_decided FROM rel ORDER BY id`,
    [curator, ids],
  )
  if (released.rows.length === 0) return []
  const counted = released.rows.filter((r) => r.was_decided).map((r) => r.id)
  const sampled = counted.filter((id) => sampledForSecondReview(team.id, id, team.doubleReview))
  if (counted.length > 0)
    await client.query(
      'UPDATE curators SET first_decided = first_decided - $2, second_sampled = second_sampled - $3 WHERE name = $1',
      [curator, counted.length, sampled.length],
    )
  const out = released.rows.map((r) => r.id)
  await client.query("INSERT INTO audit (actor, kind, detail) VALUES ($1, 'release', $2)", [
    curator,
    JSON.stringify({ first: out }),
  ])
  return out
}

/**
 * Blind second-review sampling of each curator's first decisions: a pair goes to second review when
 * its seeded draw (sampling.ts: hash of the team's seed and the pair id) is under the team's share —
 * random, reproducible, and not predictable from push order. Runs once per pair (first_decided),
 * inside the push's transaction; the curator's counters are kept for the record.
 */
async function sampleSecondReviews(
  client: pg.Client,
  curator: string,
  decided: readonly string[],
  team: TeamRow,
) {
  if (decided.length === 0) return
  const fresh = await client.query<{ id: string }>(
    'UPDATE pairs SET first_decided = true WHERE id = ANY($1::text[]) AND first_curator = $2 AND NOT first_decided RETURNING id',
    [decided, curator],
  )
  if (fresh.rows.length === 0) return
  const sampled = fresh.rows
    .map((r) => r.id)
    .filter((id) => sampledForSecondReview(team.id, id, team.doubleReview))
  if (sampled.length > 0)
    await client.query('UPDATE pairs SET needs_second = true WHERE id = ANY($1::text[])', [sampled])
  await client.query(
    'UPDATE curators SET first_decided = first_decided + $2, second_sampled = second_sampled + $3 WHERE name = $1',
    [curator, fresh.rows.length, sampled.length],
  )
}

/** One sync of a workspace that joined a team. Failures are coded errors; the workspace is untouched. */
export async function syncTeam(dir: string, options: SyncOptions = {}): Promise<SyncResult> {
  const started = Date.now()
  const local = TeamLocal.open(dir)
  let pushed = 0
  try {
    const me = joinedMembership(local, dir)
    const url = options.url ?? me.url
    const ws = options.workspace ?? (await Workspace.open(dir, { readOnly: true }))
    try {
      const client = await connect(url, { application: 'wsm-curator-sync' })
      try {
        const team = await readTeam(client)
        if (team.id !== me.teamId)
          throw new CodedError(
            'team-not-found',
            `${redactUrl(url)} holds another team than the one this workspace joined`,
          )
        const clientId = local.clientId()
        const changes = changesSince(ws, trustedCursor(ws, local, true))
        const size = options.chunk ?? 200
        for (let i = 0; i < changes.length; i += size) {
          const part = changes.slice(i, i + size)
          const rows = await readChunk(ws, part)
          pushed += await pushChunk(client, me, clientId, team, rows)
          const last = part[part.length - 1]
          local.advanceCursor(last.seq, eventMark(last))
          await options.onChunk?.({ pushed, cursor: local.cursor() })
        }
        let assigned: Assignment[] = []
        if (me.role === 'lead') {
          await computeAgreements(client, ws, team)
        } else {
          assigned = await pending(client, me.curator)
          if (assigned.length < team.batchSize / 2) {
            const got = await claimBatch(client, me.curator, team.batchSize)
            if (got.first.length + got.second.length > 0) assigned = await pending(client, me.curator)
          }
        }
        const at = new Date().toISOString()
        const pulled = local.replaceAssignments(assigned, at)
        local.recordSync({ at, ok: true, error: null, pushed, pulled })
        return { pushed, pulled, assigned, elapsedMs: Date.now() - started }
      } finally {
        await client.end().catch(() => undefined)
      }
    } finally {
      if (!options.workspace) await ws.close()
    }
  } catch (err) {
    const coded = teamError(err, options.url ?? local.membership()?.url ?? '')
    try {
      local.recordSync({
        at: new Date().toISOString(),
        ok: false,
        error: `[${coded.code}] ${coded.message}`,
        pushed,
        pulled: 0,
      })
    } catch {
      // the sync's own error matters more than its record
    }
    throw coded
  } finally {
    local.close()
  }
}

async function pending(client: pg.Client, curator: string): Promise<Assignment[]> {
  const { rows } = await client.query<Assignment>(PENDING_ASSIGNMENTS, [curator, DECIDED_STATUSES])
  return rows.map((r) => ({ id: r.id, role: r.role }))
}
