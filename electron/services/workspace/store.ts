/**
 * The workspace's SQLite connection as the rooms use it: statements prepared once per connection
 * (each room keeps its SQL next to its code and asks for the statement here), one IMMEDIATE
 * transaction per write with SQLite errors mapped to coded ones, and the two writes every room
 * shares: a pair's row and an audit event.
 */
import type Database from 'better-sqlite3'
import { CodedError } from '../../../shared/api/errors'
import type { Dataset } from '../dataset'
import type { NewEvent, PairRow } from './rows'
import { sqliteError, type SqliteDatabase } from './sqlite'

type Statement = Database.Statement<unknown[]>

const SQL = {
  row: `SELECT * FROM pairs WHERE id = ?`,
  event: `INSERT INTO events (at, curator, pair_id, kind, from_status, to_status, note, transitions, mask_sha256, recovered)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
} as const

export class WorkspaceStore {
  readonly #statements = new Map<string, Statement>()

  constructor(
    readonly db: SqliteDatabase,
    /** The database file, as errors name it. */
    readonly file: string,
  ) {}

  /** The statement of `sql`, prepared on first use; `pluck` ones return the first column only. */
  statement(sql: string, mode: 'rows' | 'pluck' = 'rows'): Statement {
    const key = mode === 'pluck' ? `pluck:${sql}` : sql
    let st = this.#statements.get(key)
    if (st === undefined) {
      st = this.db.prepare<unknown[]>(sql)
      if (mode === 'pluck') st.pluck()
      this.#statements.set(key, st)
    }
    return st
  }

  /** Runs fn in one IMMEDIATE transaction, mapping SQLite errors to coded ones. */
  write<T>(what: string, fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate()
    } catch (err) {
      throw err instanceof CodedError ? err : sqliteError(err, this.file, what)
    }
  }

  /** A pair's row (the queue, thumbnails and exports read it for every pair they touch). */
  row(id: string): PairRow | undefined {
    return this.statement(SQL.row).get(id) as PairRow | undefined
  }

  appendEvent(e: NewEvent): void {
    this.statement(SQL.event).run(
      e.at,
      e.curator,
      e.id,
      e.kind,
      e.from,
      e.to,
      e.note ?? null,
      e.transitions ? JSON.stringify(e.transitions.map((t) => [t.from, t.to, t.pixels])) : null,
      e.maskSha256 ?? null,
      e.recovered ? 1 : 0,
    )
  }
}

/** What the rooms of an open workspace share. */
export interface WorkspaceContext {
  readonly dir: string
  readonly store: WorkspaceStore
  readonly dataset: Dataset
  /** The curator recorded in this session's events. */
  readonly curator: string
  /** Things worth telling the curator (recoveries, adopted or quarantined files). */
  readonly notices: string[]
  /** The corrected mask file of a pair (whether or not it exists). */
  maskFile(id: string): string
  /** True when the open dataset holds `id`. */
  inDataset(id: string): boolean
}
