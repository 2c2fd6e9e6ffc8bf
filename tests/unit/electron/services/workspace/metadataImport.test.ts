/**
 * The metadata import on a real workspace: all or nothing (a file that fails late changes no
 * value and no count), run outside the write queue (a status change made during an import is not
 * held up by it), and the queue filter's values capped at the most frequent ones.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CallResult } from '../../../../../shared/api/contract'
import { dispatch } from '../../../../../shared/api/dispatch'
import type { Result } from '../../../../../shared/api/result'
import { createApiHandlers } from '../../../../../electron/services/api'
import { CurationSession } from '../../../../../electron/services/session'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { codeOf } from '../../../../support/datasetFixtures'
import { makeWorkspace, type Sources } from './fixtures'

let root: string
let sources: Sources
let ws: Workspace

async function csv(name: string, text: string | Buffer): Promise<string> {
  const file = path.join(root, name)
  await fsp.writeFile(file, text)
  return file
}

/** `rows` data rows cycling over the workspace's ids; diagnosis and site depend on the row. */
function bigCsv(rows: number, tag: string): string[] {
  const lines = ['isic_id,diagnosis,site']
  for (let i = 0; i < rows; i++) {
    const id = sources.ids[i % sources.ids.length]
    lines.push(`${id},${tag}-${i % 7},site-${tag}-${i % 3}`)
  }
  return lines
}

/** Everything the import may touch, in a stable order. */
function snapshot(): unknown {
  const db = ws.store.db
  return {
    columns: db.prepare(`SELECT name, position FROM metadata_columns ORDER BY position`).all(),
    values: db.prepare(`SELECT col, pair_id, value FROM metadata ORDER BY col, pair_id`).all(),
    counts: db.prepare(`SELECT col, value, pairs FROM metadata_counts ORDER BY col, value`).all(),
  }
}

beforeAll(async () => {
  ;({ root, sources, ws } = await makeWorkspace('wsm-metaimport-'))
  await ws.importMetadata([
    await csv(
      'v1.csv',
      'isic_id,diagnosis,site\n' + sources.ids.map((id, i) => `${id},old-${i % 2},head`).join('\n') + '\n',
    ),
  ])
})

afterAll(async () => {
  await ws.close()
  await fsp.rm(root, { recursive: true, force: true })
})

describe('metadata import: all or nothing', () => {
  it('leaves values and counts exactly as before when row 20,000 is broken', async () => {
    const before = snapshot()
    expect((before as { values: unknown[] }).values).toHaveLength(10)
    const lines = bigCsv(25_000, 'new')
    lines[20_000] = `${sources.ids[0]},new-x,site,one-field-too-many`
    expect(await codeOf(ws.importMetadata([await csv('broken.csv', lines.join('\n'))]))).toBe(
      'metadata-not-csv',
    )
    expect(snapshot()).toEqual(before)
  })

  it('refuses binary bytes and invalid UTF-8 past the first 64 KiB, changing nothing', async () => {
    const before = snapshot()
    const text = bigCsv(10_000, 'new').join('\n') + '\n'
    expect(text.length).toBeGreaterThan(65536 * 2)
    const nul = Buffer.from(text)
    nul[100_000] = 0
    expect(await codeOf(ws.importMetadata([await csv('nul.csv', nul)]))).toBe('metadata-not-csv')
    const latin = Buffer.concat([Buffer.from(text), Buffer.from(`${sources.ids[1]},t\xeate,x\n`, 'latin1')])
    expect(await codeOf(ws.importMetadata([await csv('latin.csv', latin)]))).toBe('metadata-not-csv')
    expect(snapshot()).toEqual(before)
  })

  it('a second file failing keeps the first one out too; a good import replaces values and counts at once', async () => {
    const before = snapshot()
    const good = await csv('good.csv', bigCsv(12_000, 'new').join('\n'))
    const bad = await csv('bad.csv', 'image_id,MEL\nISIC_0000001,"open\n')
    expect(await codeOf(ws.importMetadata([good, bad]))).toBe('metadata-not-csv')
    expect(snapshot()).toEqual(before)

    const r = await ws.importMetadata([good])
    expect(r).toMatchObject({ rows: 12_000, matched: 12_000, columns: ['diagnosis', 'site'] })
    // The last row of each pair wins: row i = 11995 + k holds ids[k].
    const values = ws.metadataOf(sources.ids)
    sources.ids.forEach((id, k) => {
      const i = 11_995 + k
      expect(values.get(id)).toEqual({ diagnosis: `new-${i % 7}`, site: `site-new-${i % 3}` })
    })
    const counts = ws.store.db
      .prepare(`SELECT col, value, pairs FROM metadata_counts ORDER BY col, value`)
      .all()
    const recount = ws.store.db
      .prepare(`SELECT col, value, count(*) AS pairs FROM metadata GROUP BY col, value ORDER BY col, value`)
      .all()
    expect(counts).toEqual(recount)
    expect(ws.metadataColumns().map((c) => c.name)).toEqual(['diagnosis', 'site'])
  })
})

