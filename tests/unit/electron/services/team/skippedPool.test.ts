/**
 * Skipped pairs go back to the pool (QA 7, item 5). A bulk flag made bob first reviewer of pairs
 * nobody held; he then skipped them, and 22 pairs were held by him, decided by nobody, pending for
 * nobody and counted in no status. Now a sync that pushes a skip (or a return to unreviewed) by a
 * pair's first reviewer releases the pair: no first reviewer, no first assignment, the curator's
 * counters given back, an audit row; the next claim takes it like any unclaimed pair. And an
 * assignment whose latest decision is a skip is pending again (in the pull and in `team status`),
 * never "done" because of a decision taken back. A real throwaway PostgreSQL, real workspaces.
 */
import { expect, it } from 'vitest'
import { claimBatch } from '../../../../../electron/services/team/claims'
import { withClient } from '../../../../../electron/services/team/connection'
import { initTeam, joinTeam } from '../../../../../electron/services/team/membership'
import { teamStatus } from '../../../../../electron/services/team/status'
import { syncTeam } from '../../../../../electron/services/team/sync'
import { postgresSkipReason } from '../../../../support/postgres'
import { inWorkspace, makeWorkspace, pulled, teamServer } from './support'

const N = 16
const t = teamServer('wsm-skip-pool-', N)

const skip = postgresSkipReason === null ? '' : ` (skipped: ${postgresSkipReason})`

it.skipIf(postgresSkipReason !== null)(
  `a first reviewer's skip sends the pair back to the pool; a skip after a decision is pending again${skip}`,
  async () => {
    const pg = t.server
    const { root, sources } = t
    const url = await pg.createDatabase('skippool')
    const q = async <R>(sql: string, params: unknown[] = []) =>
      (await pg.query(sql, params, 'skippool')).rows as R[]
    const lead = await makeWorkspace(root, 'lead', sources)
    await initTeam(lead, url, { batch: 4, doubleReview: 0 })
    const bob = await makeWorkspace(root, 'bob', sources)
    const ann = await makeWorkspace(root, 'ann', sources)
    await joinTeam(bob, url, 'bob')
    await joinTeam(ann, url, 'ann')
    const ids = sources.ids
    const last = ids[N - 1]

    // bob claims ids 0–3; he accepts id 0 and flags the last pair (nobody holds it: he becomes its first reviewer).
    await syncTeam(bob)
    expect(pulled(bob)).toEqual(ids.slice(0, 4))
    await inWorkspace(bob, async (ws) => {
      await ws.setStatus(ids[0], 'accepted')
      await ws.setStatus(last, 'flagged')
    })
    await syncTeam(bob)
    const held = async (id: string) =>
      (
        await q<{ first_curator: string | null; first_decided: boolean }>(
          'SELECT first_curator, first_decided FROM pairs WHERE id = $1',
          [id],
        )
      )[0]
    expect(await held(ids[0])).toEqual({ first_curator: 'bob', first_decided: true })
    expect(await held(last)).toEqual({ first_curator: 'bob', first_decided: true })
    expect(await q('SELECT first_decided FROM curators WHERE name = $1', ['bob'])).toEqual([
      { first_decided: 2 },
    ])

    // He skips both: the sync releases them.
    await inWorkspace(bob, async (ws) => {
      await ws.setStatus(ids[0], 'skipped')
      await ws.setStatus(last, 'skipped')
    })
    await syncTeam(bob)
    expect(await held(ids[0])).toEqual({ first_curator: null, first_decided: false })
    expect(await held(last)).toEqual({ first_curator: null, first_decided: false })
    expect(
      await q("SELECT pair_id FROM assignments WHERE pair_id = ANY($1::text[]) AND role = 'first'", [
        [ids[0], last],
      ]),
    ).toEqual([])
    expect(await q('SELECT first_decided FROM curators WHERE name = $1', ['bob'])).toEqual([
      { first_decided: 0 },
    ])
    const audit = await q<{ detail: { first: string[] } }>("SELECT detail FROM audit WHERE kind = 'release'")
    expect(audit.map((a) => a.detail.first)).toEqual([[ids[0], last].sort()])
    // The skips are on the server as bob's first-role decisions (history kept), and he still has ids 1–3 to do.
    expect(
      await q(
        "SELECT pair_id, status, role FROM decisions WHERE curator = 'bob' AND status = 'skipped' ORDER BY pair_id",
      ),
    ).toEqual([
      { pair_id: ids[0], status: 'skipped', role: 'first' },
      { pair_id: last, status: 'skipped', role: 'first' },
    ])
    expect(pulled(bob)).toEqual(ids.slice(1, 4))

    // In the pool: ann's next claim takes the released id 0 (unclaimed pairs go by id).
    await syncTeam(ann)
    expect(pulled(ann)).toContain(ids[0])
    expect(await held(ids[0])).toMatchObject({ first_curator: 'ann' })

    // bob claims the last pair again: his flag then skip is no decision, so it is his to do — in his
    // pull (the queue's "my assignments") and in the team status's pending count.
    await withClient(url, (c) => claimBatch(c, 'bob', N))
    expect(await held(last)).toMatchObject({ first_curator: 'bob' })
    await syncTeam(bob)
    expect(pulled(bob)).toContain(last)
    const status = await teamStatus(url)
    const bobs = await q<{ n: string }>("SELECT count(*) AS n FROM assignments WHERE curator = 'bob'")
    expect(status.curators.find((c) => c.name === 'bob')?.pending).toBe(Number(bobs[0].n))
    // Nothing is held by a curator with nothing decided and nothing pending (the QA's stranded pairs).
    const stranded = await q(
      `SELECT p.id FROM pairs p WHERE p.first_curator IS NOT NULL AND NOT p.first_decided
         AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.pair_id = p.id AND a.role = 'first' AND a.curator = p.first_curator)`,
    )
    expect(stranded).toEqual([])
  },
)
