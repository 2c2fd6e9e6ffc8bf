/**
 * Who may do what in a team (QA 7 #2–#4): `assign`, `export` and the adjudication queue are the
 * lead's workspace's alone (checked on the server, audited under the one who ran it); a curator's
 * status follows the blind rule in the CLI as in the app; and the README's database setup — one
 * role per curator with exactly `curatorGrants` — joins, syncs and reads the status, while a role
 * without them gets `team-permission` naming the GRANT. Real PostgreSQL, real CLI commands.
 */
import { existsSync, promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CodedError } from '../../../../../shared/api/errors'
import { teamCommand } from '../../../../../electron/cli/commands/team'
import { createTeamHandlers } from '../../../../../electron/services/team/appBridge'
import { assignPairs } from '../../../../../electron/services/team/claims'
import { curatorGrants, teamError, withClient } from '../../../../../electron/services/team/connection'
import { TeamLocal } from '../../../../../electron/services/team/localState'
import { initTeam, joinTeam, teamIdentity } from '../../../../../electron/services/team/membership'
import { teamStatus } from '../../../../../electron/services/team/status'
import { syncTeam } from '../../../../../electron/services/team/sync'
import { exportTeam } from '../../../../../electron/services/team/teamExport'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { runCommand, thrown } from '../../../../support/cli'
import { postgresSkipReason, startPostgres, type PostgresServer } from '../../../../support/postgres'
import type { Sources } from '../workspace/fixtures'
import { inWorkspace, makeWorkspace, resolved, teamSources } from './support'

describe('insufficient_privilege (SQLSTATE 42501)', () => {
  it('is team-permission, naming the role and the GRANTs, never internal', () => {
    const url = 'postgres://ann:pw@db.example:5432/team'
    const table = teamError({ code: '42501', message: 'permission denied for table schema_version' }, url)
    expect(table.code).toBe('team-permission')
    expect(table.message).toContain('permission denied for table schema_version')
    for (const grant of curatorGrants('ann')) expect(table.message).toContain(grant)
    expect(table.message).not.toContain(':pw@')
    const schema = teamError({ code: '42501', message: 'permission denied for schema public' }, url)
    expect(schema.code).toBe('team-permission')
    expect(schema.message).toContain('GRANT USAGE ON SCHEMA public TO ann')
  })
})

describe("the README's curator grants", () => {
  it('are exactly the ones the grants test gives (curatorGrants)', async () => {
    const readme = await fsp.readFile(path.join(__dirname, '../../../../../README.md'), 'utf8')
    const block = readme.split('```sql\n')[1]?.split('```')[0] ?? ''
    const grants = block.split('\n').filter((l) => l.startsWith('GRANT '))
    expect(grants).toEqual(curatorGrants('ann').map((g) => `${g};`))
  })
})

