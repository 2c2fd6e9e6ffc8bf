/**
 * The team store against a real PostgreSQL server (a throwaway cluster started by the suite):
 * publishing and joining, concurrent claims and syncs, the blind rule, conflicting edits, a
 * connection cut in the middle of a sync, and the agreement numbers.
 */
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CodedError } from '../../../../../shared/api/errors'
import { readLabelMap } from '../../../../../electron/services/mask/labelMap'
import { TeamLocal } from '../../../../../electron/services/team/localState'
import { initTeam, joinTeam, teamIdentity } from '../../../../../electron/services/team/membership'
import { migrate, readTeam, SCHEMA_VERSION } from '../../../../../electron/services/team/serverSchema'
import {
  adjudicate,
  adjudicationCase,
  adjudicationQueue,
} from '../../../../../electron/services/team/adjudication'
import { assignPairs } from '../../../../../electron/services/team/claims'
import { LATEST_DECISIONS } from '../../../../../electron/services/team/queries'
import { withClient } from '../../../../../electron/services/team/connection'
import { exportTeam, teamFinalState } from '../../../../../electron/services/team/teamExport'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { teamStatus } from '../../../../../electron/services/team/status'
import { syncTeam } from '../../../../../electron/services/team/sync'
import { postgresSkipReason, startPostgres, type PostgresServer } from '../../../../support/postgres'
import { thrown } from '../../../../support/cli'
import type { Sources } from '../workspace/fixtures'
import { drawMask, formatOf, hashTree, makeSources } from '../workspace/fixtures'
import { encodeMaskPng } from '../../../../../electron/services/mask/maskPng'
import { inWorkspace, makeWorkspace, resolved, teamSources, teamSpecs } from './support'

const N = 40
let server: PostgresServer
let root: string
let sources: Sources
let dbCount = 0

const suite = postgresSkipReason === null ? describe : describe.skip
const title = `team store on PostgreSQL${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`

