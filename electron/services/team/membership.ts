/**
 * Publishing a workspace as a team (the lead) and joining one (a curator). Both bring the server's
 * schema up to date first (migrations under an advisory lock), then write in one transaction, and
 * only then record the membership in the workspace's team.sqlite. The workspace is opened
 * read-only: nothing of the curator's work is written.
 */
import { randomBytes } from 'node:crypto'
import type pg from 'pg'
import { CodedError } from '../../../shared/api/errors'
import { sha256Hex } from '../fs/hash'
import { Workspace } from '../workspace/workspace'
import { inTransaction, withClient, withoutPassword } from './connection'
import { TeamLocal, workspaceClientId, type TeamMembership } from './localState'
import { migrate, readTeam, type TeamRow } from './serverSchema'

export const DEFAULT_BATCH = 50
export const DEFAULT_DOUBLE_REVIEW = 0.1
export const DEFAULT_JACCARD_THRESHOLD = 0.8
const CURATOR_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._@-]{0,63}$/u

export function checkCuratorName(name: string): string {
  if (!CURATOR_NAME.test(name))
    throw new CodedError(
      'bad-request',
      `a curator name has 1–64 letters, digits, spaces or ._@- (got ${JSON.stringify(name)})`,
    )
  return name
}

/** SHA-256 of every source mask of the workspace's dataset, in id order. */
async function sourceHashes(ws: Workspace, ids: readonly string[]): Promise<string[]> {
  const out: string[] = []
  for (const id of ids) {
    const { bytes } = await ws.dataset.readMaskBytes(ws.dataset.find(id).index)
    out.push(sha256Hex(bytes))
  }
  return out
}

/**
 * The workspace's client id, written to its team.sqlite BEFORE the server hears of it: the server
 * keys a curator (and the lead) to this id, so a kill between the server's COMMIT and the membership
 * record must not leave the server with an id the workspace forgot (join would then say
 * `team-curator-taken`, init `team-exists`, for good). The file holds no membership until then.
 */
function persistedClientId(dir: string): string {
  const clientId = workspaceClientId(dir)
  TeamLocal.open(dir, { create: true, clientId }).close()
  return clientId
}

/** The membership recorded in the workspace's team.sqlite, or null. */
function membershipOf(dir: string) {
  const local = TeamLocal.open(dir)
  try {
    return local.membership()
  } finally {
    local.close()
  }
}

export interface InitResult {
  teamId: string
  pairs: number
  lead: string
}

/** `team init`: publishes the workspace's pairs (id + source mask SHA-256) as the database's team. */
export async function initTeam(
  dir: string,
  url: string,
  options: { batch?: number; doubleReview?: number; jaccardThreshold?: number; lead?: string } = {},
): Promise<InitResult> {
  const batch = options.batch ?? DEFAULT_BATCH
  const doubleReview = options.doubleReview ?? DEFAULT_DOUBLE_REVIEW
  if (!Number.isInteger(batch) || batch < 1)
    throw new CodedError('bad-request', '--batch takes a whole number ≥ 1')
  if (!(doubleReview >= 0 && doubleReview <= 1))
    throw new CodedError('bad-request', '--double-review takes a fraction from 0 to 1')
  const stored = withoutPassword(url)
  const ws = await Workspace.open(dir, { readOnly: true })
  try {
    let lead = checkCuratorName(options.lead ?? ws.curator)
    const ids = ws.listIds()
    const hashes = await sourceHashes(ws, ids)
    let teamId = randomBytes(12).toString('hex')
    const clientId = persistedClientId(dir)
    const recorded = membershipOf(dir) !== null
    await withClient(url, async (client) => {
      await migrate(client)
      await inTransaction(client, async () => {
        await client.query('LOCK TABLE team IN EXCLUSIVE MODE')
        const existing = await client.query<{ id: string; lead: string; client_id: string | null }>(
          'SELECT t.id, t.lead, c.client_id FROM team t LEFT JOIN curators c ON c.name = t.lead AND c.is_lead',
        )
        if (existing.rowCount) {
          // This workspace published it and was stopped before recording the membership (a kill
          // between the server's COMMIT and team.sqlite): record it now.
          if (existing.rows[0].client_id === clientId && !recorded) {
            teamId = existing.rows[0].id
            lead = existing.rows[0].lead
            return
          }
          throw new CodedError('team-exists', 'this database already holds a team (one team per database)')
        }
        await client.query(
          'INSERT INTO team (id, lead, batch_size, double_review, jaccard_threshold) VALUES ($1, $2, $3, $4, $5)',
          [teamId, lead, batch, doubleReview, options.jaccardThreshold ?? DEFAULT_JACCARD_THRESHOLD],
        )
        await client.query('INSERT INTO curators (name, is_lead, client_id) VALUES ($1, true, $2)', [
          lead,
          clientId,
        ])
        for (let i = 0; i < ids.length; i += 5000) {
          await client.query(
            'INSERT INTO pairs (id, source_sha256) SELECT * FROM unnest($1::text[], $2::text[])',
            [ids.slice(i, i + 5000), hashes.slice(i, i + 5000)],
          )
        }
        await client.query("INSERT INTO audit (actor, kind, detail) VALUES ($1, 'init', $2)", [
          lead,
          JSON.stringify({ pairs: ids.length, batch, doubleReview }),
        ])
      })
    })
    const local = TeamLocal.open(dir, { create: true, clientId })
    try {
      local.setMembership({ url: stored, curator: lead, teamId, role: 'lead' })
    } finally {
      local.close()
    }
    return { teamId, pairs: ids.length, lead }
  } finally {
    await ws.close()
  }
}

export interface JoinResult {
  teamId: string
  curator: string
  pairs: number
}