describe('metadata import: outside the write queue', () => {
  it('lets a status change made during an import finish before the import does', async () => {
    const file = await csv('long.csv', bigCsv(60_000, 'later').join('\n'))
    const order: string[] = []
    const importing = ws.importMetadata([file]).then(() => order.push('import'))
    // Let the import start parsing, then change a status: it must not wait behind the import.
    await new Promise<void>((resolve) => setImmediate(resolve))
    await ws.setStatus(sources.ids[0], 'flagged').then(() => order.push('status'))
    await importing
    expect(order).toEqual(['status', 'import'])
    expect(ws.metadataOf([sources.ids[0]]).get(sources.ids[0])?.diagnosis).toMatch(/^later-/)
  })
})

describe('metadata import: closing', () => {
  it('cancels an import still parsing when the workspace closes; nothing of it is stored', async () => {
    const dir = path.join(root, 'ws-close')
    const other = await Workspace.create(dir, {
      masks: sources.masks,
      images: [sources.images],
      curator: 'bo',
    })
    const importing = other.importMetadata([await csv('closing.csv', bigCsv(60_000, 'gone').join('\n'))])
    const outcome = codeOf(importing)
    await new Promise<void>((resolve) => setImmediate(resolve))
    await other.close()
    expect(await outcome).toBe('cancelled')
    const again = await Workspace.open(dir, { curator: 'bo' })
    try {
      expect(again.metadataColumns()).toEqual([])
      expect(again.store.db.prepare(`SELECT count(*) AS n FROM metadata`).get()).toEqual({ n: 0 })
    } finally {
      await again.close()
    }
  })
})

describe('metadata values for the queue filter', () => {
  it('gives the top values of a column with 5,000 distinct values, the distinct count and the rest', async () => {
    const db = ws.store.db
    db.prepare(`INSERT INTO metadata_columns (name, position, imported_at) VALUES ('lesion_id', 99, 0)`).run()
    const put = db.prepare(`INSERT INTO metadata_counts (col, value, pairs) VALUES ('lesion_id', ?, ?)`)
    let pairs = 0
    db.transaction(() => {
      for (let i = 0; i < 5000; i++) {
        const n = i < 10 ? 100 - i : 1 + (i % 3)
        put.run(`IL_${String(i).padStart(7, '0')}`, n)
        pairs += n
      }
    })()
    const top = ws.metadataTopValues('lesion_id', 200)
    expect(top.values).toHaveLength(200)
    expect(top.distinct).toBe(5000)
    expect(top.values.slice(0, 3)).toEqual([
      { value: 'IL_0000000', pairs: 100 },
      { value: 'IL_0000001', pairs: 99 },
      { value: 'IL_0000002', pairs: 98 },
    ])
    expect(top.otherPairs + top.values.reduce((a, v) => a + v.pairs, 0)).toBe(pairs)
    expect(top.otherPairs).toBeGreaterThan(0)
    expect(() => ws.metadataTopValues('Lesion_ID', 200)).toThrow(/"Lesion_ID"/)

    // The renderer's call (metadata:values) gives the same capped answer.
    const session = new CurationSession(ws, { scan: false })
    const handlers = createApiHandlers({
      host: 'electron',
      session: () => session,
      setSession: () => undefined,
      allowPath: () => false,
      recent: async () => [],
      addRecent: async () => undefined,
    })
    const r = (await dispatch(handlers, 'metadata:values', { column: 'lesion_id' })) as Result<
      CallResult<'metadata:values'>
    >
    expect(
      r.ok && { n: r.value.values.length, distinct: r.value.distinct, other: r.value.otherPairs },
    ).toEqual({
      n: 200,
      distinct: 5000,
      other: top.otherPairs,
    })
  })
})
