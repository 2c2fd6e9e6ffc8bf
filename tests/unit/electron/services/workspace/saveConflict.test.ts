/**
 * Optimistic concurrency of mask saves (two browser tabs on `serve`, or a read-ahead copy): a save
 * names the mask version it edited (`base`, from `pair:open`), and a save over a version changed
 * since is refused with `conflict`, with nothing written. Callers without a base (CLI, batch
 * resolve) keep saving over whatever is there.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { isTempName } from '../../../../../electron/services/fs/atomicWrite'
import { sha256Hex } from '../../../../../electron/services/fs/hash'
import type { SaveResult } from '../../../../../shared/api/contract'
import type { Workspace } from '../../../../../electron/services/workspace/workspace'
import { resolveUncertain } from './fixtures'
import { onSqlite, openForEdit, pairWorkspaces, serveApi, twoTabs } from './support/pairWorkspaces'
import { caught } from '../../../../support/datasetFixtures'

const suite = pairWorkspaces('wsm-conflict-')
const ID = 'ISIC_0000001'

function pendingRows(ws: Workspace): number {
  return onSqlite(
    ws,
    (db) => (db.prepare('SELECT count(*) AS n FROM pending_saves').get() as { n: number }).n,
  )
}

describe('saving a mask over a version changed since it was opened', () => {
  it('refuses the second of two saves from the same base with conflict, and writes nothing', async () => {
    const { ws, session: s } = await suite.session()
    // Two tabs open the same uncorrected pair: both edit the source ('').
    const { tabA, tabB, source } = await twoTabs(s, ID)
    expect(tabA.base).toBe('')
    expect(tabB.base).toBe('')

    const saved = await s.saveMask(ID, resolveUncertain(source, 1, 10), tabA.base)
    const file = await fsp.readFile(ws.maskFile(ID))
    expect(saved.base).toBe(sha256Hex(file))
    const state = ws.pairState(ID)
    const events = ws.events(ID)

    const err = await caught(s.saveMask(ID, resolveUncertain(source, 0, 20), tabB.base))
    expect(err.code).toBe('conflict')
    expect(err.message).toContain(ID)
    // Tab A's correction is untouched: same file, same state, no new event, no pending row, no temp file.
    expect(await fsp.readFile(ws.maskFile(ID))).toEqual(file)
    expect(ws.pairState(ID)).toEqual(state)
    expect(ws.events(ID)).toEqual(events)
    expect(pendingRows(ws)).toBe(0)
    expect((await fsp.readdir(path.join(ws.dir, 'masks'))).filter(isTempName)).toEqual([])

    // Reopened, tab B gets the saved version as its base, and its save then goes through.
    const reopened = await s.openPair(ID)
    expect(reopened.base).toBe(saved.base)
    expect(reopened.mask.origin).toBe('corrected')
    const again = await s.saveMask(ID, resolveUncertain(source, 0, 20), reopened.base)
    expect(again.base).toBe(sha256Hex(await fsp.readFile(ws.maskFile(ID))))
    expect(again.base).not.toBe(saved.base)
  })

  it('chains saves from one tab: each save answers the base of the next', async () => {
    const { session: s } = await suite.session()
    const opened = await s.openPair(ID)
    const map = { width: opened.mask.width, height: opened.mask.height, data: opened.mask.data }
    const first = await s.saveMask(ID, resolveUncertain(map, 1, 5), opened.base)
    const second = await s.saveMask(ID, resolveUncertain(map, 1, 15), first.base)
    expect(second.state.status).toBe('corrected')
    // The first answer's base is stale now.
    expect((await caught(s.saveMask(ID, map, first.base))).code).toBe('conflict')
    // A corrected mask can never be edited from the source's base.
    expect((await caught(s.saveMask(ID, map, ''))).code).toBe('conflict')
  })

  it('keeps saving over the current mask when no base is given (CLI, batch resolve)', async () => {
    const { ws, session: s } = await suite.session()
    const opened = await s.openPair(ID)
    const map = { width: opened.mask.width, height: opened.mask.height, data: opened.mask.data }
    await s.saveMask(ID, resolveUncertain(map, 1, 5))
    await ws.saveMask(ID, resolveUncertain(map, 0, 5))
    const last = await s.saveMask(ID, resolveUncertain(map, 1, 25))
    expect(last.base).toBe(sha256Hex(await fsp.readFile(ws.maskFile(ID))))
  })
})

describe('pair:saveMask with a base, through the API a serve tab calls', () => {
  it('answers the base with pair:open and each save, and refuses a stale one with the conflict code', async () => {
    const { ws, session: s } = await suite.session()
    const call = serveApi(s)
    const { base, edit } = await openForEdit(call, ID)

    const first = await call<SaveResult>('pair:saveMask', { ...edit, base: base })
    if (!first.ok) throw new Error(first.error.message)
    expect(first.value.base).toBe(sha256Hex(await fsp.readFile(ws.maskFile(ID))))

    const stale = await call<SaveResult>('pair:saveMask', { ...edit, base: base })
    expect(stale.ok ? 'saved' : stale.error.code).toBe('conflict')
    const malformed = await call<SaveResult>('pair:saveMask', { ...edit, base: 'not-a-sha' })
    expect(malformed.ok ? 'saved' : malformed.error.code).toBe('bad-request')
    // Without a base (older callers): saved over whatever is there, as before.
    const blind = await call<SaveResult>('pair:saveMask', edit)
    expect(blind.ok).toBe(true)
  })
})
