/**
 * qa7 #1: a double-reviewed pair whose source mask does not read (a truncated PNG) must not stop the
 * lead's agreement job. Both finals the source (two rejections) → scored from the decisions, the
 * finals being the same bytes; one final the unreadable source → left unscored and named with its
 * code; every other pair is scored as before, and sync, status and the team export go through.
 * Real team on a throwaway PostgreSQL, real PNG files truncated on disk.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { teamCommand } from '../../../../../electron/cli/commands/team'
import { initTeam, joinTeam } from '../../../../../electron/services/team/membership'
import { teamStatus } from '../../../../../electron/services/team/status'
import { syncTeam } from '../../../../../electron/services/team/sync'
import { exportTeam } from '../../../../../electron/services/team/teamExport'
import { TeamLocal } from '../../../../../electron/services/team/localState'
import { runCommand } from '../../../../support/cli'
import { postgresSkipReason, startPostgres, type PostgresServer } from '../../../../support/postgres'
import { makeSources } from '../workspace/fixtures'
import { inWorkspace, makeWorkspace, resolved, teamSpecs } from './support'

const suite = postgresSkipReason === null ? describe : describe.skip
const title = `agreement job with an unreadable source mask${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`

suite(title, () => {
  let server: PostgresServer
  let root: string
  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-unscorable-'))
    server = await startPostgres()
  })
  afterAll(async () => {
    await server?.stop()
    if (root) await fsp.rm(root, { recursive: true, force: true })
  })

  it('a truncated source mask: two rejections are scored, a save against the source is named, the rest go on', async () => {
    const specs = teamSpecs(4)
    const src = await makeSources(path.join(root, 'sources'), { specs, masksAs: 'folder' })
    const url = await server.createDatabase('unscorable')
    const lead = await makeWorkspace(root, 'lead', src)
    await initTeam(lead, url, { batch: 4, doubleReview: 1 })
    const dirs: Record<string, string> = {}
    for (const name of ['ann', 'bob']) {
      dirs[name] = await makeWorkspace(root, name, src)
      await joinTeam(dirs[name], url, name)
    }
    const ids = (await syncTeam(dirs.ann)).assigned.map((a) => a.id).sort()
    expect(ids).toEqual(specs.map((s) => s.id))
    const [rejectedTwice, savedVsSource, fine1, fine2] = ids
    // ann: rejects pair 0, saves masks of her own for the others.
    await inWorkspace(dirs.ann, async (ws) => {
      await ws.setStatus(rejectedTwice, 'rejected')
      for (const id of [savedVsSource, fine1, fine2])
        await ws.saveMask(id, resolved((await ws.readCurrentMask(id)).map, 3))
    })
    await syncTeam(dirs.ann)
    expect((await syncTeam(dirs.bob)).assigned.filter((a) => a.role === 'second').length).toBe(4)
    // bob: rejects pair 0, accepts pair 1 as it is (his final mask is the source), saves the others.
    await inWorkspace(dirs.bob, async (ws) => {
      await ws.setStatus(rejectedTwice, 'rejected')
      await ws.setStatus(savedVsSource, 'accepted')
      for (const id of [fine1, fine2]) await ws.saveMask(id, resolved((await ws.readCurrentMask(id)).map, 5))
    })
    await syncTeam(dirs.bob)
    // Now the source masks of pairs 0 and 1 break on disk (the lead's dataset reads them from there).
    for (const id of [rejectedTwice, savedVsSource]) {
      const file = path.join(src.masks, 'ISIC_WSM_labels', `${id}.png`)
      const bytes = await fsp.readFile(file)
      await fsp.writeFile(file, bytes.subarray(0, bytes.length - 20))
    }

    // The lead's sync goes through (it threw [png-truncated] on the old code) and records success.
    await syncTeam(lead)
    const local = TeamLocal.open(lead)
    try {
      expect(local.lastSync()?.ok).toBe(true)
    } finally {
      local.close()
    }
    const rows = (
      await server.query(
        'SELECT pair_id, jaccard, jaccard_uncertain, decisions_agree, needs_adjudication FROM agreements ORDER BY pair_id',
        [],
        'unscorable',
      )
    ).rows as {
      pair_id: string
      jaccard: number
      jaccard_uncertain: number | null
      decisions_agree: boolean
    }[]
    expect(rows.map((r) => r.pair_id)).toEqual([rejectedTwice, fine1, fine2])
    // Two rejections of a broken mask agree; their finals are the same bytes.
    expect(rows[0]).toMatchObject({
      jaccard: 1,
      jaccard_uncertain: null,
      decisions_agree: true,
      needs_adjudication: false,
    })
    // The readable pairs are scored from the pixels as always (3 vs 5 of the uncertain pixels as lesion).
    for (const r of rows.slice(1)) {
      expect(r.decisions_agree).toBe(true)
      expect(r.jaccard).toBeGreaterThan(0)
      expect(r.jaccard).toBeLessThan(1)
      expect(r.jaccard_uncertain).toBeCloseTo(3 / 5, 10)
    }

    // status with the lead's workspace names the pair it could not score, with the code.
    const s = await teamStatus(url, { workspace: lead })
    expect(s.doubleReviewed).toBe(4)
    expect(s.scored.map((x) => x.pairId)).toEqual([rejectedTwice, fine1, fine2])
    expect(s.unscored?.map((u) => [u.pairId, u.code])).toEqual([[savedVsSource, 'png-truncated']])
    expect(s.unscored?.[0].message).toContain(savedVsSource)
    // Without the workspace nothing is computed, so nothing is named.
    expect((await teamStatus(url)).unscored).toBeUndefined()

    // The team export goes through; the unscored pair is held back in its own bucket (not "awaiting
    // adjudication": there is nothing to adjudicate until it is scored), the twice-rejected one is not shipped.
    const out = path.join(root, 'export')
    const summary = await exportTeam(lead, { out })
    expect(summary.unscored.map((u) => [u.pairId, u.code])).toEqual([[savedVsSource, 'png-truncated']])
    expect(summary.awaitingAdjudication).not.toContain(savedVsSource)
    const manifest = JSON.parse(await fsp.readFile(path.join(out, 'manifest.json'), 'utf8')) as {
      pairs: { id: string }[]
    }
    // Default export (kept pairs): the readable ones, exported or awaiting by their score; never the broken ones.
    expect(
      [
        ...manifest.pairs.map((p) => p.id),
        ...summary.awaitingAdjudication,
        ...summary.unscored.map((u) => u.pairId),
      ].sort(),
    ).toEqual([savedVsSource, fine1, fine2].sort())

    // The CLI names the bucket, in its text and in its JSON.
    const text = await runCommand(teamCommand, ['export', lead, '--out', path.join(root, 'export-cli')])
    expect(text.code).toBe(0)
    expect(text.out).toContain(
      `1 double review could not be scored and was left out: ${savedVsSource} [png-truncated]`,
    )
    const json = await runCommand(teamCommand, [
      'export',
      lead,
      '--out',
      path.join(root, 'export-json'),
      '--json',
    ])
    const parsed = JSON.parse(json.out) as {
      awaitingAdjudication: string[]
      unscored: { pairId: string; code: string }[]
    }
    expect(parsed.unscored.map((u) => [u.pairId, u.code])).toEqual([[savedVsSource, 'png-truncated']])
    expect(parsed.awaitingAdjudication).toEqual(summary.awaitingAdjudication)
  })
})
