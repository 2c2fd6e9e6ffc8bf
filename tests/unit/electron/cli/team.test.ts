/**
 * The `team` command's contract: the JSON shapes of sync and status, usage errors, and — through
 * the real CLI in a child process — an unreachable server gives exit 1 with a `[code]` line, no
 * stack trace and no password.
 */
import { spawnSync } from 'node:child_process'
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { teamCommand } from '../../../../electron/cli/commands/team'
import { Workspace } from '../../../../electron/services/workspace/workspace'
import { builtCli } from '../../../support/builtCli'
import { runCommand } from '../../../support/cli'
import { freePort, postgresSkipReason, startPostgres, type PostgresServer } from '../../../support/postgres'
import { makeWorkspace, teamSources } from '../services/team/support'

let root: string
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-team-cli-'))
})
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true })
})

describe('team command without a server', () => {
  it('usage errors exit 2', async () => {
    expect((await runCommand(teamCommand, ['frobnicate'], { mapErrors: true })).code).toBe(2)
    expect((await runCommand(teamCommand, ['init', 'ws'], { mapErrors: true })).code).toBe(2)
    expect(
      (
        await runCommand(teamCommand, ['init', 'ws', '--db', 'postgres://x/y', '--batch', '0'], {
          mapErrors: true,
        })
      ).code,
    ).toBe(2)
    expect(
      (await runCommand(teamCommand, ['join', 'ws', '--db', 'postgres://x/y'], { mapErrors: true })).code,
    ).toBe(2)
  })

  it('an unreachable server: exit 1, [team-unreachable], no stack trace, no password (real CLI)', async () => {
    const cli = await builtCli()
    const port = await freePort()
    const r = spawnSync(
      process.execPath,
      [cli, 'team', 'status', '--db', `postgres://ann:s3cr3t-pw@127.0.0.1:${port}/team`, '--json'],
      {
        encoding: 'utf8',
      },
    )
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^wsm-curator: \[team-unreachable\] /)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.stderr).not.toContain('s3cr3t-pw')
    expect(r.stdout).toBe('')
  }, 240_000)

  it('a workspace that never joined: [team-not-found], and the workspace is not touched', async () => {
    const sources = await teamSources(path.join(root, 'solo'), 3)
    const dir = await makeWorkspace(path.join(root, 'solo'), 'solo', sources)
    const r = await runCommand(teamCommand, ['sync', dir, '--json'], { mapErrors: true })
    expect(r.code).toBe(1)
    expect(r.err).toContain('[team-not-found]')
    expect(await fsp.readdir(dir)).not.toContain('team.sqlite')
  })
})

const suite = postgresSkipReason === null ? describe : describe.skip
suite(`team command on a real server${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`, () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('init, join, sync --json and status --json print the contract', async () => {
    const sources = await teamSources(path.join(root, 'c'), 12)
    const url = await server.createDatabase('cli')
    const lead = await makeWorkspace(path.join(root, 'c'), 'lead', sources)
    const ann = await makeWorkspace(path.join(root, 'c'), 'ann', sources)
    const init = await runCommand(teamCommand, [
      'init',
      lead,
      '--db',
      url,
      '--batch',
      '4',
      '--double-review',
      '0.5',
    ])
    expect(init.code).toBe(0)
    expect(init.out).toContain('published 12 pairs')
    expect((await runCommand(teamCommand, ['join', ann, '--db', url, '--curator', 'ann'])).code).toBe(0)

    const first = await runCommand(teamCommand, ['sync', ann, '--json'])
    const s1 = JSON.parse(first.out)
    expect(Object.keys(s1).sort()).toEqual(['assigned', 'elapsedMs', 'pulled', 'pushed'])
    expect(s1).toMatchObject({ pushed: 0, pulled: 4 })
    expect(s1.assigned).toEqual(sources.ids.slice(0, 4).map((id) => ({ id, role: 'first' })))
    expect(Number.isInteger(s1.elapsedMs)).toBe(true)

    const ws = await Workspace.open(ann)
    await ws.setStatuses(sources.ids.slice(0, 3), 'accepted')
    await ws.close()
    const s2 = JSON.parse((await runCommand(teamCommand, ['sync', ann, '--json'])).out)
    // 3 decided, 1 pending: fewer than half a batch (2), so a new batch of 4 is claimed.
    expect(s2).toMatchObject({ pushed: 3, pulled: 4 })
    expect(s2.assigned.map((a: { id: string }) => a.id)).toEqual([sources.ids[3], ...sources.ids.slice(4, 8)])

    const st = JSON.parse((await runCommand(teamCommand, ['status', '--db', url, '--json'])).out)
    expect(Object.keys(st).sort()).toEqual(
      ['adjudicationPending', 'agreement', 'curators', 'decided', 'doubleReviewed', 'pairs'].sort(),
    )
    expect(st).toMatchObject({ pairs: 12, decided: 3, doubleReviewed: 0, adjudicationPending: 0 })
    expect(Object.keys(st.agreement).sort()).toEqual(
      ['jaccardMedian', 'jaccardQ1', 'jaccardQ3', 'kappa', 'pairs', 'shareBelow065'].sort(),
    )
    expect(st.curators.find((c: { name: string }) => c.name === 'ann')).toMatchObject({
      name: 'ann',
      decided: 3,
      secondReviews: 0,
    })
    const text = await runCommand(teamCommand, ['status', '--db', url])
    expect(text.out).toContain('pairs 12, decided 3')
  })
})
