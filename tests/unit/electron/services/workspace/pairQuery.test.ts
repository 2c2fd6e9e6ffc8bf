import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listStatements, type PairFilter } from '../../../../../electron/services/workspace/pairQuery'
import { migrate } from '../../../../../electron/services/workspace/schema'
import { openSqlite, type SqliteDatabase } from '../../../../../electron/services/workspace/sqlite'

let dir: string
let db: SqliteDatabase

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-plan-'))
  db = openSqlite(path.join(dir, 'plan.sqlite'))
  migrate(db, 'plan.sqlite')
  // 43,885 rows like the real release: a tenth decided, a seventh not scanned yet.
  const insert = db.prepare(`INSERT INTO pairs (id, idx, status, uncertain_fraction) VALUES (?, ?, ?, ?)`)
  const statuses = ['accepted', 'rejected', 'flagged', 'skipped']
  db.transaction(() => {
    for (let i = 0; i < 43_885; i++) {
      insert.run(
        `ISIC_${String(i).padStart(7, '0')}`,
        i,
        i % 10 === 0 ? statuses[i % 4] : 'unreviewed',
        i % 7 === 0 ? null : ((i * 7919) % 1000) / 1000,
      )
    }
  })()
  db.exec('ANALYZE')
})

afterAll(async () => {
  db.close()
  await fsp.rm(dir, { recursive: true, force: true })
})

function plan(sql: string, params: unknown[]): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params, 100, 20_000) as { detail: string }[])
    .map((r) => r.detail)
    .join('; ')
}

const cases: [string, PairFilter, 'id' | 'uncertain', 'asc' | 'desc'][] = [
  ['all by id', {}, 'id', 'asc'],
  ['one status by id', { status: 'flagged' }, 'id', 'desc'],
  ['all by fraction', {}, 'uncertain', 'desc'],
  ['one status by fraction', { status: 'unreviewed' }, 'uncertain', 'asc'],
  ['a fraction range by fraction', { uncertainMin: 0.1, uncertainMax: 0.5 }, 'uncertain', 'desc'],
  ['a status and a range by fraction', { status: 'unreviewed', uncertainMax: 0.2 }, 'uncertain', 'asc'],
]

describe('listing query plans at 43,885 pairs', () => {
  it.each(cases)('%s: walks one index in order, never sorts the set', (_name, filter, sort, order) => {
    const sql = listStatements(filter, sort, order)
    const params = sql.params
    for (const q of [sql.byId, sql.scanned, sql.unscanned].filter((s): s is string => s !== undefined)) {
      const p = plan(q, params)
      expect(p).not.toMatch(/TEMP B-TREE/)
      // Either the table itself in id order (it is clustered on id) or a covering index.
      expect(p).toMatch(/^SCAN pairs$|COVERING INDEX/)
    }
    for (const q of [sql.count, sql.scannedCount].filter((s): s is string => s !== undefined)) {
      expect(
        db
          .prepare(`EXPLAIN QUERY PLAN ${q}`)
          .all(...params)
          .map((r) => (r as { detail: string }).detail)
          .join(),
      ).toMatch(/COVERING INDEX|SCAN pairs/)
    }
  })

  it('returns the rows in the promised order', () => {
    const sql = listStatements({ status: 'unreviewed' }, 'uncertain', 'desc')
    const rows = db.prepare(sql.scanned!).all(...sql.params, 50, 100) as {
      id: string
      uncertain_fraction: number
    }[]
    const keys = rows.map((r) => [r.uncertain_fraction, r.id] as const)
    const sorted = [...keys].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1))
    expect(keys).toEqual(sorted)
  })
})