/** How many pairs `join` compares with the server (spread over the id range). */
const JOIN_SAMPLE = 32

/**
 * `team join`: records the curator on the server and the membership in the workspace. The
 * workspace's dataset must be the team's: the same pair count, and the same source mask bytes on a
 * sample of pairs spread over the ids (`team-dataset` otherwise).
 */
export async function joinTeam(
  dir: string,
  url: string,
  curatorName: string,
  options: {
    /** The app's open workspace (only read; never reopened nor closed here). */
    workspace?: Workspace
  } = {},
): Promise<JoinResult> {
  const curator = checkCuratorName(curatorName)
  const stored = withoutPassword(url)
  const ws = options.workspace ?? (await Workspace.open(dir, { readOnly: true }))
  try {
    const clientId = persistedClientId(dir)
    const { teamId, pairs } = await withClient(url, async (client) => {
      await migrate(client)
      const team = await readTeam(client)
      const count = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM pairs')).rows[0].n)
      const localIds = ws.listIds()
      if (localIds.length !== count)
        throw new CodedError(
          'team-dataset',
          `the team has ${count} pairs, this workspace ${localIds.length}: not the same dataset`,
        )
      const step = Math.max(1, Math.floor(count / JOIN_SAMPLE))
      const sample = localIds.filter((_, i) => i % step === 0).slice(0, JOIN_SAMPLE)
      const server = await client.query<{ id: string; source_sha256: string }>(
        'SELECT id, source_sha256 FROM pairs WHERE id = ANY($1::text[])',
        [sample],
      )
      const mine = await sourceHashes(ws, sample)
      const byId = new Map(server.rows.map((r) => [r.id, r.source_sha256]))
      sample.forEach((id, k) => {
        if (byId.get(id) !== mine[k])
          throw new CodedError(
            'team-dataset',
            `the source mask of ${id} is not the team's: not the same dataset`,
          )
      })
      await inTransaction(client, async () => {
        // A name belongs to one workspace: only that workspace (its client id) may join under it again.
        const ins = await client.query(
          'INSERT INTO curators (name, client_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
          [curator, clientId],
        )
        if (ins.rowCount === 0) {
          const { rows } = await client.query<{ client_id: string | null }>(
            'SELECT client_id FROM curators WHERE name = $1 FOR UPDATE',
            [curator],
          )
          // A name joined before client ids were recorded is claimed by the first workspace to
          // re-join that has not pushed decisions under another client id.
          const other = await client.query(
            'SELECT 1 FROM decisions WHERE curator = $1 AND client_id <> $2 LIMIT 1',
            [curator, clientId],
          )
          const owner = rows[0]?.client_id ?? null
          if (owner !== clientId && (owner !== null || (other.rowCount ?? 0) > 0))
            throw new CodedError(
              'team-curator-taken',
              `another workspace already joined this team as ${curator}: choose another curator name`,
            )
          if (owner === null)
            await client.query('UPDATE curators SET client_id = $2 WHERE name = $1', [curator, clientId])
        }
        await client.query("INSERT INTO audit (actor, kind, detail) VALUES ($1, 'join', $2)", [
          curator,
          JSON.stringify({ again: ins.rowCount === 0 }),
        ])
      })
      return { teamId: team.id, pairs: count }
    })
    const local = TeamLocal.open(dir, { create: true, clientId })
    try {
      local.setMembership({ url: stored, curator, teamId, role: 'curator' })
    } finally {
      local.close()
    }
    return { teamId, curator, pairs }
  } finally {
    if (!options.workspace) await ws.close()
  }
}

/** Who a workspace is in its team: its membership (team.sqlite) and its client id. */
export interface TeamIdentity {
  /** postgres:// URL without password. */
  url: string
  curator: string
  role: 'lead' | 'curator'
  clientId: string
}

/** The membership recorded in the team state `local` of the workspace `dir`: `team-not-found` when it has not joined. */
export function joinedMembership(local: TeamLocal, dir: string): TeamMembership {
  const m = local.membership()
  if (!m)
    throw new CodedError(
      'team-not-found',
      `the workspace ${dir} has not joined a team (wsm-curator team join)`,
    )
  return m
}

/** The identity recorded in a workspace's team.sqlite (`team-not-found` when it has not joined). */
export function teamIdentity(dir: string): TeamIdentity {
  const local = TeamLocal.open(dir)
  try {
    const m = joinedMembership(local, dir)
    return { url: m.url, curator: m.curator, role: m.role, clientId: local.clientId() }
  } finally {
    local.close()
  }
}

/**
 * Refuses (`team-permission`) unless `me` is the team's lead: the workspace's membership says lead,
 * and the server agrees — the team's lead is that name, and its curator row belongs to this
 * workspace (its client id; a row from before client ids were recorded has none). The actions
 * behind this check (assign, export, the adjudication queue) show or decide what the blind rule
 * keeps from a curator; a database URL alone says nothing of who runs them.
 */
export async function requireLead(client: pg.Client, me: TeamIdentity, action: string): Promise<TeamRow> {
  const team = await readTeam(client)
  const row = await client.query<{ client_id: string | null }>(
    'SELECT client_id FROM curators WHERE name = $1 AND is_lead',
    [team.lead],
  )
  const owner = row.rows[0]?.client_id
  if (
    me.role !== 'lead' ||
    me.curator !== team.lead ||
    owner === undefined ||
    (owner !== null && owner !== me.clientId)
  )
    throw new CodedError(
      'team-permission',
      `only the team's lead (${team.lead}) ${action}; this workspace is ${me.curator}'s (${me.role === 'lead' ? 'not the lead workspace of this team' : 'a curator'})`,
    )
  return team
}
