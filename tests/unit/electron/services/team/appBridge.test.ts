/**
 * The app's team calls over the workspace the app holds open (writable): the badge's state (not
 * joined, pending changes, idle after a sync, offline when the server is gone), sync through the
 * open workspace, the team view's status and the lead's adjudication calls.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CodedError } from '../../../../../shared/api/errors'
import { createTeamHandlers, TeamRoom } from '../../../../../electron/services/team/appBridge'
import { TEAM_FILE, TeamLocal } from '../../../../../electron/services/team/localState'
import { initTeam, joinTeam } from '../../../../../electron/services/team/membership'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { thrown } from '../../../../support/cli'
import {
  freePort,
  postgresSkipReason,
  SECRET_PASSWORD,
  SECRET_ROLE,
  startPostgres,
  type PostgresServer,
} from '../../../../support/postgres'
import { makeWorkspace, resolved, teamSources } from './support'

const suite = postgresSkipReason === null ? describe : describe.skip
suite(`the app's team calls${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`, () => {
  let server: PostgresServer
  let root: string
  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-team-app-'))
    server = await startPostgres()
  })
  afterAll(async () => {
    await server?.stop()
    await fsp.rm(root, { recursive: true, force: true })
  })

  it('badge state, sync through the open workspace, status and adjudication', async () => {
    const sources = await teamSources(root, 8)
    const url = await server.createDatabase('app')
    const leadDir = await makeWorkspace(root, 'lead', sources)
    const annDir = await makeWorkspace(root, 'ann', sources)
    const bobDir = await makeWorkspace(root, 'bob', sources)

    const ann = await Workspace.open(annDir)
    try {
      const h = createTeamHandlers(() => ann, { autoSync: false })
      expect(await h['team:state']()).toMatchObject({ joined: false, state: 'not-joined' })
      await initTeam(leadDir, url, { batch: 2, doubleReview: 1 })
      await joinTeam(annDir, url, 'ann')
      await joinTeam(bobDir, url, 'bob')
      const s0 = await h['team:state']()
      expect(s0).toMatchObject({ joined: true, curator: 'ann', role: 'curator', state: 'idle', pending: 0 })
      expect(s0.server).toBe(url)
      const first = await h['team:sync']()
      expect(first.assigned.map((a) => a.id)).toEqual(sources.ids.slice(0, 2))
      for (const a of first.assigned)
        await ann.saveMask(a.id, resolved((await ann.readCurrentMask(a.id)).map, 0))
      expect((await h['team:state']()).pending).toBe(2)
      expect((await h['team:sync']()).pushed).toBe(2)
      const s1 = await h['team:state']()
      expect(s1).toMatchObject({ pending: 0, state: 'idle', lastSync: { ok: true, pushed: 2 } })
    } finally {
      await ann.close()
    }

    const bob = await Workspace.open(bobDir)
    try {
      const h = createTeamHandlers(() => bob, { autoSync: false })
      const b = await h['team:sync']()
      const seconds = b.assigned.filter((a) => a.role === 'second').map((a) => a.id)
      expect(seconds).toEqual(sources.ids.slice(0, 2))
      await bob.setStatus(seconds[0], 'rejected')
      await bob.saveMask(seconds[1], resolved((await bob.readCurrentMask(seconds[1])).map, 0))
      await h['team:sync']()
    } finally {
      await bob.close()
    }

    const lead = await Workspace.open(leadDir)
    try {
      const h = createTeamHandlers(() => lead, { autoSync: false })
      expect((await h['team:state']()).role).toBe('lead')
      await h['team:sync']()
      const status = await h['team:status']()
      expect(status).toMatchObject({ decided: 2, doubleReviewed: 2, adjudicationPending: 1 })
      expect(status.scored.map((x) => x.jaccard)).toEqual([1, 1])
      expect(status.curators.find((c) => c.name === 'bob')?.agreement).toMatchObject({ pairs: 2, kappa: 0 })
      // bob's view at this moment: both scored pairs are his, so no number of his status may come
      // from them (his own agreement, ann's, the team's, what awaits adjudication): the blind rule.
      const bobNow = await Workspace.open(bobDir)
      try {
        const seen = await createTeamHandlers(() => bobNow, { autoSync: false })['team:status']()
        expect(seen.doubleReviewed).toBe(2)
        expect(seen.scored).toEqual([])
        expect(seen.agreement).toMatchObject({ pairs: 0, jaccardMedian: null, kappa: null })
        for (const c of seen.curators) expect(c.agreement).toMatchObject({ pairs: 0, jaccardMedian: null })
        expect(seen.adjudicationPending).toBe(0)
      } finally {
        await bobNow.close()
      }
      const queue = await h['team:adjudicationQueue']()
      expect(queue.map((q) => q.pairId)).toEqual([sources.ids[0]])
      const c = await h['team:adjudicationCase']({ id: sources.ids[0] })
      expect(c.first.curator).toBe('ann')
      expect(c.second).toMatchObject({ curator: 'bob', status: 'rejected', sha256: null })
      const r = await h['team:adjudicate']({ id: sources.ids[0], take: 'first' })
      expect(r.status).toBe('corrected')
      expect((await h['team:status']()).adjudicationPending).toBe(0)
    } finally {
      await lead.close()
    }

    // A curator's team view: the totals, but no per-pair row of a pair they reviewed (it would show
    // the other reviewer's decision).
    const bobAgain = await Workspace.open(bobDir)
    try {
      const h = createTeamHandlers(() => bobAgain, { autoSync: false })
      const status = await h['team:status']()
      expect(status).toMatchObject({ decided: 2, doubleReviewed: 2 })
      expect(status.scored).toEqual([])
      // Nor can a curator's program ask for the lead's adjudication view (ann's mask of his pair).
      const c = (await thrown(h['team:adjudicationCase']({ id: sources.ids[1] }))) as CodedError
      expect(c.code).toBe('bad-request')
      expect(((await thrown(h['team:adjudicationQueue']())) as CodedError).code).toBe('bad-request')
    } finally {
      await bobAgain.close()
    }
  })

  it('syncs by itself while the workspace is open, and stops when it is no longer the current one', async () => {
    const sources = await teamSources(path.join(root, 'auto'), 4)
    const url = await server.createDatabase('auto')
    const leadDir = await makeWorkspace(path.join(root, 'auto'), 'lead', sources)
    const dir = await makeWorkspace(path.join(root, 'auto'), 'dee', sources)
    await initTeam(leadDir, url, { batch: 2, doubleReview: 0 })
    await joinTeam(dir, url, 'dee')
    const ws = await Workspace.open(dir)
    let current = true
    const room = new TeamRoom(ws, () => current, { firstMs: 10, intervalMs: 20, maxBackoffMs: 40 })
    try {
      await ws.setStatus(sources.ids[3], 'accepted')
      expect(room.state().pending).toBe(1)
      room.start()
      const until = async (ok: () => boolean) => {
        for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10))
        return ok()
      }
      expect(await until(() => room.state().pending === 0 && room.state().lastSync?.ok === true)).toBe(true)
      expect(room.state().assigned.length).toBe(2)
      const pushed = await server.query(
        "SELECT count(*) AS n FROM decisions WHERE curator = 'dee'",
        [],
        'auto',
      )
      expect(Number(pushed.rows[0].n)).toBe(1)
      // No sync starts once the workspace is no longer current; one in flight may still finish.
      current = false
      expect(await until(() => room.state().state !== 'syncing')).toBe(true)
      const before = room.state().lastSync?.at
      await new Promise((r) => setTimeout(r, 150))
      await ws.setStatus(sources.ids[2], 'rejected')
      await new Promise((r) => setTimeout(r, 150))
      expect(room.state()).toMatchObject({ pending: 1 })
      expect(room.state().lastSync?.at).toBe(before)
    } finally {
      room.stop()
      await ws.close()
    }
  })

  it('joins from the app: URL without a password (PGPASSWORD supplies it), never stored nor echoed', async () => {
    const base = path.join(root, 'join')
    const sources = await teamSources(base, 6)
    const trustUrl = await server.createDatabase('joinapp')
    const leadDir = await makeWorkspace(base, 'lead', sources)
    const dir = await makeWorkspace(base, 'eve', sources)
    await initTeam(leadDir, trustUrl, { batch: 2, doubleReview: 0 })
    // eve connects as the role that needs a password (scram-sha-256 on loopback).
    const u = new URL(trustUrl)
    u.username = SECRET_ROLE
    const url = u.toString()
    const withPassword = new URL(url)
    withPassword.password = SECRET_PASSWORD
    const saved = { pw: process.env.PGPASSWORD, file: process.env.PGPASSFILE }
    delete process.env.PGPASSWORD
    process.env.PGPASSFILE = path.join(base, 'no-such-pgpass')
    const ws = await Workspace.open(dir)
    try {
      const h = createTeamHandlers(() => ws, { autoSync: false })
      // A password in the URL is refused before any connection, and not echoed.
      const inUrl = (await thrown(
        h['team:join']({ url: withPassword.toString(), curator: 'eve' }),
      )) as CodedError
      expect(inUrl.code).toBe('bad-request')
      expect(inUrl.message).not.toContain(SECRET_PASSWORD)
      expect(inUrl.message).toContain('PGPASSWORD')
      const query = (await thrown(
        h['team:join']({ url: `${url}?password=${SECRET_PASSWORD}`, curator: 'eve' }),
      )) as CodedError
      expect([query.code, query.message.includes(SECRET_PASSWORD)]).toEqual(['bad-request', false])
      // No password anywhere: the server refuses; nothing is recorded.
      expect(((await thrown(h['team:join']({ url, curator: 'eve' }))) as CodedError).code).toBe('team-auth')
      expect(((await thrown(h['team:join']({ url, curator: 'not/valid' }))) as CodedError).code).toBe(
        'bad-request',
      )
      expect(await h['team:state']()).toMatchObject({ joined: false })
      const before = await server.query('SELECT name FROM curators ORDER BY name', [], 'joinapp')
      expect(before.rows.map((r) => r.name)).toEqual(['lead'])

      process.env.PGPASSWORD = SECRET_PASSWORD
      const state = await h['team:join']({ url, curator: 'eve' })
      expect(state).toMatchObject({
        joined: true,
        curator: 'eve',
        role: 'curator',
        state: 'idle',
        pending: 0,
      })
      expect(state.server).toBe(url)
      expect(JSON.stringify(state)).not.toContain(SECRET_PASSWORD)
      const after = await server.query("SELECT name FROM curators WHERE name = 'eve'", [], 'joinapp')
      expect(after.rows).toHaveLength(1)
      const local = TeamLocal.open(dir)
      expect(local.membership()).toMatchObject({ url, curator: 'eve', role: 'curator' })
      local.close()
      // The password is nowhere in the workspace's team file.
      const files = (await fsp.readdir(dir)).filter((f) => f.startsWith(TEAM_FILE))
      for (const f of files)
        expect((await fsp.readFile(path.join(dir, f))).includes(Buffer.from(SECRET_PASSWORD))).toBe(false)
      // Joined for real: a sync through the app claims eve's first batch.
      expect((await h['team:sync']()).assigned).toHaveLength(2)
      // A second join is refused (a membership is never silently replaced).
      expect(((await thrown(h['team:join']({ url, curator: 'eve2' }))) as CodedError).code).toBe(
        'team-exists',
      )
    } finally {
      await ws.close()
      if (saved.pw === undefined) delete process.env.PGPASSWORD
      else process.env.PGPASSWORD = saved.pw
      if (saved.file === undefined) delete process.env.PGPASSFILE
      else process.env.PGPASSFILE = saved.file
    }
    // The lead's workspace cannot join as a curator.
    const lead = await Workspace.open(leadDir)
    try {
      const h = createTeamHandlers(() => lead, { autoSync: false })
      expect(((await thrown(h['team:join']({ url: trustUrl, curator: 'lead2' }))) as CodedError).code).toBe(
        'team-exists',
      )
    } finally {
      await lead.close()
    }
  })

  it('a server that cannot be reached: the badge says offline, the workspace is untouched', async () => {
    const sources = await teamSources(path.join(root, 'off'), 2)
    const dir = await makeWorkspace(path.join(root, 'off'), 'cy', sources)
    const local = TeamLocal.open(dir, { create: true })
    local.setMembership({
      url: `postgres://cy@127.0.0.1:${await freePort()}/gone`,
      curator: 'cy',
      teamId: 'x',
      role: 'curator',
    })
    local.close()
    const ws = await Workspace.open(dir)
    try {
      await ws.setStatus(sources.ids[0], 'accepted')
      const h = createTeamHandlers(() => ws, { autoSync: false })
      expect(((await thrown(h['team:sync']())) as CodedError).code).toBe('team-unreachable')
      const s = await h['team:state']()
      expect(s).toMatchObject({ state: 'offline', pending: 1, lastSync: { ok: false } })
      expect(s.lastSync?.error).toMatch(/^\[team-unreachable\]/)
      expect(ws.pairState(sources.ids[0]).status).toBe('accepted')
    } finally {
      await ws.close()
    }
  })
})
