/**
 * The team room across a rebuild of the workspace database (`init --rebuild`), a curator re-using a
 * name, and the sync badge's pending count — against a real PostgreSQL server (a throwaway cluster).
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CodedError } from '../../../../../shared/api/errors'
import { TeamRoom } from '../../../../../electron/services/team/appBridge'
import { TeamLocal } from '../../../../../electron/services/team/localState'
import { initTeam, joinTeam } from '../../../../../electron/services/team/membership'
import { syncTeam } from '../../../../../electron/services/team/sync'
import { openSqlite } from '../../../../../electron/services/workspace/sqlite'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { postgresSkipReason, startPostgres, type PostgresServer } from '../../../../support/postgres'
import { thrown } from '../../../../support/cli'
import type { Sources } from '../workspace/fixtures'
import { inWorkspace, makeWorkspace, teamSources } from './support'

const N = 24
let server: PostgresServer
let root: string
let sources: Sources
let dbCount = 0

const suite = postgresSkipReason === null ? describe : describe.skip
const title = `team room: rebuild, names, pending${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`

suite(title, () => {
  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-team-rebuild-'))
    ;[server, sources] = await Promise.all([startPostgres(), teamSources(root, N)])
  })
  afterAll(async () => {
    await server?.stop()
    if (root) await fsp.rm(root, { recursive: true, force: true })
  })

  async function team(names: string[]) {
    const db = `rb${++dbCount}`
    const url = await server.createDatabase(db)
    const base = path.join(root, `t${dbCount}`)
    const lead = await makeWorkspace(base, 'lead', sources)
    await initTeam(lead, url, { batch: 50, doubleReview: 0 })
    const dirs: Record<string, string> = {}
    for (const name of names) {
      dirs[name] = await makeWorkspace(base, name, sources)
      await joinTeam(dirs[name], url, name)
    }
    const q = async <R>(sql: string, params: unknown[] = []) =>
      (await server.query(sql, params, db)).rows as R[]
    return { url, base, lead, dirs, q }
  }

  it('after a rebuild of the workspace database, every later decision reaches the server exactly once', async () => {
    const t = await team(['ann'])
    const dir = t.dirs.ann
    const ids = sources.ids
    await inWorkspace(dir, async (ws) => {
      for (const id of ids.slice(0, 8)) await ws.setStatus(id, 'accepted')
    })
    expect((await syncTeam(dir)).pushed).toBe(8)
    // One damaged event row the salvage cannot keep (the damage a rebuild is for).
    const db = openSqlite(path.join(dir, 'workspace.sqlite'))
    try {
      db.exec(`DROP TRIGGER events_append_only_update;
        UPDATE events SET to_status = 'garbled' WHERE seq = (SELECT min(seq) FROM events);`)
    } finally {
      db.close()
    }

    const { workspace, salvaged } = await Workspace.rebuild(dir)
    expect(salvaged.events).toBe(7)
    try {
      // Decisions after the rebuild: new pairs and a changed one.
      for (const id of ids.slice(8, 14)) await workspace.setStatus(id, 'rejected')
      await workspace.setStatus(ids[0], 'rejected')
    } finally {
      await workspace.close()
    }
    const r = await syncTeam(dir)
    expect(r.pushed).toBe(7)
    expect((await syncTeam(dir)).pushed).toBe(0)
    const rows = await t.q<{ pair_id: string; n: string; status: string }>(
      `SELECT pair_id, count(*) AS n, (array_agg(status ORDER BY event_seq DESC))[1] AS status
       FROM decisions WHERE curator = 'ann' GROUP BY pair_id ORDER BY pair_id`,
    )
    expect(rows.map((x) => x.pair_id)).toEqual(ids.slice(0, 14))
    expect(rows.find((x) => x.pair_id === ids[0])).toMatchObject({ n: '2', status: 'rejected' })
    expect(rows.filter((x) => x.pair_id !== ids[0]).every((x) => x.n === '1')).toBe(true)
    const keys = await t.q<{ n: string; d: string }>(
      'SELECT count(*) AS n, count(DISTINCT (client_id, pair_id, event_seq)) AS d FROM decisions',
    )
    expect(keys[0].n).toBe(keys[0].d)
  })

  it('a cursor that a renumbered events table no longer matches is reset: every later decision is pushed; a re-push adds nothing', async () => {
    const t = await team(['bob'])
    const dir = t.dirs.bob
    const ids = sources.ids
    await inWorkspace(dir, async (ws) => {
      for (const id of ids.slice(0, 6)) await ws.setStatus(id, 'accepted')
    })
    expect((await syncTeam(dir)).pushed).toBe(6)
    // An events table renumbered from 1 (as an older rebuild did): the team room must not trust the cursor.
    const { workspace } = await Workspace.rebuild(dir)
    await workspace.close()
    const db = openSqlite(path.join(dir, 'workspace.sqlite'))
    try {
      db.exec(`DROP TRIGGER IF EXISTS events_append_only_delete;
        CREATE TEMP TABLE e AS SELECT * FROM events;
        DELETE FROM events; DELETE FROM sqlite_sequence WHERE name = 'events';
        INSERT INTO events (at, curator, pair_id, kind, from_status, to_status, note, transitions, mask_sha256, recovered)
          SELECT at, curator, pair_id, kind, from_status, to_status, note, transitions, mask_sha256, recovered
          FROM e WHERE seq > (SELECT min(seq) FROM e) ORDER BY seq;`)
    } finally {
      db.close()
    }
    await inWorkspace(dir, async (ws) => {
      for (const id of ids.slice(6, 9)) await ws.setStatus(id, 'rejected')
    })
    const before = await t.q<{ n: string }>("SELECT count(*) AS n FROM decisions WHERE curator = 'bob'")
    expect(before[0].n).toBe('6')
    const r = await syncTeam(dir)
    const after = await t.q<{ pair_id: string }>(
      "SELECT DISTINCT pair_id FROM decisions WHERE curator = 'bob' ORDER BY pair_id",
    )
    expect(after.map((x) => x.pair_id)).toEqual(ids.slice(0, 9))
    expect(r.pushed).toBeGreaterThanOrEqual(3)
    expect((await syncTeam(dir)).pushed).toBe(0)
    // A full re-push over the same events inserts nothing: the keys (client, pair, seq) drop it all.
    const count = async () => (await t.q<{ n: string }>('SELECT count(*) AS n FROM decisions'))[0].n
    const had = await count()
    const local = TeamLocal.open(dir)
    try {
      local.resetCursor()
    } finally {
      local.close()
    }
    expect((await syncTeam(dir)).pushed).toBe(0)
    expect(await count()).toBe(had)
  })

  it('the pending count is what the next sync pushes', async () => {
    const t = await team(['cy'])
    const dir = t.dirs.cy
    const ids = sources.ids
    const ws = await Workspace.open(dir)
    try {
      const room = new TeamRoom(ws)
      expect(room.state().pending).toBe(0)
      for (const id of ids.slice(0, 5)) await ws.setStatus(id, 'accepted')
      await ws.setStatus(ids[0], 'rejected')
      expect(room.state().pending).toBe(5)
      expect((await room.syncNow()).pushed).toBe(5)
      expect(room.state().pending).toBe(0)
      await ws.setStatus(ids[1], 'rejected')
      await ws.setStatus(ids[7], 'accepted')
      expect(room.state().pending).toBe(2)
      expect((await room.syncNow()).pushed).toBe(2)
      expect(room.state().pending).toBe(0)
      room.stop()
    } finally {
      await ws.close()
    }
  })

  it("refuses joining under another workspace's curator name; the same workspace may re-join", async () => {
    const t = await team(['dee'])
    const again = await joinTeam(t.dirs.dee, t.url, 'dee')
    expect(again.curator).toBe('dee')
    const other = await makeWorkspace(t.base, 'dee2', sources)
    const err = (await thrown(joinTeam(other, t.url, 'dee'))) as CodedError
    expect(err.code).toBe('team-curator-taken')
    expect(err.message).toContain('dee')
    expect(((await thrown(joinTeam(other, t.url, 'lead'))) as CodedError).code).toBe('team-curator-taken')
    // No membership recorded for the refused workspace (only its client id, kept before any server
    // call so that a kill after the server's COMMIT cannot lose it).
    const refused = TeamLocal.open(other)
    expect(refused.membership()).toBeNull()
    refused.close()
    const curators = await t.q<{ name: string }>('SELECT name FROM curators ORDER BY name')
    expect(curators.map((c) => c.name)).toEqual(['dee', 'lead'])
  })
})
