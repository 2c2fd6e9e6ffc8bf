/**
 * The team room's own state in a workspace: `<ws>/team.sqlite` (WAL, synchronous=FULL), beside the
 * workspace's files and never mixed with them — the workspace itself is only ever read by the team
 * code. It holds the server URL WITHOUT its password, the curator, the team's id, the push cursor
 * (the highest local event sequence number whose pair state the server has committed), the
 * assignments pulled at the last sync, and the last sync's outcome (for the app's sync badge).
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import type { Assignment, LastSync } from '../../../shared/api/team'
import { openSqlite, sqliteError, type SqliteDatabase } from '../workspace/sqlite'

export const TEAM_FILE = 'team.sqlite'
export const LOCAL_SCHEMA_VERSION = 1

export type { Assignment, LastSync }

export type TeamRole = 'lead' | 'curator'

export interface TeamMembership {
  /** postgres:// URL without password. */
  url: string
  curator: string
  teamId: string
  role: TeamRole
}

/** A fresh client id (a workspace's id in the team's decision keys). */
export function newClientId(): string {
  return randomBytes(12).toString('hex')
}

/**
 * The client id this workspace has or will have: the one in its team.sqlite, else a fresh one to
 * pass to `TeamLocal.open(…, { create: true, clientId })` once the server accepted it (so a refused
 * join leaves no team file behind).
 */
export function workspaceClientId(workspaceDir: string, nativeBinding?: string): string {
  if (!existsSync(path.join(workspaceDir, TEAM_FILE))) return newClientId()
  const local = TeamLocal.open(workspaceDir, { nativeBinding })
  try {
    return local.clientId()
  } finally {
    local.close()
  }
}

/**
 * The ids of the curator's assignments still to do, as pulled at the last sync (the queue's "my
 * assignments" filter): of both roles, or of one. `team-not-found` when the workspace has no team.
 */
export function assignedPairIds(
  workspaceDir: string,
  role: 'any' | Assignment['role'] = 'any',
  nativeBinding?: string,
): string[] {
  const local = TeamLocal.open(workspaceDir, { nativeBinding })
  try {
    return local.assignedIds(role)
  } finally {
    local.close()
  }
}

export class TeamLocal {
  private constructor(
    readonly file: string,
    private readonly db: SqliteDatabase,
  ) {}

  /** Opens (creating with `create`) the team file of a workspace folder. */
  static open(
    workspaceDir: string,
    options: { create?: boolean; nativeBinding?: string; clientId?: string } = {},
  ): TeamLocal {
    const file = path.join(workspaceDir, TEAM_FILE)
    if (!options.create && !existsSync(file))
      throw new CodedError(
        'team-not-found',
        `the workspace ${workspaceDir} has not joined a team (wsm-curator team join)`,
        file,
      )
    let db: SqliteDatabase
    try {
      db = openSqlite(file, { nativeBinding: options.nativeBinding, busyTimeoutMs: 5000 })
    } catch (err) {
      throw sqliteError(err, file, 'open the team state')
    }
    try {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      const version = db.pragma('user_version', { simple: true }) as number
      if (version > LOCAL_SCHEMA_VERSION)
        throw new CodedError(
          'workspace-version',
          `${file} has version ${version}; this program knows up to ${LOCAL_SCHEMA_VERSION}`,
          file,
        )
      if (version < 1) {
        db.exec(`
          BEGIN;
          CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
          CREATE TABLE assignments (id TEXT PRIMARY KEY, role TEXT NOT NULL, received_at TEXT NOT NULL);
          PRAGMA user_version = 1;`)
        db.prepare("INSERT INTO meta (key, value) VALUES ('clientId', ?)").run(
          options.clientId ?? newClientId(),
        )
        db.exec('COMMIT')
      }
    } catch (err) {
      db.close()
      throw sqliteError(err, file, 'open the team state')
    }
    return new TeamLocal(file, db)
  }

  private get(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
      { value: string } | undefined
    return row?.value
  }

