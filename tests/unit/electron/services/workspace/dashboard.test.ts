/**
 * The dashboard and metadata rooms on a real workspace: every chart's aggregate, the queue's
 * metadata and problem filters, value counts kept by re-imports, the metadata of exported pairs.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DASHBOARD_BINS } from '../../../../../shared/workspace/dashboard'
import { CurationSession } from '../../../../../electron/services/session'
import type { Workspace } from '../../../../../electron/services/workspace/workspace'
import { makeWorkspace } from './fixtures'

let root: string
let ws: Workspace

async function csv(name: string, text: string): Promise<string> {
  const file = path.join(root, name)
  await fsp.writeFile(file, text)
  return file
}

beforeAll(async () => {
  ;({ root, ws } = await makeWorkspace('wsm-dash-'))
  await ws.startStatsScan()
  // The scan stores each pair's mask-only triage score; the score histogram test sets its own.
  ws.store.db.prepare(`UPDATE pairs SET triage_score = NULL`).run()
})

afterAll(async () => {
  await ws.close()
  await fsp.rm(root, { recursive: true, force: true })
})

describe('Workspace.dashboard', () => {
  it('aggregates statuses, the uncertain histogram, decisions per day and curator, and problems', async () => {
    await ws.setStatuses(['ISIC_0000001', 'ISIC_0000002'], 'accepted')
    await ws.setStatus('ISIC_0000003', 'flagged')
    await ws.setStatus('ISIC_0000003', 'rejected')
    const d = ws.dashboard()
    expect(d.total).toBe(5)
    expect(d.byStatus).toMatchObject({ accepted: 2, rejected: 1, unreviewed: 2 })
    expect(d.uncertainHistogram).toHaveLength(DASHBOARD_BINS)
    expect(d.uncertainHistogram.reduce((a, b) => a + b, 0)).toBe(5)
    expect(d.scanned).toBe(5)
    const today = new Date().toISOString().slice(0, 10)
    // Three pairs decided for the first time today; four decisions (3 twice) by ana.
    expect(d.firstDecisions).toEqual([{ day: today, pairs: 3 }])
    expect(d.decisions).toEqual([{ day: today, curator: 'ana', events: 4 }])
    expect(d.problems).toEqual([])
    expect(d.scoreHistogram).toBeNull()
    expect(d.metadata).toEqual([])
    // Each bin's pairs are what listPairs gives for that bin's fraction range.
    const fractions = ws.listPairs({ limit: 10 }).items.map((i) => i.uncertainFraction as number)
    const bins = new Array<number>(DASHBOARD_BINS).fill(0)
    for (const f of fractions) bins[Math.min(DASHBOARD_BINS - 1, Math.floor(f * DASHBOARD_BINS))]++
    expect(d.uncertainHistogram).toEqual(bins)
  })

  it('gives the triage score histogram once scores exist (null before)', (ctx) => {
    const db = ws.store.db
    const hasScore = db
      .prepare(`SELECT count(*) AS n FROM pragma_table_info('pairs') WHERE name = 'triage_score'`)
      .get() as { n: number }
    if (hasScore.n === 0) ctx.skip('this schema has no triage_score column yet (the triage migration)')
    expect(ws.dashboard().scoreHistogram).toBeNull()
    const set = db.prepare(`UPDATE pairs SET triage_score = ? WHERE id = ?`)
    set.run(0.01, 'ISIC_0000001')
    set.run(0.5, 'ISIC_0000002')
    set.run(1, 'ISIC_0000003')
    const expected = new Array<number>(DASHBOARD_BINS).fill(0)
    expected[0] = 1
    expected[DASHBOARD_BINS / 2] = 1
    expected[DASHBOARD_BINS - 1] = 1
    expect(ws.dashboard().scoreHistogram).toEqual(expected)
    db.prepare(`UPDATE pairs SET triage_score = NULL`).run()
  })

  it('breaks metadata down by value, kept current by re-imports, and filters listings by it', async () => {
    await ws.importMetadata([
      await csv(
        'a.csv',
        'isic_id,diagnosis,sex\nISIC_0000001,melanoma,male\nISIC_0000002,nevus,female\nISIC_0000003,nevus,male\n',
      ),
    ])
    let d = ws.dashboard()
    expect(d.metadata.map((m) => [m.column, m.pairs, m.values])).toEqual([
      [
        'diagnosis',
        3,
        [
          { value: 'nevus', pairs: 2 },
          { value: 'melanoma', pairs: 1 },
        ],
      ],
      [
        'sex',
        3,
        [
          { value: 'male', pairs: 2 },
          { value: 'female', pairs: 1 },
        ],
      ],
    ])
    // A later import replaces the pair's value; an empty cell clears it.
    await ws.importMetadata([
      await csv('b.csv', 'image_id,diagnosis\r\nISIC_0000002,melanoma\r\nISIC_0000003,\r\n'),
    ])
    d = ws.dashboard()
    expect(d.metadata[0].values).toEqual([{ value: 'melanoma', pairs: 2 }])
    expect(ws.metadataColumns()).toEqual([
      { name: 'diagnosis', pairs: 2 },
      { name: 'sex', pairs: 3 },
    ])
    const ids = (q: Parameters<Workspace['listIds']>[0]) => ws.listIds(q)
    expect(ids({ metadata: [{ column: 'diagnosis', values: ['melanoma'] }] })).toEqual([
      'ISIC_0000001',
      'ISIC_0000002',
    ])
    expect(
      ids({
        metadata: [
          { column: 'diagnosis', values: ['melanoma', 'nevus'] },
          { column: 'sex', values: ['female'] },
        ],
      }),
    ).toEqual(['ISIC_0000002'])
    expect(ws.listPairs({ metadata: [{ column: 'sex', values: ['male'] }], sort: 'uncertain' }).total).toBe(2)
    expect(ids({ problem: 'mask-values' })).toEqual([])
    expect(ws.metadataOf(['ISIC_0000001', 'ISIC_0000004'])).toEqual(
      new Map([
        ['ISIC_0000001', { diagnosis: 'melanoma', sex: 'male' }],
        ['ISIC_0000004', {}],
      ]),
    )
    expect(() => ws.checkMetadataConditions([{ column: 'Diagnosis', values: ['x'] }])).toThrow(/"Diagnosis"/)
  })
})

describe('the session: queue and export by metadata', () => {
  it('sets the queue to the pairs meeting metadata conditions, plans an export of them, refuses unknown columns', () => {
    const session = new CurationSession(ws, { scan: false })
    const male = [{ column: 'sex', values: ['male'] }]
    expect(session.setQueue({ sort: 'id', order: 'asc', metadata: male })).toEqual({ total: 2 })
    expect(session.queuePage(0, 10).items.map((i) => i.id)).toEqual(['ISIC_0000001', 'ISIC_0000003'])
    expect(session.exportPlan({ anyStatus: true, where: male }).count).toBe(2)
    expect(session.exportPlan({ anyStatus: true }).count).toBe(5)
    expect(() =>
      session.setQueue({ sort: 'id', order: 'asc', metadata: [{ column: 'Sex', values: ['male'] }] }),
    ).toThrow(/"Sex"/)
    expect(() => session.exportPlan({ anyStatus: true, where: [{ column: 'Sex', values: ['x'] }] })).toThrow(
      /"Sex"/,
    )
  })
})
