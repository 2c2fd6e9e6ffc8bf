/**
 * The team export's replay: the scratch workspace it writes into (no flushes, no rescoring, the
 * same saved bytes), and the team export of a curator's decisions against the plain export of that
 * curator's own workspace (a real throwaway PostgreSQL; skipped with the reason when absent).
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CodedError } from '../../../../../shared/api/errors'
import { sha256Hex } from '../../../../../electron/services/fs/hash'
import type { PairStatus } from '../../../../../shared/workspace/review'
import { runExport, verifyExport } from '../../../../../electron/services/export'
import { initTeam, joinTeam } from '../../../../../electron/services/team/membership'
import { syncTeam } from '../../../../../electron/services/team/sync'
import { exportTeam } from '../../../../../electron/services/team/teamExport'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { thrown } from '../../../../support/cli'
import { postgresSkipReason, startPostgres, type PostgresServer } from '../../../../support/postgres'
import type { Sources } from '../workspace/fixtures'
import { inWorkspace, makeWorkspace, resolved, teamSources } from './support'
import type { ManifestJson } from '../../../../../electron/services/export/format'
import { comparableRows } from '../../../../support/exportManifest'

const N = 24
let root: string
let sources: Sources

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-team-export-test-'))
  sources = await teamSources(root, N)
})
afterAll(async () => {
  if (root) await fsp.rm(root, { recursive: true, force: true })
})

describe('a scratch workspace (the team export writes its replay into one)', () => {
  it('saves the same bytes and state as a durable one, with synchronous=OFF and no rescoring', async () => {
    const durable = await makeWorkspace(path.join(root, 'durable'), 'ann', sources)
    const scratch = await makeWorkspace(path.join(root, 'scratch'), 'ann', sources)
    const [grey, palette] = sources.ids
    const saved: Record<string, Buffer[]> = { [grey]: [], [palette]: [] }
    for (const [dir, opts] of [
      [durable, {}],
      [scratch, { scratch: true }],
    ] as const) {
      const ws = await Workspace.open(dir, opts)
      try {
        expect(ws.store.db.pragma('synchronous', { simple: true })).toBe('scratch' in opts ? 0 : 2)
        for (const id of [grey, palette]) {
          await ws.saveMask(id, resolved((await ws.readCurrentMask(id)).map, 7), { note: 'n' })
          saved[id].push(await fsp.readFile(ws.maskFile(id)))
        }
        await ws.setStatuses([sources.ids[2], sources.ids[3]], 'rejected', { note: 'r' })
        await ws.triageSettled()
        const state = ws.pairState(grey)
        expect(state).toMatchObject({ status: 'corrected', corrected: true })
        expect(state.stats?.lesion).toBeGreaterThan(0)
        expect(ws.pairState(sources.ids[3]).status).toBe('rejected')
        // The durable workspace rescores a saved mask for triage; the scratch one does not.
        // Nor does it decode the source for a first save's pixel transitions (the audit detail).
        const transitions = ws.events(grey).find((e) => e.kind === 'save')?.transitions
        if ('scratch' in opts) {
          expect(ws.triage(grey)).toBeNull()
          expect(transitions).toEqual([])
        } else {
          expect(ws.triage(grey)).not.toBeNull()
          expect(transitions?.find((t) => t.from === 255 && t.to === 1)?.pixels).toBe(7)
        }
      } finally {
        await ws.close()
      }
    }
    for (const id of [grey, palette]) expect(saved[id][1].equals(saved[id][0])).toBe(true)
    // Reopened as an ordinary workspace, the scratch one holds what was saved.
    await inWorkspace(scratch, async (ws) => {
      expect((await ws.readCurrentMask(palette)).origin).toBe('corrected')
      expect(ws.pairState(sources.ids[2]).status).toBe('rejected')
    })
  })
})

const suite = postgresSkipReason === null ? describe : describe.skip
const title = `team export on PostgreSQL${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`

suite(title, () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(async () => {
    await server?.stop()
  })

  /** The rows two exports of the same decisions must share (not the review time, not the source paths). */
  async function manifestRows(out: string): Promise<unknown[]> {
    return comparableRows(
      JSON.parse(await fsp.readFile(path.join(out, 'manifest.json'), 'utf8')) as ManifestJson,
    )
  }

  let dbs = 0
  /** A team whose one curator, ann, decided every pair (synced); its lead's and ann's folders. */
  async function decidedTeam() {
    const db = `export${++dbs}`
    const url = await server.createDatabase(db)
    const base = path.join(root, db)
    const lead = await makeWorkspace(base, 'lead', sources)
    const ann = await makeWorkspace(base, 'ann', sources)
    await initTeam(lead, url, { batch: 50, doubleReview: 0 })
    await joinTeam(ann, url, 'ann')
    const statuses: PairStatus[] = ['accepted', 'rejected', 'flagged']
    await inWorkspace(ann, async (ws) => {
      for (const [i, id] of sources.ids.entries()) {
        // Grey and palette sources alike get a corrected mask on every fourth pair; one of them is
        // then flagged (a mask and another status: the status is replayed after the mask).
        if (i % 4 === 0) await ws.saveMask(id, resolved((await ws.readCurrentMask(id)).map, 3 * i))
        if (i % 4 !== 0 || i === 8) await ws.setStatus(id, i === 8 ? 'flagged' : statuses[i % 3])
      }
    })
    expect((await syncTeam(ann)).pushed).toBe(N)
    return { db, base, lead, ann }
  }

  it('exports every decision of every status exactly as the plain export of the curator’s own workspace', async () => {
    const { base, lead, ann } = await decidedTeam()
    const plainOut = path.join(base, 'plain')
    const teamOut = path.join(base, 'team')
    const local = await Workspace.open(ann, { readOnly: true })
    try {
      await runExport(local, { out: plainOut, status: 'any' })
    } finally {
      await local.close()
    }
    const phases: string[] = []
    const summary = await exportTeam(
      lead,
      { out: teamOut, status: 'any' },
      { onPhase: (phase) => phases.push(phase) },
    )
    expect(phases).toEqual(['agreements', 'replay', 'export', 'cleanup'])
    expect(summary.exported).toBe(N)
    const rows = await manifestRows(teamOut)
    expect(rows).toEqual(await manifestRows(plainOut))
    const byStatus = new Map<unknown, number>()
    for (const r of rows as unknown[][]) byStatus.set(r[1], (byStatus.get(r[1]) ?? 0) + 1)
    expect(Object.fromEntries(byStatus)).toEqual({ corrected: 5, flagged: 7, accepted: 6, rejected: 6 })
    expect((rows as unknown[][]).every((r) => r[2] === 'ann')).toBe(true)
    const verified = await verifyExport(teamOut)
    expect(verified.problems).toEqual([])
    expect(verified).toMatchObject({ ok: true, pairs: N, checked: N })
  })

  it('refuses a server mask with a value outside 0/1/255 or of another size than the source, and writes nothing', async () => {
    const { db, base, lead } = await decidedTeam()
    const id = sources.ids[4] // corrected by ann
    const spec = sources.specs[4]
    const bad = {
      'mask-values': {
        width: spec.width,
        height: spec.height,
        data: new Uint8Array(spec.width * spec.height).fill(7),
      },
      'mask-size': {
        width: spec.width + 1,
        height: spec.height,
        data: new Uint8Array((spec.width + 1) * spec.height),
      },
    }
    for (const [code, map] of Object.entries(bad)) {
      // sharp writes any grey value (the project's encoder refuses 7).
      const png = await sharp(Buffer.from(map.data), {
        raw: { width: map.width, height: map.height, channels: 1 },
      })
        .toColourspace('b-w')
        .png()
        .toBuffer()
      const sha = sha256Hex(png)
      await server.query('INSERT INTO masks (sha256, bytes) VALUES ($1, $2)', [sha, png], db)
      await server.query('UPDATE decisions SET mask_sha256 = $1 WHERE pair_id = $2', [sha, id], db)
      const out = path.join(base, `bad-${code}.zip`)
      const err = (await thrown(exportTeam(lead, { out }))) as CodedError
      expect(err.code).toBe(code)
      await expect(fsp.stat(out)).rejects.toMatchObject({ code: 'ENOENT' })
    }
  })
})