const suite = postgresSkipReason === null ? describe : describe.skip
suite(`team authorization${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`, () => {
  let server: PostgresServer
  let root: string
  let sources: Sources
  let n = 0
  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-team-auth-'))
    ;[server, sources] = await Promise.all([startPostgres(), teamSources(root, 12)])
  })
  afterAll(async () => {
    await server?.stop()
    if (root) await fsp.rm(root, { recursive: true, force: true })
  })

  /** A team whose lead's workspace published, ann and bob joined, ann decided her first batch and bob reviewed it blind. */
  async function reviewedTeam() {
    const db = `auth${++n}`
    const url = await server.createDatabase(db)
    const base = path.join(root, db)
    const lead = await makeWorkspace(base, 'lead', sources)
    const ann = await makeWorkspace(base, 'ann', sources)
    const bob = await makeWorkspace(base, 'bob', sources)
    await initTeam(lead, url, { batch: 2, doubleReview: 1 })
    await joinTeam(ann, url, 'ann')
    await joinTeam(bob, url, 'bob')
    const a = await syncTeam(ann)
    await inWorkspace(ann, async (ws) => {
      for (const x of a.assigned) await ws.saveMask(x.id, resolved((await ws.readCurrentMask(x.id)).map, 2))
    })
    await syncTeam(ann)
    const b = await syncTeam(bob)
    const blind = b.assigned.filter((x) => x.role === 'second').map((x) => x.id)
    expect(blind.sort()).toEqual(a.assigned.map((x) => x.id).sort())
    await inWorkspace(bob, async (ws) => {
      await ws.saveMask(blind[0], resolved((await ws.readCurrentMask(blind[0])).map, 0))
      await ws.setStatus(blind[1], 'rejected')
    })
    await syncTeam(bob)
    await syncTeam(lead) // scores both double reviews
    const q = async (sql: string, params: unknown[] = []) => (await server.query(sql, params, db)).rows
    return { url, lead, ann, bob, blind, q, base }
  }

  it("assign: a curator's is refused and writes nothing; the lead's works and is audited as the lead's", async () => {
    const t = await reviewedTeam()
    const free = sources.ids[11]
    const before = { a: await t.q('SELECT * FROM assignments'), audit: await t.q('SELECT seq FROM audit') }
    // ann makes herself second reviewer of a pair (QA 7 #2), from her own workspace.
    const ann = await runCommand(
      teamCommand,
      ['assign', t.ann, '--to', 'ann', '--ids', free, '--role', 'second'],
      {
        mapErrors: true,
      },
    )
    expect([ann.code, ann.out]).toEqual([1, ''])
    expect(ann.err).toMatch(/^\[team-permission\] only the team's lead \(lead\) assigns pairs/)
    // …or through the service, or with a team.sqlite edited to call her the lead: the server says no.
    await withClient(t.url, async (client) => {
      const err = (await thrown(
        assignPairs(client, teamIdentity(t.ann), [free], 'bob', 'first'),
      )) as CodedError
      expect(err.code).toBe('team-permission')
      const forged = { ...teamIdentity(t.ann), curator: 'lead', role: 'lead' as const }
      expect(((await thrown(assignPairs(client, forged, [free], 'ann', 'first'))) as CodedError).code).toBe(
        'team-permission',
      )
    })
    // A database URL alone names nobody: usage error.
    const byDb = await runCommand(teamCommand, ['assign', '--db', t.url, '--to', 'ann', '--ids', free], {
      mapErrors: true,
    })
    expect(byDb.code).toBe(2)
    expect(await t.q('SELECT * FROM assignments')).toEqual(before.a)
    expect(await t.q('SELECT seq FROM audit')).toEqual(before.audit)

    const lead = await runCommand(teamCommand, ['assign', t.lead, '--to', 'ann', '--ids', free])
    expect([lead.code, lead.out]).toEqual([0, 'assigned 1 pairs to ann as first reviewer\n'])
    expect(
      await t.q("SELECT curator, assigned_by FROM assignments WHERE pair_id = $1 AND role = 'first'", [free]),
    ).toEqual([{ curator: 'ann', assigned_by: 'lead' }])
    expect(await t.q("SELECT actor, detail FROM audit WHERE kind = 'assign'")).toEqual([
      { actor: 'lead', detail: { curator: 'ann', role: 'first', ids: [free] } },
    ])
  })

  it("the blind second reviewer's CLI shows nothing of the first review: export, queue and status", async () => {
    const t = await reviewedTeam()
    // (a) export: refused, nothing written (the CLI and the service under it).
    const out = path.join(t.base, 'bob-export')
    const ex = await runCommand(teamCommand, ['export', t.bob, '--out', out], { mapErrors: true })
    expect(ex.code).toBe(1)
    expect(ex.err).toContain('[team-permission]')
    expect(((await thrown(exportTeam(t.bob, { out }))) as CodedError).code).toBe('team-permission')
    expect(existsSync(out)).toBe(false)
    // (b) the adjudication queue: refused.
    const queue = await runCommand(teamCommand, ['adjudicate', t.bob, '--json'], { mapErrors: true })
    expect([queue.code, queue.out]).toEqual([1, ''])
    expect(queue.err).toContain('[team-permission]')
    // (c) status: bob sees no agreement computed from his pairs, with --db alone or his workspace.
    for (const args of [[], ['--workspace', t.bob]]) {
      const st = JSON.parse((await runCommand(teamCommand, ['status', '--db', t.url, ...args, '--json'])).out)
      expect(st.agreement.pairs).toBe(0)
      expect(st.agreement.jaccardMedian).toBeNull()
      for (const c of st.curators) expect(c.agreement.pairs).toBe(0)
      expect(st.doubleReviewed).toBe(2) // progress counts stay
    }
    expect((await runCommand(teamCommand, ['status', '--db', t.url])).out).toContain('agreement not shown')
    // The lead sees everything and exports.
    const lead = await teamStatus(t.url, { workspace: t.lead })
    expect(lead.agreement.pairs).toBe(2)
    expect(lead.scored.map((s) => s.pairId).sort()).toEqual([...t.blind].sort())
    const lq = await runCommand(teamCommand, ['adjudicate', t.lead, '--json'])
    expect(JSON.parse(lq.out).length).toBeGreaterThan(0)
    expect(
      (await runCommand(teamCommand, ['export', t.lead, '--out', path.join(t.base, 'lead-export')])).code,
    ).toBe(0)
  })

  it('a curator whose team.sqlite is edited to say lead gets no adjudication view in the app either', async () => {
    const t = await reviewedTeam()
    const local = TeamLocal.open(t.bob)
    const m = local.membership()!
    local.setMembership({ ...m, role: 'lead' })
    local.close()
    const bob = await Workspace.open(t.bob)
    try {
      const h = createTeamHandlers(() => bob, { autoSync: false })
      const q = (await thrown(h['team:adjudicationQueue']())) as CodedError
      expect(q.code).toBe('team-permission')
      const c = (await thrown(h['team:adjudicationCase']({ id: t.blind[0] }))) as CodedError
      expect(c.code).toBe('team-permission')
      // Its status is no lead's either: the server's lead is another workspace.
      expect(((await thrown(h['team:status']())) as CodedError).code).toBe('team-permission')
    } finally {
      await bob.close()
    }
  })

  it("the README's curator grants: join, sync and status work without CREATE; no grants → team-permission", async () => {
    const db = `grants${++n}`
    await server.query('CREATE ROLE owner_r LOGIN')
    await server.query('CREATE ROLE cur_a LOGIN')
    await server.query('CREATE ROLE cur_b LOGIN')
    await server.query('CREATE ROLE cur_none LOGIN')
    await server.query(`CREATE DATABASE ${db} OWNER owner_r`)
    // PostgreSQL < 15 lets PUBLIC create in schema public: take that away, as 15 does.
    await server.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC', [], db)
    const as = (role: string) => `postgres://${role}@127.0.0.1:${server.port}/${db}`
    const base = path.join(root, db)
    const lead = await makeWorkspace(base, 'lead', sources)
    const a = await makeWorkspace(base, 'a', sources)
    const b = await makeWorkspace(base, 'b', sources)
    const none = await makeWorkspace(base, 'none', sources)
    await initTeam(lead, as('owner_r'), { batch: 2, doubleReview: 1 })
    await withClient(as('owner_r'), async (client) => {
      for (const role of ['cur_a', 'cur_b'])
        for (const grant of curatorGrants(role)) await client.query(grant)
    })

    const refused = (await thrown(joinTeam(none, as('cur_none'), 'nobody'))) as CodedError
    expect(refused.code).toBe('team-permission')
    expect(refused.message).toContain('GRANT SELECT ON ALL TABLES IN SCHEMA public TO cur_none')
    expect(existsSync(path.join(none, 'team.sqlite')) && TeamLocal.open(none).membership()).toBeFalsy()

    // Joins and syncs with exactly the grants: claims, pushes with a corrected mask, blind second reviews.
    await joinTeam(a, as('cur_a'), 'ann')
    await joinTeam(b, as('cur_b'), 'bob')
    const s1 = await syncTeam(a)
    expect(s1.assigned.map((x) => x.role)).toEqual(['first', 'first'])
    await inWorkspace(a, async (ws) => {
      await ws.saveMask(s1.assigned[0].id, resolved((await ws.readCurrentMask(s1.assigned[0].id)).map, 1))
      await ws.setStatus(s1.assigned[1].id, 'accepted')
    })
    expect((await syncTeam(a)).pushed).toBe(2)
    const s2 = await syncTeam(b)
    expect(s2.assigned.filter((x) => x.role === 'second').length).toBe(2)
    await inWorkspace(b, (ws) =>
      ws.setStatuses(
        s2.assigned.map((x) => x.id),
        'rejected',
      ),
    )
    expect((await syncTeam(b)).pushed).toBe(s2.assigned.length)
    const st = await teamStatus(as('cur_b'), { workspace: b })
    expect(st.curators.map((c) => [c.name, c.decided, c.secondReviews])).toEqual([
      ['ann', 2, 0],
      ['bob', s2.assigned.length - 2, 2],
      ['lead', 0, 0],
    ])
  })
})
