/**
 * The team room as the app sees it: the sync badge's state, sync on demand and by itself, the team
 * view's status, and the lead's adjudication — the `team:*` calls of the contract.
 *
 * Auto-sync: while a workspace that joined a team is open, it syncs every minute; a failure to
 * reach the server marks it offline and retries after 1, 2, 4… minutes (at most 5). A sync reads
 * the app's own open workspace (never a second opening) and writes only team.sqlite, so it never
 * disturbs the curator's work; one sync runs at a time.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import type pg from 'pg'
import type { ApiHandlers } from '../../../shared/api/contract'
import { CodedError } from '../../../shared/api/errors'
import type { SyncResult, TeamSyncState } from '../../../shared/api/team'
import type { Workspace } from '../workspace/workspace'
import { adjudicate, adjudicationCase, adjudicationQueue } from './adjudication'
import { parseDbUrl, redactUrl, withClient } from './connection'
import { TEAM_FILE, TeamLocal } from './localState'
import { joinTeam, requireLead, teamIdentity } from './membership'
import { readTeam } from './serverSchema'
import { teamStatus } from './status'
import { syncTeam, trustedCursor } from './sync'

const INTERVAL_MS = 60_000
const MAX_BACKOFF_MS = 5 * 60_000

export class TeamRoom {
  #running: Promise<SyncResult> | undefined
  #timer: NodeJS.Timeout | undefined
  #failures = 0
  #offline = false
  #stopped = false

  constructor(
    readonly workspace: Workspace,
    private readonly isCurrent: () => boolean = () => true,
    private readonly timing: { firstMs: number; intervalMs: number; maxBackoffMs: number } = {
      firstMs: 10_000,
      intervalMs: INTERVAL_MS,
      maxBackoffMs: MAX_BACKOFF_MS,
    },
  ) {}

  /** True when the workspace recorded a membership (team.sqlite may hold only its client id). */
  get joined(): boolean {
    if (!existsSync(path.join(this.workspace.dir, TEAM_FILE))) return false
    return this.#local((local) => local.membership() !== null)
  }

  #local<T>(fn: (local: TeamLocal) => T): T {
    const local = TeamLocal.open(this.workspace.dir)
    try {
      return fn(local)
    } finally {
      local.close()
    }
  }

  state(): TeamSyncState {
    if (!this.joined)
      return {
        joined: false,
        curator: null,
        role: null,
        server: null,
        state: 'not-joined',
        lastSync: null,
        pending: 0,
        assigned: [],
      }
    return this.#local((local) => {
      const m = local.membership()
      const last = local.lastSync()
      return {
        joined: m !== null,
        curator: m?.curator ?? null,
        role: m?.role ?? null,
        server: m ? redactUrl(m.url) : null,
        state: this.#running ? 'syncing' : this.#offline ? 'offline' : last && !last.ok ? 'error' : 'idle',
        lastSync: last,
        pending: this.workspace.pairsChangedSince(trustedCursor(this.workspace, local)),
        assigned: local.assignments(),
      }
    })
  }

  /** Syncs now (joining the sync in flight, if any). */
  syncNow(): Promise<SyncResult> {
    this.#running ??= (async () => {
      try {
        const r = await syncTeam(this.workspace.dir, { workspace: this.workspace })
        this.#failures = 0
        this.#offline = false
        return r
      } catch (err) {
        this.#failures++
        this.#offline = err instanceof CodedError && err.code === 'team-unreachable'
        throw err
      } finally {
        this.#running = undefined
      }
    })()
    return this.#running
  }

  /** Starts syncing by itself (no-op for a workspace that has not joined a team). */
  start(): void {
    if (this.#timer || this.#stopped || !this.joined) return
    const schedule = (ms: number) => {
      this.#timer = setTimeout(async () => {
        if (this.#stopped || !this.isCurrent()) return this.stop()
        await this.syncNow().catch(() => undefined)
        const { intervalMs, maxBackoffMs } = this.timing
        const backoff =
          this.#failures === 0 ? intervalMs : Math.min(maxBackoffMs, intervalMs * 2 ** (this.#failures - 1))
        if (!this.#stopped) schedule(backoff)
      }, ms)
      this.#timer.unref()
    }
    schedule(this.timing.firstMs)
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /**
   * Joins the team on `url` as `curator` from the app (the CLI's `team join`, through the app's
   * open workspace). The URL carries no password: node-postgres takes it from PGPASSWORD or
   * ~/.pgpass, so a password never crosses the renderer boundary, is never stored and never echoed
   * (messages name the server by its redacted URL). A workspace that already joined a team is
   * refused (a lead's membership must not turn into a curator's).
   */
  async join(url: string, curator: string): Promise<TeamSyncState> {
    const u = parseDbUrl(url)
    if (u.password !== '' || u.searchParams.has('password'))
      throw new CodedError(
        'bad-request',
        `give the server's URL without a password (${redactUrl(url)}); the password comes from PGPASSWORD or ~/.pgpass`,
      )
    const m = this.joined ? this.#local((local) => local.membership()) : null
    if (m)
      throw new CodedError(
        'team-exists',
        `this workspace already joined the team on ${redactUrl(m.url)} as ${m.curator} (${m.role})`,
      )
    await joinTeam(this.workspace.dir, url, curator, { workspace: this.workspace })
    return this.state()
  }

  #url(): { url: string; curator: string; role: 'lead' | 'curator' } {
    const m = this.#local((local) => local.membership())
    if (!m)
      throw new CodedError('team-not-found', 'this workspace has not joined a team (wsm-curator team join)')
    return { url: m.url, curator: m.curator, role: m.role }
  }

  /**
   * The team's status. Only the lead's program scores agreements (it downloads both reviewers'
   * masks); a curator's never does, and receives nothing computed from a pair they reviewed (the
   * blind rule, applied by `teamStatus` from the workspace's membership: the CLI's status too).
   */
  async status() {
    const { url } = this.#url()
    return teamStatus(url, { open: this.workspace })
  }

  /**
   * The lead's alone: a case holds both reviewers' masks, so a curator's program never asks for one
   * (the blind rule; the team view offers adjudication to the lead only, this is the check behind it).
   */
  #lead(): string {
    const { url, role, curator } = this.#url()
    if (role !== 'lead')
      throw new CodedError('bad-request', `only the team's lead adjudicates (${curator} is a curator)`)
    return url
  }

  /** The lead's identity, checked on the server too (a team.sqlite edited to say "lead" is not enough). */
  async #leadOnServer(client: pg.Client, action: string): Promise<void> {
    await requireLead(client, teamIdentity(this.workspace.dir), action)
  }

  async queue() {
    const url = this.#lead()
    return withClient(url, async (client) => {
      await this.#leadOnServer(client, 'sees the adjudication queue')
      return adjudicationQueue(client)
    })
  }

  async case(id: string) {
    const url = this.#lead()
    return withClient(url, async (client) => {
      await this.#leadOnServer(client, 'opens an adjudication case')
      const c = await adjudicationCase(client, this.workspace, id)
      return { pairId: c.pairId, source: c.source, first: c.first, second: c.second }
    })
  }

  async adjudicate(args: Parameters<TeamHandlers['team:adjudicate']>[0]) {
    const { url, curator } = this.#url()
    return withClient(url, async (client) => {
      const team = await readTeam(client)
      if (args.take === 'merge') {
        if (!args.status || args.width === undefined || args.height === undefined || !args.data)
          throw new CodedError('bad-request', 'a merge needs a status and the merged mask')
        return adjudicate(client, this.workspace, team, curator, args.id, {
          take: 'merge',
          status: args.status,
          map: { width: args.width, height: args.height, data: args.data },
        })
      }
      return adjudicate(client, this.workspace, team, curator, args.id, { take: args.take })
    })
  }
}

