/**
 * The queue's "my assignments" filter (QA 7, item 5): `queue:set { assigned }` lists the pairs the
 * team's local state (team.sqlite, as the last sync pulled it) assigns to the curator, in either role
 * or one, through the workspace's pair query with every other filter and sort. A workspace without a
 * team refuses it with `team-not-found`. A real workspace on generated PNG/JPEG pairs and a real
 * team.sqlite; no server is needed (the assignments are the pulled ones).
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatch } from '../../../../../shared/api/dispatch'
import { CurationSession } from '../../../../../electron/services/session'
import { TeamLocal, assignedPairIds } from '../../../../../electron/services/team/localState'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { caught } from '../../../../support/datasetFixtures'
import { makeWorkspace, teamSources, teamSpecs } from './support'

const N = 12
const ids = teamSpecs(N).map((s) => s.id)

let root: string
let dir: string

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-assigned-'))
  dir = await makeWorkspace(root, 'ann', await teamSources(root, N))
})

afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true })
})

function joinWith(assignments: { id: string; role: 'first' | 'second' }[]): void {
  const local = TeamLocal.open(dir, { create: true })
  try {
    local.setMembership({ url: 'postgres://db/team', curator: 'ann', teamId: 't1', role: 'curator' })
    local.replaceAssignments(assignments, new Date().toISOString())
  } finally {
    local.close()
  }
}

async function queueIds(session: CurationSession): Promise<string[]> {
  return session.queuePage(0, 100).items.map((i) => i.id)
}

describe('queue:set { assigned }', () => {
  it('lists only the assigned pairs, by role, with the other filters and sorts', async () => {
    const first = [ids[7], ids[2], ids[9]]
    const second = [ids[4], ids[10]]
    joinWith([
      ...first.map((id) => ({ id, role: 'first' as const })),
      ...second.map((id) => ({ id, role: 'second' as const })),
    ])
    const ws = await Workspace.open(dir)
    try {
      await ws.setStatus(ids[9], 'accepted')
      const session = new CurationSession(ws, { scan: false })
      expect(session.setQueue({ sort: 'id', order: 'asc', assigned: 'any' })).toEqual({ total: 5 })
      expect(await queueIds(session)).toEqual([...first, ...second].sort())
      expect(session.setQueue({ sort: 'id', order: 'desc', assigned: 'first' })).toEqual({ total: 3 })
      expect(await queueIds(session)).toEqual([...first].sort().reverse())
      session.setQueue({ sort: 'uncertain', order: 'asc', assigned: 'second' })
      expect((await queueIds(session)).sort()).toEqual([...second].sort())
      session.setQueue({ sort: 'id', order: 'asc', assigned: 'first', status: ['unreviewed'] })
      expect(await queueIds(session)).toEqual([ids[2], ids[7]])
      // Without the filter, every pair.
      expect(session.setQueue({ sort: 'id', order: 'asc' })).toEqual({ total: N })
      // Through the contract: the schema takes the field and refuses another value.
      const handlers = {
        'queue:set': async (q: Parameters<CurationSession['setQueue']>[0]) => session.setQueue(q),
      }
      const ok = await dispatch(handlers as never, 'queue:set', {
        sort: 'id',
        order: 'asc',
        assigned: 'second',
      })
      expect(ok).toEqual({ ok: true, value: { total: 2 } })
      const bad = await dispatch(handlers as never, 'queue:set', {
        sort: 'id',
        order: 'asc',
        assigned: 'mine',
      })
      expect(bad.ok).toBe(false)
    } finally {
      await ws.close()
    }
  })

  it('an empty assignment list gives an empty queue, not every pair', async () => {
    joinWith([])
    const ws = await Workspace.open(dir)
    try {
      const session = new CurationSession(ws, { scan: false })
      expect(session.setQueue({ sort: 'uncertain', order: 'desc', assigned: 'any' })).toEqual({ total: 0 })
    } finally {
      await ws.close()
    }
  })

  it('a workspace without a team refuses the filter with team-not-found, and writes no team file', async () => {
    const ws = await Workspace.open(dir)
    try {
      const session = new CurationSession(ws, { scan: false })
      const err = await caught(() => session.setQueue({ sort: 'id', order: 'asc', assigned: 'any' }))
      expect(err.code).toBe('team-not-found')
      await expect(fsp.access(path.join(dir, 'team.sqlite'))).rejects.toThrow()
      expect(session.setQueue({ sort: 'id', order: 'asc' })).toEqual({ total: N })
    } finally {
      await ws.close()
    }
  })

  it('assignedPairIds reads the pulled assignments of one role or both, once each', () => {
    joinWith([
      { id: ids[3], role: 'second' },
      { id: ids[1], role: 'first' },
    ])
    expect(assignedPairIds(dir)).toEqual([ids[1], ids[3]])
    expect(assignedPairIds(dir, 'second')).toEqual([ids[3]])
  })
})
