/**
 * qa7 #14: a save that changes nothing (Ctrl+S with no edit after a settle-save) writes nothing and
 * adds no audit event; every save that means something still does — a pair's first save (even equal
 * to its source), a new note, a decided pair made `corrected` again, a changed pixel. Real
 * workspace, real files, the events read from the workspace's SQLite.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSqlite } from '../../../../../electron/services/workspace/sqlite'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { makeSources, resolveUncertain } from './fixtures'

let root: string
let ws: Workspace
const ID = 'ISIC_0000001'

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-empty-save-'))
  const src = await makeSources(path.join(root, 'src'))
  ws = await Workspace.create(path.join(root, 'ws'), {
    masks: src.masks,
    images: [src.images],
    curator: 'ana',
  })
})
afterAll(async () => {
  await ws?.close()
  if (root) await fsp.rm(root, { recursive: true, force: true })
})

function events(
  id: string,
): { kind: string; to_status: string; transitions: string | null; note: string | null }[] {
  const db = openSqlite(path.join(ws.dir, 'workspace.sqlite'), { readonly: true })
  try {
    return db
      .prepare('SELECT kind, to_status, transitions, note FROM events WHERE pair_id = ? ORDER BY seq')
      .all(id) as { kind: string; to_status: string; transitions: string | null; note: string | null }[]
  } finally {
    db.close()
  }
}

describe('a save that changes nothing', () => {
  it('the first save, even equal to the source, is recorded; the same save again is not', async () => {
    const source = (await ws.readCurrentMask(ID)).map
    const first = await ws.saveMask(ID, source)
    expect(first.transitions).toEqual([])
    expect(events(ID)).toEqual([{ kind: 'save', to_status: 'corrected', transitions: '[]', note: null }])
    const file = ws.maskFile(ID)
    const before = await fsp.stat(file)
    const again = await ws.saveMask(ID, source, { base: first.sha256 })
    expect(again).toMatchObject({ sha256: first.sha256, transitions: [], status: 'corrected' })
    expect(again.state).toEqual(ws.pairState(ID))
    expect(again.stats).toEqual(first.stats)
    expect(events(ID)).toHaveLength(1)
    const after = await fsp.stat(file)
    expect(after.mtimeMs).toBe(before.mtimeMs)
    expect(after.ino).toBe(before.ino)
  })

  it('a changed pixel, a new note, or a decided pair saved again are recorded', async () => {
    const current = (await ws.readCurrentMask(ID)).map
    const edited = resolveUncertain(current, 1, 10)
    const e1 = await ws.saveMask(ID, edited)
    expect(e1.transitions.length).toBeGreaterThan(0)
    expect(events(ID)).toHaveLength(2)
    await ws.saveMask(ID, edited)
    expect(events(ID)).toHaveLength(2)
    await ws.saveMask(ID, edited, { note: 'checked twice' })
    expect(events(ID).at(-1)).toMatchObject({
      to_status: 'corrected',
      transitions: '[]',
      note: 'checked twice',
    })
    expect(events(ID)).toHaveLength(3)
    await ws.saveMask(ID, edited, { note: 'checked twice' })
    expect(events(ID)).toHaveLength(3)
    await ws.setStatus(ID, 'flagged')
    expect(events(ID)).toHaveLength(4)
    const back = await ws.saveMask(ID, edited)
    expect(back.state.status).toBe('corrected')
    expect(events(ID).at(-1)).toMatchObject({ kind: 'save', to_status: 'corrected', transitions: '[]' })
    expect(events(ID)).toHaveLength(5)
  })
})