const rooms = new WeakMap<Workspace, TeamRoom>()

/** The team room of an open workspace (made, and its auto-sync started, on first use). */
export function teamRoomFor(workspace: Workspace, isCurrent: () => boolean, autoSync = true): TeamRoom {
  let room = rooms.get(workspace)
  if (!room) {
    room = new TeamRoom(workspace, isCurrent)
    rooms.set(workspace, room)
  }
  if (autoSync) room.start()
  return room
}

type TeamCall =
  | 'team:state'
  | 'team:join'
  | 'team:sync'
  | 'team:status'
  | 'team:adjudicationQueue'
  | 'team:adjudicationCase'
  | 'team:adjudicate'
export type TeamHandlers = Pick<ApiHandlers, TeamCall>

/**
 * The `team:*` handlers over the session's current workspace; `autoSync` (default true) starts the
 * background sync of a joined workspace on its first team call.
 */
export function createTeamHandlers(
  current: () => Workspace,
  options: { autoSync?: boolean } = {},
): TeamHandlers {
  const room = () => {
    const ws = current()
    const isCurrent = () => {
      try {
        return current() === ws
      } catch {
        return false
      }
    }
    return teamRoomFor(ws, isCurrent, options.autoSync ?? true)
  }
  return {
    'team:state': async () => room().state(),
    'team:join': async ({ url, curator }) => {
      const r = room()
      const state = await r.join(url, curator)
      if (options.autoSync ?? true) r.start()
      return state
    },
    'team:sync': async () => room().syncNow(),
    'team:status': async () => room().status(),
    'team:adjudicationQueue': async () => room().queue(),
    'team:adjudicationCase': async ({ id }) => room().case(id),
    'team:adjudicate': async (args) => room().adjudicate(args),
  }
}
