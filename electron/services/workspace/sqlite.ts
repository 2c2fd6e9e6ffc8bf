/**
 * The one place that opens SQLite databases. better-sqlite3 is a native addon built for one ABI:
 * plain Node (CLI, serve, tests) uses the default build; the Electron main process passes the path
 * of a build for Electron's ABI, either as `nativeBinding` or through the environment variable
 * `WSM_CURATOR_SQLITE_BINDING`.
 */
import Database from 'better-sqlite3'
import { CodedError } from '../../../shared/api/errors'

export type SqliteDatabase = Database.Database

export const SQLITE_BINDING_ENV = 'WSM_CURATOR_SQLITE_BINDING'

export interface OpenSqliteOptions {
  readonly?: boolean
  /** The database must already exist (never create it). */
  fileMustExist?: boolean
  /** Path of a `better_sqlite3.node` built for this runtime; default: $WSM_CURATOR_SQLITE_BINDING. */
  nativeBinding?: string
  /** How long to wait for another connection's lock, in ms (default 0: fail at once). */
  busyTimeoutMs?: number
}

/** Opens (or creates) a database file. Errors are SqliteErrors, or TypeErrors for bad options. */
export function openSqlite(file: string, options: OpenSqliteOptions = {}): SqliteDatabase {
  const nativeBinding = options.nativeBinding ?? process.env[SQLITE_BINDING_ENV]
  const opts: Database.Options = {
    readonly: options.readonly === true,
    fileMustExist: options.fileMustExist === true || options.readonly === true,
    timeout: options.busyTimeoutMs ?? 0,
  }
  if (nativeBinding !== undefined && nativeBinding !== '') opts.nativeBinding = nativeBinding
  return new Database(file, opts)
}

/** The SQLite result code of an error (`SQLITE_BUSY`, `SQLITE_CORRUPT`…), if it is one. */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined
}

/** True for the errors that mean the file is not a sound database. */
export function isCorruption(err: unknown): boolean {
  const code = sqliteCode(err)
  return code !== undefined && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
}

/** Maps a SQLite error to a coded one (full disk, read-only, I/O, else `io-error` with the detail). */
export function sqliteError(err: unknown, file: string, what: string): CodedError {
  if (err instanceof CodedError) return err
  const code = sqliteCode(err) ?? ''
  const detail = err instanceof Error ? err.message : String(err)
  if (code === 'SQLITE_FULL')
    return new CodedError('disk-full', `cannot ${what}: the disk is full (${detail})`, file)
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM'))
    return new CodedError('read-only', `cannot ${what}: the database is read-only (${detail})`, file)
  if (isCorruption(err))
    return new CodedError('workspace-corrupt', `cannot ${what}: ${file} is damaged (${detail})`, file)
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return new CodedError('workspace-locked', `cannot ${what}: ${file} is locked by another program`, file)
  return new CodedError('io-error', `cannot ${what}: ${detail}`, file)
}