  private setMany(values: Record<string, string>): void {
    const put = this.db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    )
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(values)) put.run(k, v)
    })()
  }

  /** This workspace's id in the team's decision keys (random, made with the file). */
  clientId(): string {
    const id = this.get('clientId')
    if (!id) throw new CodedError('workspace-corrupt', `${this.file} has no client id`, this.file)
    return id
  }

  membership(): TeamMembership | null {
    const url = this.get('url')
    const curator = this.get('curator')
    const teamId = this.get('teamId')
    const role = this.get('role')
    if (!url || !curator || !teamId || (role !== 'lead' && role !== 'curator')) return null
    return { url, curator, teamId, role }
  }

  /** Records membership; a different team id than before resets the cursor and assignments. */
  setMembership(m: TeamMembership): void {
    this.db.transaction(() => {
      if (this.get('teamId') !== m.teamId) {
        this.db.prepare("DELETE FROM meta WHERE key IN ('cursor', 'cursorMark')").run()
        this.db.prepare('DELETE FROM assignments').run()
      }
      this.setMany({ url: m.url, curator: m.curator, teamId: m.teamId, role: m.role })
    })()
  }

  /** The highest local event seq whose pair state the server holds (0: nothing pushed). */
  cursor(): number {
    return Number(this.get('cursor') ?? 0)
  }

  /**
   * The identity of the event at the cursor (`pair@time`), recorded with it: the events table's
   * identity. If the workspace database's events no longer have it at that seq (renumbered by a
   * rebuild, restored from an older copy), the cursor means nothing there (see sync.ts
   * `trustedCursor`). Null for a cursor written before the mark existed.
   */
  cursorMark(): string | null {
    return this.get('cursorMark') ?? null
  }

  /** Advanced only after the server committed everything up to `seq`; never moves back. */
  advanceCursor(seq: number, mark?: string): void {
    if (seq > this.cursor()) this.setMany({ cursor: String(seq), ...(mark ? { cursorMark: mark } : {}) })
  }

  /** Records the mark of a cursor written before marks existed (it was checked against the events). */
  adoptCursorMark(mark: string): void {
    this.setMany({ cursorMark: mark })
  }

  /** Back to nothing pushed: the next sync pushes every pair again (the server's keys drop what it has). */
  resetCursor(): void {
    this.db.prepare("DELETE FROM meta WHERE key IN ('cursor', 'cursorMark')").run()
  }

  assignments(): Assignment[] {
    return this.db.prepare('SELECT id, role FROM assignments ORDER BY id').all() as Assignment[]
  }

  /** The ids of the assignments pulled last, of both roles or one, in id order. */
  assignedIds(role: 'any' | Assignment['role'] = 'any'): string[] {
    const sql =
      role === 'any'
        ? 'SELECT DISTINCT id FROM assignments ORDER BY id'
        : 'SELECT id FROM assignments WHERE role = ? ORDER BY id'
    const stmt = this.db.prepare(sql).pluck()
    return (role === 'any' ? stmt.all() : stmt.all(role)) as string[]
  }

  /** Replaces the assignments with what the server says now; returns how many are new here. */
  replaceAssignments(list: readonly Assignment[], at: string): number {
    return this.db.transaction(() => {
      const before = new Set(this.assignments().map((a) => `${a.id}\0${a.role}`))
      this.db.prepare('DELETE FROM assignments').run()
      const ins = this.db.prepare('INSERT INTO assignments (id, role, received_at) VALUES (?, ?, ?)')
      let fresh = 0
      for (const a of list) {
        ins.run(a.id, a.role, at)
        if (!before.has(`${a.id}\0${a.role}`)) fresh++
      }
      return fresh
    })()
  }

  lastSync(): LastSync | null {
    const v = this.get('lastSync')
    return v ? (JSON.parse(v) as LastSync) : null
  }

  recordSync(s: LastSync): void {
    this.setMany({ lastSync: JSON.stringify(s) })
  }

  close(): void {
    this.db.close()
  }
}