suite(title, () => {
  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-team-'))
    ;[server, sources] = await Promise.all([startPostgres(), teamSources(root, N)])
  })
  afterAll(async () => {
    await server?.stop()
    if (root) await fsp.rm(root, { recursive: true, force: true })
  })

  /** A fresh database and team: the lead's workspace published, curators joined. */
  async function team(
    names: string[],
    opts: { batch?: number; doubleReview?: number; sources?: Sources } = {},
  ) {
    const src = opts.sources ?? sources
    const url = await server.createDatabase(`team${++dbCount}`)
    const base = path.join(root, `t${dbCount}`)
    const lead = await makeWorkspace(base, 'lead', src)
    await initTeam(lead, url, { batch: opts.batch ?? 10, doubleReview: opts.doubleReview ?? 0.1 })
    const dirs: Record<string, string> = {}
    for (const name of names) {
      dirs[name] = await makeWorkspace(base, name, src)
      await joinTeam(dirs[name], url, name)
    }
    const q = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
      (await server.query(sql, params, `team${dbCount}`)).rows as R[]
    return { url, lead, dirs, q, db: `team${dbCount}` }
  }

  it('publishes the pairs with their source SHA-256, joins, refuses a second team and a foreign dataset', async () => {
    const t = await team(['ann'])
    const rows = await t.q<{ id: string; source_sha256: string }>(
      'SELECT id, source_sha256 FROM pairs ORDER BY id',
    )
    expect(rows.map((r) => r.id)).toEqual(sources.ids)
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.source_sha256))).toBe(true)
    expect(((await thrown(initTeam(t.lead, t.url))) as CodedError).code).toBe('team-exists')
    const other = await teamSources(path.join(root, 'other'), N - 1)
    const foreign = await makeWorkspace(path.join(root, 'other'), 'eve', other)
    expect(((await thrown(joinTeam(foreign, t.url, 'eve'))) as CodedError).code).toBe('team-dataset')
    const local = TeamLocal.open(t.dirs.ann)
    expect(local.membership()).toMatchObject({ curator: 'ann', role: 'curator' })
    local.close()
  })

  it('a kill between the server COMMIT and the membership record never locks a workspace out (init or join)', async () => {
    const url = await server.createDatabase(`team${++dbCount}`)
    const base = path.join(root, `k${dbCount}`)
    const lead = await makeWorkspace(base, 'lead', sources)
    const ann = await makeWorkspace(base, 'ann', sources)
    /** What such a kill leaves: team.sqlite with its client id and no membership. */
    const forget = (dir: string) => {
      const db = new Database(path.join(dir, 'team.sqlite'))
      db.prepare("DELETE FROM meta WHERE key <> 'clientId'").run()
      db.close()
    }
    // The client id is on disk before the server is contacted: an unreachable server leaves it there.
    await thrown(joinTeam(ann, 'postgres://wsm@127.0.0.1:1/nowhere', 'ann'))
    const local = TeamLocal.open(ann)
    const annId = local.clientId()
    expect(local.membership()).toBeNull()
    local.close()
    await initTeam(lead, url, { batch: 4, doubleReview: 0 })
    forget(lead)
    const again = await initTeam(lead, url)
    expect(again.pairs).toBe(N)
    expect(((await thrown(initTeam(lead, url))) as CodedError).code).toBe('team-exists')
    await joinTeam(ann, url, 'ann')
    const rows = await server.query(
      'SELECT client_id FROM curators WHERE name = $1',
      ['ann'],
      `team${dbCount}`,
    )
    expect(rows.rows).toEqual([{ client_id: annId }])
    forget(ann)
    await joinTeam(ann, url, 'ann')
    for (const [dir, role] of [
      [lead, 'lead'],
      [ann, 'curator'],
    ] as const) {
      const l = TeamLocal.open(dir)
      expect(l.membership()?.role).toBe(role)
      l.close()
    }
    expect((await syncTeam(ann)).assigned.length).toBe(4)
  })

  it('a workspace restored from a backup numbers events again: its new decisions still reach the server', async () => {
    const t = await team(['ann'], { batch: 4, doubleReview: 0 })
    const [x] = (await syncTeam(t.dirs.ann)).assigned.map((a) => a.id)
    const backup = `${t.dirs.ann}-backup`
    await fsp.cp(t.dirs.ann, backup, { recursive: true })
    await inWorkspace(t.dirs.ann, async (ws) => ws.setStatuses([x], 'rejected'))
    await syncTeam(t.dirs.ann)
    // The backup comes back: the next event on x gets the same seq as the 'rejected' one.
    await fsp.rm(t.dirs.ann, { recursive: true })
    await fsp.rename(backup, t.dirs.ann)
    await inWorkspace(t.dirs.ann, async (ws) => ws.setStatuses([x], 'accepted'))
    expect((await syncTeam(t.dirs.ann)).pushed).toBe(1)
    const rows = await t.q<{ status: string; event_seq: string }>(
      'SELECT status, event_seq FROM decisions WHERE pair_id = $1 ORDER BY decided_at',
      [x],
    )
    expect(rows.map((r) => r.status)).toEqual(['rejected', 'accepted'])
    expect(rows[0].event_seq).toBe(rows[1].event_seq)
    const latest = await t.q<{ status: string }>(
      `WITH latest AS (${LATEST_DECISIONS}) SELECT status FROM latest WHERE pair_id = $1`,
      [x],
    )
    expect(latest).toEqual([{ status: 'accepted' }])
    // A re-push of the same events from scratch still adds nothing.
    const db = new Database(path.join(t.dirs.ann, 'team.sqlite'))
    db.prepare("DELETE FROM meta WHERE key IN ('cursor', 'cursorMark')").run()
    db.close()
    expect((await syncTeam(t.dirs.ann)).pushed).toBe(0)
  })

  it('migrates once when two programs initialise at the same moment (advisory lock)', async () => {
    const url = await server.createDatabase(`race${++dbCount}`)
    const clients = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })]
    await Promise.all(clients.map((c) => c.connect()))
    const found = await Promise.all(clients.map((c) => migrate(c)))
    await Promise.all(clients.map((c) => c.end()))
    expect(found.sort()).toEqual([0, SCHEMA_VERSION])
    const v = await server.query('SELECT version FROM schema_version ORDER BY version', [], `race${dbCount}`)
    expect(v.rows.map((r) => r.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1))
  })

  it('three curators sync concurrently: disjoint batches, every decision on the server once', async () => {
    const t = await team(['ann', 'bob', 'cy'], { batch: 8, doubleReview: 0 })
    const names = ['ann', 'bob', 'cy'] as const
    const first = await Promise.all(names.map((n) => syncTeam(t.dirs[n])))
    const held = first.flatMap((r) => r.assigned.map((a) => a.id))
    expect(first.every((r) => r.assigned.length === 8 && r.assigned.every((a) => a.role === 'first'))).toBe(
      true,
    )
    expect(new Set(held).size).toBe(24)
    // Each decides their batch offline: correct the even ones, accept the odd ones.
    await Promise.all(
      names.map((n, k) =>
        inWorkspace(t.dirs[n], async (ws) => {
          for (const [i, a] of first[k].assigned.entries()) {
            if (i % 2 === 0) await ws.saveMask(a.id, resolved((await ws.readCurrentMask(a.id)).map, i))
            else await ws.setStatus(a.id, 'accepted')
          }
        }),
      ),
    )
    const second = await Promise.all(names.map((n) => syncTeam(t.dirs[n])))
    expect(second.map((r) => r.pushed)).toEqual([8, 8, 8])
    // 8 decided, fewer than half a batch pending: each claimed a new batch out of the 16 left.
    const next = second.flatMap((r) => r.assigned.map((a) => a.id))
    expect(new Set(next).size).toBe(next.length)
    expect(next.filter((id) => held.includes(id))).toEqual([])
    expect(next.length).toBe(16)
    const again = await Promise.all(names.map((n) => syncTeam(t.dirs[n])))
    expect(again.map((r) => r.pushed)).toEqual([0, 0, 0])
    const d = await t.q<{ curator: string; n: string; masks: string }>(
      'SELECT curator, count(*) AS n, count(mask_sha256) AS masks FROM decisions GROUP BY curator ORDER BY curator',
    )
    expect(d.map((r) => [r.curator, Number(r.n), Number(r.masks)])).toEqual([
      ['ann', 8, 4],
      ['bob', 8, 4],
      ['cy', 8, 4],
    ])
    const firsts = await t.q<{ n: string }>("SELECT count(*) AS n FROM assignments WHERE role = 'first'")
    expect(Number(firsts[0].n)).toBe(40)
    const status = await teamStatus(t.url)
    expect(status).toMatchObject({ pairs: N, decided: 24, doubleReviewed: 0 })
    expect(status.curators.map((c) => [c.name, c.decided])).toEqual([
      ['ann', 8],
      ['bob', 8],
      ['cy', 8],
      ['lead', 0],
    ])
    expect(status.curators.reduce((n, c) => n + c.pending, 0)).toBe(16)
  })

  it('the lead assigns and reassigns; one curator never holds both roles of a pair', async () => {
    const t = await team(['ann', 'bob'], { batch: 2, doubleReview: 0 })
    const ids = sources.ids.slice(10, 13)
    await withClient(t.url, async (client) => {
      expect(await assignPairs(client, teamIdentity(t.lead), ids, 'ann', 'first')).toBe(3)
      expect(await assignPairs(client, teamIdentity(t.lead), [ids[0]], 'bob', 'first')).toBe(1) // reassigned
      expect(await assignPairs(client, teamIdentity(t.lead), [ids[1]], 'bob', 'second')).toBe(1)
      const err = (await thrown(
        assignPairs(client, teamIdentity(t.lead), [ids[1]], 'ann', 'second'),
      )) as CodedError
      expect(err.code).toBe('bad-request')
      expect(
        ((await thrown(assignPairs(client, teamIdentity(t.lead), [ids[2]], 'zoe', 'first'))) as CodedError)
          .code,
      ).toBe('not-found')
    })
    const a = await syncTeam(t.dirs.ann)
    const b = await syncTeam(t.dirs.bob)
    expect(a.assigned).toEqual([
      { id: ids[1], role: 'first' },
      { id: ids[2], role: 'first' },
    ])
    expect(b.assigned.filter((x) => ids.includes(x.id))).toEqual([
      { id: ids[0], role: 'first' },
      { id: ids[1], role: 'second' },
    ])
  })

  it('a curator made second reviewer of a pair nobody reviewed first can decide it: the sync goes through', async () => {
    const t = await team(['bob'], { batch: 2, doubleReview: 0 })
    const id = sources.ids[30]
    await withClient(t.url, async (client) => {
      expect(await assignPairs(client, teamIdentity(t.lead), [id], 'bob', 'second')).toBe(1)
    })
    await inWorkspace(t.dirs.bob, async (ws) => {
      await ws.saveMask(id, resolved((await ws.readCurrentMask(id)).map, 2))
    })
    // Every other pair has a first reviewer: bob's claim can only reach this one.
    const [lead] = await t.q<{ name: string }>("SELECT name FROM curators WHERE name <> 'bob'")
    await t.q('UPDATE pairs SET first_curator = $1 WHERE first_curator IS NULL AND id <> $2', [lead.name, id])
    // Before the fix the push (and the claim) broke CHECK (second_curator <> first_curator): the chunk
    // rolled back on every sync.
    const synced = await syncTeam(t.dirs.bob)
    expect(synced.pushed).toBe(1)
    expect(synced.assigned).toEqual([])
    const rows = await t.q('SELECT first_curator, second_curator FROM pairs WHERE id = $1', [id])
    expect(rows).toEqual([{ first_curator: null, second_curator: 'bob' }])
    const decisions = await t.q("SELECT role, status FROM decisions WHERE pair_id = $1 AND curator = 'bob'", [
      id,
    ])
    expect(decisions).toEqual([{ role: 'second', status: 'corrected' }])
  })

  it('keeps the second review blind: the second curator receives ids and roles, nothing of the first', async () => {
    const t = await team(['ann', 'bob'], { batch: 4, doubleReview: 1 })
    const a1 = await syncTeam(t.dirs.ann)
    const bobBefore = await hashTree(t.dirs.bob)
    await inWorkspace(t.dirs.ann, async (ws) => {
      for (const a of a1.assigned)
        await ws.saveMask(a.id, resolved((await ws.readCurrentMask(a.id)).map, 3), { note: 'ann says' })
    })
    await syncTeam(t.dirs.ann)
    const b = await syncTeam(t.dirs.bob)
    const seconds = b.assigned.filter((a) => a.role === 'second')
    expect(seconds.map((a) => a.id).sort()).toEqual(a1.assigned.map((a) => a.id).sort())
    // What bob's program received: ids and roles, and nothing else.
    for (const a of b.assigned) expect(Object.keys(a).sort()).toEqual(['id', 'role'])
    const local = TeamLocal.open(t.dirs.bob)
    expect(local.assignments().every((a) => Object.keys(a).length === 2)).toBe(true)
    local.close()
    // bob's workspace: unchanged apart from team.sqlite; his current mask of each is still the source.
    const after = await hashTree(t.dirs.bob)
    for (const [file, hash] of bobBefore)
      if (!file.startsWith('team.sqlite')) expect(after.get(file)).toBe(hash)
    expect([...after.keys()].filter((f) => f.startsWith('masks'))).toEqual([])
    await inWorkspace(t.dirs.bob, async (ws) => {
      for (const a of seconds) {
        expect((await ws.readCurrentMask(a.id)).origin).toBe('source')
        expect(ws.pairState(a.id).note).toBeNull()
      }
    })
    // ann never gets her own pairs as second reviewer.
    const a2 = await syncTeam(t.dirs.ann)
    expect(a2.assigned.filter((a) => a.role === 'second' && a1.assigned.some((x) => x.id === a.id))).toEqual(
      [],
    )
  })

  it('samples second reviews by a seeded draw per pair (not push order); nobody reviews their own pair', async () => {
    const share = 0.5
    const t = await team(['ann', 'bob', 'cy'], { batch: 10, doubleReview: share })
    const a1 = await syncTeam(t.dirs.ann)
    const b1 = await syncTeam(t.dirs.bob)
    // ann decides her batch last to first, bob first to last.
    await inWorkspace(t.dirs.ann, async (ws) => {
      for (const a of [...a1.assigned].reverse()) await ws.setStatus(a.id, 'accepted')
    })
    await inWorkspace(t.dirs.bob, async (ws) => {
      for (const a of b1.assigned) await ws.setStatus(a.id, 'rejected')
    })
    await syncTeam(t.dirs.ann)
    await syncTeam(t.dirs.bob)
    await syncTeam(t.dirs.cy)
    await syncTeam(t.dirs.ann)
    const teamId = (await t.q<{ id: string }>('SELECT id FROM team'))[0].id
    // The expected sample, computed here: SHA-256(team id ‖ NUL ‖ pair id) as a fraction < share.
    const decided = [...a1.assigned, ...b1.assigned].map((a) => a.id)
    const draw = (id: string) =>
      Number(createHash('sha256').update(`${teamId}\0${id}`).digest().readBigUInt64BE(0) >> 11n) / 2 ** 53
    const expected = decided.filter((id) => draw(id) < share).sort()
    const marked = await t.q<{ id: string }>('SELECT id FROM pairs WHERE needs_second ORDER BY id')
    expect(marked.map((r) => r.id)).toEqual(expected)
    // The draw did its job on these 20 pairs (a sample that is neither none nor all).
    expect(expected.length).toBeGreaterThan(0)
    expect(expected.length).toBeLessThan(decided.length)
    const pairs = await t.q<{ id: string; first_curator: string; second_curator: string | null }>(
      'SELECT id, first_curator, second_curator FROM pairs WHERE needs_second ORDER BY id',
    )
    expect(pairs.every((p) => p.second_curator !== null)).toBe(true)
    expect(pairs.filter((p) => p.second_curator === p.first_curator)).toEqual([])
    const own = await t.q(
      `SELECT a.pair_id FROM assignments a JOIN pairs p ON p.id = a.pair_id
       WHERE a.role = 'second' AND a.curator = p.first_curator`,
    )
    expect(own).toEqual([])
    const counters = await t.q<{ name: string; first_decided: number; second_sampled: number }>(
      "SELECT name, first_decided, second_sampled FROM curators WHERE name IN ('ann', 'bob') ORDER BY name",
    )
    expect(counters.map((c) => [c.name, c.first_decided, c.second_sampled])).toEqual([
      ['ann', 10, a1.assigned.filter((a) => draw(a.id) < share).length],
      ['bob', 10, b1.assigned.filter((a) => draw(a.id) < share).length],
    ])
  })

  it('conflicting edits of one pair: the first push holds it, the other is kept as an extra, the latest edit counts', async () => {
    const t = await team(['ann', 'bob'], { batch: 4, doubleReview: 0 })
    const id = sources.ids[N - 1] // nobody's batch yet
    await inWorkspace(t.dirs.ann, (ws) => ws.setStatus(id, 'rejected'))
    await inWorkspace(t.dirs.bob, (ws) => ws.setStatus(id, 'accepted'))
    await Promise.all([syncTeam(t.dirs.ann), syncTeam(t.dirs.bob)])
    const rows = await t.q<{ curator: string; role: string; status: string }>(
      'SELECT curator, role, status FROM decisions WHERE pair_id = $1 ORDER BY curator',
      [id],
    )
    expect(rows.length).toBe(2)
    const holder = rows.find((r) => r.role === 'first')
    expect(rows.filter((r) => r.role === 'first').length).toBe(1)
    expect(rows.filter((r) => r.role === 'extra').length).toBe(1)
    const p = await t.q<{ first_curator: string }>('SELECT first_curator FROM pairs WHERE id = $1', [id])
    expect(p[0].first_curator).toBe(holder?.curator)
    // The holder edits again twice: the latest state is what the team sees.
    const dir = t.dirs[holder!.curator]
    await inWorkspace(dir, async (ws) => {
      await ws.setStatus(id, 'flagged')
      await ws.saveMask(id, resolved((await ws.readCurrentMask(id)).map, 1))
    })
    expect((await syncTeam(dir)).pushed).toBe(1)
    const s = await teamStatus(t.url)
    expect(s.curators.find((c) => c.name === holder!.curator)?.decided).toBe(1)
    const latest = await t.q<{ status: string }>(
      'SELECT status FROM decisions WHERE pair_id = $1 AND curator = $2 ORDER BY decided_at DESC, id DESC LIMIT 1',
      [id, holder!.curator],
    )
    expect(latest[0].status).toBe('corrected')
  })

  it('a connection cut in the middle of a sync loses nothing and duplicates nothing', async () => {
    const t = await team(['ann'], { batch: 30, doubleReview: 0 })
    const a = await syncTeam(t.dirs.ann)
    await inWorkspace(t.dirs.ann, async (ws) => {
      for (const [i, x] of a.assigned.entries())
        await ws.saveMask(x.id, resolved((await ws.readCurrentMask(x.id)).map, i))
    })
    const before = await hashTree(t.dirs.ann)
    let chunks = 0
    const err = (await thrown(
      syncTeam(t.dirs.ann, {
        chunk: 4,
        onChunk: async () => {
          if (++chunks === 2)
            await server.query(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'wsm-curator-sync'",
            )
        },
      }),
    )) as CodedError
    expect(err.code).toBe('team-unreachable')
    expect(err.message).toMatch(
      /team server postgres:\/\/postgres@127\.0\.0\.1:\d+\/team\d+ (cannot be reached|was lost)/,
    )
    const after = await hashTree(t.dirs.ann)
    for (const [file, hash] of before) if (!file.startsWith('team.sqlite')) expect(after.get(file)).toBe(hash)
    const local = TeamLocal.open(t.dirs.ann)
    expect(local.lastSync()).toMatchObject({ ok: false })
    expect(local.cursor()).toBeGreaterThan(0)
    local.close()
    const partial = await t.q<{ n: string }>('SELECT count(*) AS n FROM decisions')
    expect(Number(partial[0].n)).toBe(8)
    const r = await syncTeam(t.dirs.ann)
    expect(r.pushed).toBe(22)
    const all = await t.q<{ pair_id: string; mask_sha256: string; ok: boolean }>(
      `SELECT d.pair_id, d.mask_sha256, encode(sha256(m.bytes), 'hex') = d.mask_sha256 AS ok
       FROM decisions d JOIN masks m ON m.sha256 = d.mask_sha256 ORDER BY d.pair_id`,
    )
    expect(all.map((x) => x.pair_id)).toEqual(a.assigned.map((x) => x.id).sort())
    expect(all.every((x) => x.ok)).toBe(true)
  })

  it('agreement numbers match an independent computation', async () => {
    const t = await team(['ann', 'bob'], { batch: 6, doubleReview: 1 })
    const a = await syncTeam(t.dirs.ann)
    const ids = a.assigned.map((x) => x.id)
    // ann resolves i uncertain pixels as lesion; bob resolves 2i; pair 0 rejected by bob, pair 1 accepted (source) by ann.
    await inWorkspace(t.dirs.ann, async (ws) => {
      for (const [i, id] of ids.entries()) {
        if (i === 1) await ws.setStatus(id, 'accepted')
        else await ws.saveMask(id, resolved((await ws.readCurrentMask(id)).map, 4 * i))
      }
    })
    await syncTeam(t.dirs.ann)
    const b = await syncTeam(t.dirs.bob)
    expect(b.assigned.filter((x) => x.role === 'second').length).toBe(6)
    await inWorkspace(t.dirs.bob, async (ws) => {
      for (const [i, id] of ids.entries()) {
        await ws.saveMask(id, resolved((await ws.readCurrentMask(id)).map, 9 * i))
        if (i === 0) await ws.setStatus(id, 'rejected')
      }
    })
    await syncTeam(t.dirs.bob)
    await syncTeam(t.lead) // the lead's sync scores the double reviews
    const s = await teamStatus(t.url, { workspace: t.lead })

    // Independently: lesion pixel sets of both final masks, from the source PNGs.
    const perPair = new Map<string, { dice: number; jaccardUncertain: number }>()
    const zipDir = await inWorkspace(t.lead, async (ws) => {
      const out: number[] = []
      for (const [i, id] of ids.entries()) {
        const { bytes, file } = await ws.dataset.readMaskBytes(ws.dataset.find(id).index)
        const src = readLabelMap(bytes, file).map
        const fa = i === 1 ? src : resolved(src, 4 * i)
        const fb = resolved(src, 9 * i)
        const A = new Set<number>()
        const B = new Set<number>()
        fa.data.forEach((v, k) => v === 1 && A.add(k))
        fb.data.forEach((v, k) => v === 1 && B.add(k))
        const inter = [...A].filter((k) => B.has(k)).length
        out.push(inter / (A.size + B.size - inter))
        // Within the source's uncertain pixels only.
        const U = new Set<number>()
        src.data.forEach((v, k) => v === 255 && U.add(k))
        const uA = [...A].filter((k) => U.has(k))
        const uB = new Set([...B].filter((k) => U.has(k)))
        const uInter = uA.filter((k) => uB.has(k)).length
        const uUnion = uA.length + uB.size - uInter
        perPair.set(id, {
          dice: (2 * inter) / (A.size + B.size),
          jaccardUncertain: uUnion === 0 ? 1 : uInter / uUnion,
        })
      }
      return out
    })
    const j = [...zipDir].sort((x, y) => x - y)
    const q = (p: number) => {
      const h = (j.length - 1) * p
      return j[Math.floor(h)] + (h - Math.floor(h)) * (j[Math.ceil(h)] - j[Math.floor(h)])
    }
    expect(s.doubleReviewed).toBe(6)
    expect(s.agreement.pairs).toBe(6)
    const stored = await t.q<{ pair_id: string; dice: number; jaccard_uncertain: number }>(
      'SELECT pair_id, dice, jaccard_uncertain FROM agreements ORDER BY pair_id',
    )
    expect(stored.length).toBe(6)
    for (const r of stored) {
      expect(r.dice).toBeCloseTo(perPair.get(r.pair_id)!.dice, 10)
      expect(r.jaccard_uncertain).toBeCloseTo(perPair.get(r.pair_id)!.jaccardUncertain, 10)
    }
    expect(s.agreement.jaccardMedian).toBeCloseTo(q(0.5), 10)
    expect(s.agreement.jaccardQ1).toBeCloseTo(q(0.25), 10)
    expect(s.agreement.jaccardQ3).toBeCloseTo(q(0.75), 10)
    expect(s.agreement.shareBelow065).toBeCloseTo(j.filter((x) => x < 0.65).length / 6, 10)
    // Decisions: 5 keep/keep, 1 keep/rejected → po = 5/6, pe = 1 × 5/6: kappa 0.
    expect(s.agreement.kappa).toBeCloseTo(0, 10)
    const expectedQueue = zipDir.filter((x, i) => i === 0 || x < 0.8).length
    expect(s.adjudicationPending).toBe(expectedQueue)
    expect(s.curators.find((c) => c.name === 'bob')?.secondReviews).toBe(6)
    // A changed decision is scored again at the next lead sync.
    await inWorkspace(t.dirs.bob, (ws) => ws.setStatus(ids[0], 'accepted'))
    await syncTeam(t.dirs.bob)
    await syncTeam(t.lead)
    const s2 = await teamStatus(t.url, { workspace: t.lead })
    expect(s2.agreement.kappa).toBeNull() // every pair keep/keep now: chance agreement is total
  })

  it('the lead adjudicates (take a side, or a merge; final and audited) and exports the team state', async () => {
    const t = await team(['ann', 'bob'], { batch: 4, doubleReview: 1 })
    const a = await syncTeam(t.dirs.ann)
    const ids = a.assigned.map((x) => x.id)
    await inWorkspace(t.dirs.ann, async (ws) => {
      for (const id of ids) await ws.saveMask(id, resolved((await ws.readCurrentMask(id)).map, 0))
    })
    await syncTeam(t.dirs.ann)
    await syncTeam(t.dirs.bob)
    // bob: agrees on ids[0] (same resolution), resolves everything as lesion on ids[1], rejects ids[2] and ids[3].
    await inWorkspace(t.dirs.bob, async (ws) => {
      await ws.saveMask(ids[0], resolved((await ws.readCurrentMask(ids[0])).map, 0))
      await ws.saveMask(ids[1], resolved((await ws.readCurrentMask(ids[1])).map, 10_000))
      await ws.setStatuses([ids[2], ids[3]], 'rejected')
    })
    await syncTeam(t.dirs.bob)
    await syncTeam(t.lead)
    const lead = await Workspace.open(t.lead, { readOnly: true })
    try {
      await withClient(t.url, async (client) => {
        const queue = await adjudicationQueue(client)
        expect(queue.map((q) => q.pairId).sort()).toEqual([ids[1], ids[2], ids[3]].sort())
        const c = await adjudicationCase(client, lead, ids[1])
        expect(c.first.curator).toBe('ann')
        expect(c.second.map.data.filter((v) => v === 255).length).toBe(0)
        const team = await readTeam(client)
        expect(
          ((await thrown(adjudicate(client, lead, team, 'ann', ids[1], { take: 'first' }))) as CodedError)
            .code,
        ).toBe('bad-request')
        await adjudicate(client, lead, team, 'lead', ids[1], { take: 'second' })
        const merged = resolved((await adjudicationCase(client, lead, ids[2])).source, 5)
        await adjudicate(client, lead, team, 'lead', ids[2], {
          take: 'merge',
          status: 'corrected',
          map: merged,
        })
        expect(
          ((await thrown(adjudicate(client, lead, team, 'lead', ids[1], { take: 'first' }))) as CodedError)
            .message,
        ).toContain('already adjudicated')
        const audit = await client.query("SELECT count(*) AS n FROM audit WHERE kind = 'adjudicate'")
        expect(Number(audit.rows[0].n)).toBe(2)
      })
    } finally {
      await lead.close()
    }
    expect((await teamStatus(t.url, { workspace: t.lead })).adjudicationPending).toBe(1)
    const out = path.join(root, `export${dbCount}`)
    const summary = await exportTeam(t.lead, { out })
    expect(summary.awaitingAdjudication).toEqual([ids[3]])
    expect(summary.exported).toBe(3)
    const manifest = JSON.parse(await fsp.readFile(path.join(out, 'manifest.json'), 'utf8')) as {
      pairs: { id: string; curator: string; status: string }[]
    }
    expect(manifest.pairs.map((p) => [p.id, p.curator, p.status])).toEqual(
      [
        [ids[0], 'ann', 'corrected'],
        [ids[1], 'lead', 'corrected'],
        [ids[2], 'lead', 'corrected'],
      ].sort(),
    )
  })
  it('a challenge-convention source is scored as converted: a converted save and an accept agree', async () => {
    // A dataset of its own whose first mask is an ISIC challenge mask (0 background / 255 lesion).
    const specs = teamSpecs(2)
    const src = await makeSources(path.join(root, `challenge${dbCount}`), { specs, masksAs: 'folder' })
    const id = specs[0].id
    const disc = drawMask({ ...specs[0], band: 0 })
    const challenge = { ...disc, data: disc.data.map((v) => (v === 1 ? 255 : 0)) }
    await fsp.writeFile(
      path.join(src.masks, 'ISIC_WSM_labels', `${id}.png`),
      encodeMaskPng(challenge, formatOf('grey')),
    )
    const t = await team(['ann', 'bob'], { batch: 2, doubleReview: 1, sources: src })
    expect((await syncTeam(t.dirs.ann)).assigned.map((x) => x.id)).toContain(id)
    // ann converts the challenge mask in the editor and saves it; bob accepts it as it is (review --ids).
    await inWorkspace(t.dirs.ann, async (ws) =>
      ws.saveMask(id, (await ws.readCurrentMask(id, { challenge: 'convert' })).map),
    )
    await syncTeam(t.dirs.ann)
    await syncTeam(t.dirs.bob)
    await inWorkspace(t.dirs.bob, (ws) => ws.setStatus(id, 'accepted'))
    await syncTeam(t.dirs.bob)
    await syncTeam(t.lead)
    const [row] = await t.q<{
      jaccard: number
      jaccard_uncertain: number | null
      needs_adjudication: boolean
    }>('SELECT jaccard, jaccard_uncertain, needs_adjudication FROM agreements WHERE pair_id = $1', [id])
    // The converted source has no uncertain pixel: nothing to score within them.
    expect(row).toMatchObject({ jaccard: 1, jaccard_uncertain: null, needs_adjudication: false })
    // The lead's view of the case shows the source as what it means, as bob's final mask.
    const lead = await Workspace.open(t.lead, { readOnly: true })
    try {
      await withClient(t.url, async (client) => {
        const c = await adjudicationCase(client, lead, id)
        expect(Buffer.from(c.source.data).equals(Buffer.from(disc.data))).toBe(true)
        expect(Buffer.from(c.second.map.data).equals(Buffer.from(c.first.map.data))).toBe(true)
      })
    } finally {
      await lead.close()
    }
  })

  it('team export never ships a pair on a stale agreement: a changed first review is scored again (or held back)', async () => {
    const t = await team(['ann', 'bob'], { batch: 2, doubleReview: 1 })
    const ids = (await syncTeam(t.dirs.ann)).assigned.map((x) => x.id)
    await inWorkspace(t.dirs.ann, async (ws) => {
      for (const id of ids) await ws.saveMask(id, resolved((await ws.readCurrentMask(id)).map, 0))
    })
    await syncTeam(t.dirs.ann)
    await syncTeam(t.dirs.bob)
    await inWorkspace(t.dirs.bob, async (ws) => {
      for (const id of ids) await ws.saveMask(id, resolved((await ws.readCurrentMask(id)).map, 0))
    })
    await syncTeam(t.dirs.bob)
    await syncTeam(t.lead) // scores both pairs: agreed
    expect((await teamStatus(t.url, { workspace: t.lead })).adjudicationPending).toBe(0)
    // ann changes her mind on ids[0] after the lead's last sync.
    await inWorkspace(t.dirs.ann, async (ws) => ws.setStatuses([ids[0]], 'rejected'))
    await syncTeam(t.dirs.ann)
    const summary = await exportTeam(t.lead, {
      out: path.join(root, `export-stale${dbCount}`),
      status: 'any',
    })
    expect(summary.awaitingAdjudication).toEqual([ids[0]])
    // A member's export (no scoring of its own) holds back what is not scored on current decisions.
    await inWorkspace(t.dirs.ann, async (ws) => ws.setStatuses([ids[1]], 'flagged'))
    await syncTeam(t.dirs.ann)
    const q = await withClient(t.url, async (client) => teamFinalState(client))
    expect(q.awaiting.sort()).toEqual([...ids].sort())
  })
})
