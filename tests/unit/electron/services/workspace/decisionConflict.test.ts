/**
 * A decision must not land on a mask its curator has not seen: `pair:setStatus` names the mask
 * version it was taken on (`base`, from `pair:open`, as a save does), and a decision over a version
 * changed since (another tab saved a correction, a team sync) is refused with `conflict`, with
 * nothing recorded: no status change, no audit event. Callers without a base (CLI `review`, bulk
 * rules, team code) decide as before.
 */
import { describe, expect, it } from 'vitest'
import type { SaveResult, StatusResult } from '../../../../../shared/api/contract'
import type { Workspace } from '../../../../../electron/services/workspace/workspace'
import { resolveUncertain } from './fixtures'
import { onSqlite, openForEdit, pairWorkspaces, serveApi, twoTabs } from './support/pairWorkspaces'
import { caught } from '../../../../support/datasetFixtures'

const suite = pairWorkspaces('wsm-decision-conflict-')
const ID = 'ISIC_0000001'

/** The pair's row and its audit events as the SQLite file holds them (read beside the workspace). */
function onDisk(ws: Workspace): { status: string; updatedAt: number | null; events: number } {
  return onSqlite(ws, (db) => {
    const row = db.prepare('SELECT status, updated_at FROM pairs WHERE id = ?').get(ID) as
      { status: string; updated_at: number | null } | undefined
    const events = db.prepare('SELECT count(*) AS n FROM events WHERE pair_id = ?').get(ID) as { n: number }
    return { status: row?.status ?? 'unreviewed', updatedAt: row?.updated_at ?? null, events: events.n }
  })
}

describe('a decision over a mask version changed since it was opened', () => {
  it('is refused with conflict when another tab saved a correction meanwhile: no status change, no audit event', async () => {
    const { ws, session: s } = await suite.session()
    // Two tabs open the same uncorrected pair; tab A corrects it and saves.
    const { tabA, tabB, source } = await twoTabs(s, ID)
    expect(tabB.base).toBe('')
    const saved = await s.saveMask(ID, resolveUncertain(source, 1, 10), tabA.base)
    const before = onDisk(ws)
    expect(before).toMatchObject({ status: 'corrected', events: 1 })
    const events = ws.events(ID)

    // Tab B, still showing the source, accepts (and rejects, flags): each refused.
    for (const status of ['accepted', 'rejected', 'flagged'] as const) {
      const err = await caught(s.setStatus(ID, status, undefined, tabB.base))
      expect(err.code).toBe('conflict')
      expect(err.message).toMatch(/ISIC_0000001's mask was changed elsewhere.*this decision was refused/)
    }
    // With a note too: nothing of it is recorded.
    expect((await caught(s.setStatus(ID, 'flagged', 'looks off', tabB.base))).code).toBe('conflict')
    expect(onDisk(ws)).toEqual(before)
    expect(ws.events(ID)).toEqual(events)
    expect(ws.pairState(ID).note).toBeNull()

    // Reopened, tab B sees the saved version; deciding on it goes through.
    const reopened = await s.openPair(ID)
    expect(reopened.base).toBe(saved.base)
    const decided = await s.setStatus(ID, 'flagged', undefined, reopened.base)
    expect(decided.state.status).toBe('flagged')
    expect(onDisk(ws)).toMatchObject({ status: 'flagged', events: 2 })
  })

  it('is refused after a later save even when the decision names an earlier corrected version', async () => {
    const { ws, session: s } = await suite.session()
    const opened = await s.openPair(ID)
    const map = { width: opened.mask.width, height: opened.mask.height, data: opened.mask.data }
    const first = await s.saveMask(ID, resolveUncertain(map, 1, 5), opened.base)
    // A team sync (no base: written over whatever is there) lands a new version.
    await ws.saveMask(ID, resolveUncertain(map, 0, 5))
    const before = onDisk(ws)
    expect((await caught(s.setStatus(ID, 'corrected', undefined, first.base))).code).toBe('conflict')
    expect((await caught(s.setStatus(ID, 'rejected', undefined, ''))).code).toBe('conflict')
    expect(onDisk(ws)).toEqual(before)
  })

  it('goes through with the current base, and without a base as before (CLI review, bulk rules, team code)', async () => {
    const { ws, session: s } = await suite.session()
    const opened = await s.openPair(ID)
    const accepted = await s.setStatus(ID, 'accepted', undefined, opened.base)
    expect(accepted.state.status).toBe('accepted')
    const map = { width: opened.mask.width, height: opened.mask.height, data: opened.mask.data }
    const saved = await s.saveMask(ID, resolveUncertain(map, 1, 5))
    expect((await s.setStatus(ID, 'flagged', undefined, saved.base)).state.status).toBe('flagged')
    // No base: over whatever version is current.
    expect((await s.setStatus(ID, 'rejected')).state.status).toBe('rejected')
    await ws.setStatuses([ID], 'skipped')
    expect(ws.pairState(ID).status).toBe('skipped')
    expect(onDisk(ws)).toMatchObject({ status: 'skipped', events: 5 })
  })
})

describe('pair:setStatus with a base, through the API a serve tab calls', () => {
  it('refuses a stale base with the conflict code, a malformed one with bad-request, and takes none as before', async () => {
    const { ws, session: s } = await suite.session()
    const call = serveApi(s)
    const { base, edit } = await openForEdit(call, ID)
    const saved = await call<SaveResult>('pair:saveMask', { ...edit, base: base })
    if (!saved.ok) throw new Error(saved.error.message)
    const before = onDisk(ws)

    const stale = await call<StatusResult>('pair:setStatus', {
      id: ID,
      status: 'accepted',
      base: base,
    })
    expect(stale.ok ? 'decided' : stale.error.code).toBe('conflict')
    const malformed = await call<StatusResult>('pair:setStatus', {
      id: ID,
      status: 'accepted',
      base: 'sha-1',
    })
    expect(malformed.ok ? 'decided' : malformed.error.code).toBe('bad-request')
    const upper = await call<StatusResult>('pair:setStatus', {
      id: ID,
      status: 'accepted',
      base: saved.value.base.toUpperCase(),
    })
    expect(upper.ok ? 'decided' : upper.error.code).toBe('bad-request')
    expect(onDisk(ws)).toEqual(before)

    const current = await call<StatusResult>('pair:setStatus', {
      id: ID,
      status: 'accepted',
      base: saved.value.base,
    })
    expect(current.ok && current.value.state.status).toBe('accepted')
    const blind = await call<StatusResult>('pair:setStatus', { id: ID, status: 'flagged' })
    expect(blind.ok && blind.value.state.status).toBe('flagged')
  })
})
