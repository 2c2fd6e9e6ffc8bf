/**
 * One writer per workspace. The lock is an exclusive SQLite lock on `<workspace>/workspace.lock`
 * (a tiny database in EXCLUSIVE locking mode), i.e. an OS file lock (fcntl on POSIX, LockFileEx on
 * Windows): the operating system releases it when the holder exits or is killed, so there is no
 * stale lock to detect or break, and pid reuse cannot fool it. Who holds it (pid, host, since) is
 * written to the workspace database, where a second instance can read it for its message.
 *
 * The lock file must never be opened by anything else in this process (closing any descriptor of a
 * file drops the process's POSIX locks on it); SQLite manages its own descriptors.
 */
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import { openSqlite, sqliteCode, type SqliteDatabase } from './sqlite'

export const LOCK_FILE = 'workspace.lock'

export class WorkspaceLock {
  #db: SqliteDatabase | undefined

  private constructor(
    db: SqliteDatabase,
    readonly file: string,
  ) {
    this.#db = db
  }

  /**
   * Takes the workspace's lock or throws `workspace-locked` at once (never waits). A folder where
   * the lock file cannot be created gives `read-only`.
   */
  static acquire(dir: string, options: { nativeBinding?: string } = {}): WorkspaceLock {
    const file = path.join(dir, LOCK_FILE)
    let db: SqliteDatabase
    try {
      db = openSqlite(file, { nativeBinding: options.nativeBinding })
    } catch (err) {
      throw new CodedError(
        'read-only',
        `cannot create the lock file ${file}: ${err instanceof Error ? err.message : err}`,
        file,
      )
    }
    try {
      db.pragma('locking_mode = EXCLUSIVE')
      db.pragma('journal_mode = OFF')
      // The first write takes the EXCLUSIVE lock; in this locking mode it is kept until close.
      db.exec('BEGIN EXCLUSIVE')
      db.exec('CREATE TABLE IF NOT EXISTS held (n INTEGER)')
      db.exec('COMMIT')
      return new WorkspaceLock(db, file)
    } catch (err) {
      db.close()
      const code = sqliteCode(err) ?? ''
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
        throw new CodedError('workspace-locked', `the workspace ${dir} is open in another program`, dir)
      }
      if (
        code.startsWith('SQLITE_READONLY') ||
        code.startsWith('SQLITE_CANTOPEN') ||
        code === 'SQLITE_PERM'
      ) {
        throw new CodedError('read-only', `cannot lock the workspace ${dir}: ${(err as Error).message}`, file)
      }
      throw new CodedError('io-error', `cannot lock the workspace ${dir}: ${(err as Error).message}`, file)
    }
  }

  get held(): boolean {
    return this.#db !== undefined
  }

  /** Releases the lock. Idempotent. */
  release(): void {
    const db = this.#db
    this.#db = undefined
    db?.close()
  }
}
