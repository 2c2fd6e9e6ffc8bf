/**
 * A first-reviewer claim passes over the pairs the claimer released by skipping them (sync.ts
 * releaseUndecided, audited as 'release'), unless nothing else is left: unclaimed pairs go lowest
 * id first, so without this a curator who skipped a pair claimed it straight back at the next sync.
 * A real throwaway PostgreSQL, real workspaces.
 */
import { expect, it } from 'vitest'
import { claimBatch } from '../../../../../electron/services/team/claims'
import { withClient } from '../../../../../electron/services/team/connection'
import { initTeam, joinTeam } from '../../../../../electron/services/team/membership'
import { syncTeam } from '../../../../../electron/services/team/sync'
import { postgresSkipReason } from '../../../../support/postgres'
import { inWorkspace, makeWorkspace, pulled, teamServer } from './support'

const N = 8
const t = teamServer('wsm-claim-pass-', N)

const skip = postgresSkipReason === null ? '' : ` (skipped: ${postgresSkipReason})`

it.skipIf(postgresSkipReason !== null)(
  `a claim passes over the pairs the claimer skipped, unless nothing else is left${skip}`,
  async () => {
    const pg = t.server
    const { root, sources } = t
    const url = await pg.createDatabase('claimpass')
    const q = async <R>(sql: string, params: unknown[] = []) =>
      (await pg.query(sql, params, 'claimpass')).rows as R[]
    const holder = async (id: string) =>
      (await q<{ first_curator: string | null }>('SELECT first_curator FROM pairs WHERE id = $1', [id]))[0]
        .first_curator
    const lead = await makeWorkspace(root, 'lead', sources)
    await initTeam(lead, url, { batch: 2, doubleReview: 0 })
    const ann = await makeWorkspace(root, 'ann', sources)
    const bob = await makeWorkspace(root, 'bob', sources)
    await joinTeam(ann, url, 'ann')
    await joinTeam(bob, url, 'bob')
    const ids = sources.ids

    // ann claims ids 0–1, skips id 0 and accepts id 1: her sync releases id 0 and, with nothing
    // left to do, claims a new batch — ids 2–3, not the id 0 she just set aside.
    await syncTeam(ann)
    expect(pulled(ann)).toEqual(ids.slice(0, 2))
    await inWorkspace(ann, async (ws) => {
      await ws.setStatus(ids[0], 'skipped')
      await ws.setStatus(ids[1], 'accepted')
    })
    await syncTeam(ann)
    const released = await q<{ detail: { first: string[] } }>(
      "SELECT detail FROM audit WHERE kind = 'release' AND actor = 'ann'",
    )
    expect(released.map((r) => r.detail.first)).toEqual([[ids[0]]])
    expect(pulled(ann)).toEqual(ids.slice(2, 4))
    expect(await holder(ids[0])).toBeNull()

    // The released pair goes to the next curator who claims: bob.
    await syncTeam(bob)
    expect(pulled(bob)).toEqual([ids[0], ids[4]])
    expect(await holder(ids[0])).toBe('bob')

    // When nothing else is left, a pair she skipped is hers again: ann skips id 2, then claims
    // everything — ids 5–7 first, then id 2.
    await inWorkspace(ann, async (ws) => {
      await ws.setStatus(ids[2], 'skipped')
    })
    await syncTeam(ann)
    expect(await holder(ids[2])).toBeNull()
    const got = await withClient(url, (c) => claimBatch(c, 'ann', N))
    expect(got).toEqual({ first: [ids[2], ...ids.slice(5)].sort(), second: [] })
    expect(await q('SELECT id FROM pairs WHERE first_curator IS NULL')).toEqual([])
    // With room for one only, the unclaimed pairs come first (bob's new skip is passed over by him, not by ann).
    await inWorkspace(bob, async (ws) => {
      await ws.setStatus(ids[4], 'skipped')
    })
    await syncTeam(bob)
    expect(await holder(ids[4])).toBeNull()
    expect(await withClient(url, (c) => claimBatch(c, 'ann', 1))).toEqual({ first: [ids[4]], second: [] })
  },
)
