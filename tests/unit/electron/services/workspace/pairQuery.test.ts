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

describe('a listing of given ids (the curator team assignments)', () => {
  const ids = Array.from({ length: 200 }, (_, i) => `ISIC_${String(i * 211 + 5).padStart(7, '0')}`)

  it.each([
    ['id', 'asc'],
    ['uncertain', 'desc'],
    ['score', 'asc'],
  ] as const)('by %s: searches the primary key for each id, never walks every pair', (sort, order) => {
    const sql = listStatements({ ids }, sort, order)
    for (const q of [sql.byId, sql.scanned, sql.unscanned, sql.count, sql.scannedCount]) {
      if (q === undefined) continue
      const p = plan(q.includes('LIMIT') ? q : `${q} LIMIT ? OFFSET ?`, sql.params)
      // Looked up id by id (by the table's key, or a covering index's key ending in the id).
      expect(p).toMatch(/^SEARCH pairs USING (PRIMARY KEY \(id=\?\)|COVERING INDEX \w+ \(.*\bid=\?)/)
      expect(p).not.toMatch(/SCAN pairs/)
    }
  })

  it('lists exactly those pairs, in the order asked, with the other conditions', () => {
    const byFraction = listStatements({ ids, status: 'unreviewed' }, 'uncertain', 'asc')
    const scanned = db.prepare(byFraction.scanned!).all(...byFraction.params, 1000, 0) as {
      id: string
      uncertain_fraction: number
    }[]
    const unscanned = db.prepare(byFraction.unscanned!).all(...byFraction.params, 1000, 0) as { id: string }[]
    const expected = ids.filter((id) => {
      const i = Number(id.slice(5))
      return i % 10 !== 0
    })
    expect([...scanned, ...unscanned].map((r) => r.id).sort()).toEqual(expected)
    const keys = scanned.map((r) => [r.uncertain_fraction, r.id] as const)
    expect(keys).toEqual([...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1)))
    expect(
      db
        .prepare(byFraction.count)
        .pluck()
        .get(...byFraction.params),
    ).toBe(expected.length)
    const none = listStatements({ ids: [] }, 'id', 'asc')
    expect(
      db
        .prepare(none.count)
        .pluck()
        .get(...none.params),
    ).toBe(0)
  })
})
