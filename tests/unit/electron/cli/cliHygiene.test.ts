/**
 * CLI hygiene from QA 7: `--where` values with a comma (`\,`) and a warning for a value no pair has
 * (#8); `stats --by` errors name --by (#11); and, through the built CLI in a child process: a reader
 * that goes away (EPIPE) is no crash (#9), a --db that is not a URL is never echoed (#10), a usage
 * error is one line and a pointer to --help, `[bad-request]` exits 2 as the help says, and a missing
 * password says how to give one (#11).
 */
import { spawn, spawnSync } from 'node:child_process'
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportCommand } from '../../../../electron/cli/commands/export'
import { initCommand } from '../../../../electron/cli/commands/init'
import { metadataCommand } from '../../../../electron/cli/commands/metadata'
import { reviewCommand } from '../../../../electron/cli/commands/review'
import { statsCommand } from '../../../../electron/cli/commands/stats'
import { parseWhere } from '../../../../electron/cli/where'
import { builtCli } from '../../../support/builtCli'
import { runCommand } from '../../../support/cli'
import { postgresSkipReason, SECRET_ROLE, startPostgres } from '../../../support/postgres'
import { makeSources } from '../services/workspace/fixtures'

let root: string
let ws: string
const run = (command: (args: string[]) => Promise<number>, args: string[]) =>
  runCommand(command, args, { mapErrors: true })

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-cli-hygiene-'))
  const sources = await makeSources(path.join(root, 'src'))
  ws = path.join(root, 'ws')
  expect((await run(initCommand, [ws, '--masks', sources.masks, '--images', sources.images])).code).toBe(0)
  const csv = path.join(root, 'meta.csv')
  await fsp.writeFile(
    csv,
    'isic_id,anatom_site_general,diagnosis\n' +
      'ISIC_0000001,"upper extremity, left",melanoma\n' +
      'ISIC_0000002,upper extremity,nevus\n' +
      'ISIC_0000003,left,nevus\n' +
      'ISIC_0000004,back,a\\b\n',
  )
  expect((await run(metadataCommand, [ws, csv])).code).toBe(0)
})
afterAll(async () => {
  if (root) await fsp.rm(root, { recursive: true, force: true })
})

describe('--where', () => {
  it('splits at unescaped commas: \\, is a comma, \\\\ a backslash', () => {
    expect(parseWhere(['site=upper extremity\\, left'])).toEqual([
      { column: 'site', values: ['upper extremity, left'] },
    ])
    expect(parseWhere(['site=a, b\\,c ,d'])).toEqual([{ column: 'site', values: ['a', 'b,c', 'd'] }])
    expect(parseWhere(['x=a\\\\,b'])).toEqual([{ column: 'x', values: ['a\\', 'b'] }])
    // A backslash before anything else is itself.
    expect(parseWhere(['x=a\\b'])).toEqual([{ column: 'x', values: ['a\\b'] }])
  })

  it('review --where selects a value holding a comma, and nothing else, without a warning', async () => {
    const r = await run(reviewCommand, [
      ws,
      '--set',
      'flagged',
      '--where',
      'anatom_site_general=upper extremity\\, left',
      '--dry-run',
    ])
    expect(r.code).toBe(0)
    expect(r.out).toBe('would set 1 pairs to flagged\nISIC_0000001\n')
    expect(r.err).not.toContain('warning')
  })

  it('a value no pair has is a warning naming it (exit 0), for review and export alike', async () => {
    const r = await run(reviewCommand, [
      ws,
      '--set',
      'flagged',
      '--where',
      'anatom_site_general=upper extremity, left',
      '--dry-run',
    ])
    expect(r.code).toBe(0)
    // "upper extremity" and "left" are both values: the split selects those two pairs, no warning.
    expect(r.out).toBe('would set 2 pairs to flagged\nISIC_0000002\nISIC_0000003\n')
    const typo = await run(reviewCommand, [
      ws,
      '--set',
      'flagged',
      '--where',
      'diagnosis=melanom,nevus',
      '--dry-run',
    ])
    expect(typo.code).toBe(0)
    expect(typo.err).toContain('warning: --where diagnosis: no pair has the value "melanom"')
    expect(typo.err).toContain('\\,')
    expect(typo.err).not.toContain('"nevus"')
    const ex = await run(exportCommand, [
      ws,
      '--out',
      path.join(root, 'ex'),
      '--status',
      'any',
      '--where',
      'diagnosis=nope',
      '--json',
    ])
    expect(ex.err).toContain('warning: --where diagnosis: no pair has the value "nope"')
  })

  it('stats --by an unknown column names --by, not --where (exit 2)', async () => {
    const r = await run(statsCommand, [ws, '--by', 'nope', '--no-scan'])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/^--by: no metadata column "nope"/)
    expect(r.err).not.toContain('--where')
  })
})

describe('the built CLI', () => {
  let cli: string
  beforeAll(async () => {
    cli = await builtCli()
  }, 300_000)
  const runCli = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
    spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, timeout: 60_000 })

  it('a reader that closes the pipe early (| head) ends quietly: no stack trace, its own exit status', async () => {
    const child = spawn(process.execPath, [cli, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] })
    // The read end closes before the CLI (still loading) writes a byte: its write gets EPIPE.
    child.stdout.destroy()
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
    expect(err).toBe('')
    expect(code).toBe(0)
  })

  it('a --db that is not a URL is never echoed; [bad-request] exits 2; a usage error is one line and a pointer', () => {
    const r = runCli(['team', 'status', '--db', 'notaurl:SECRET5'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/^wsm-curator: \[bad-request\] /)
    expect(r.stderr + r.stdout).not.toContain('SECRET5')
    const bare = runCli(['team', 'status', '--db', 'ann:SECRET6@db.example/team'])
    expect(bare.stderr + bare.stdout).not.toContain('SECRET6')
    const u = runCli(['frobnicate'])
    expect(u.status).toBe(2)
    expect(u.stderr).toBe('wsm-curator: unknown command "frobnicate"\nsee wsm-curator --help\n')
    expect(u.stdout).toBe('')
  })

  it.skipIf(postgresSkipReason !== null)(
    `a missing password says how to give one, as [team-auth]${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`,
    async () => {
      const server = await startPostgres()
      try {
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          HOME: root,
          PGPASSFILE: path.join(root, 'no-such-pgpass'),
        }
        delete env.PGPASSWORD
        const r = runCli(
          ['team', 'status', '--db', `postgres://${SECRET_ROLE}@127.0.0.1:${server.port}/postgres`],
          env,
        )
        expect(r.status).toBe(1)
        expect(r.stderr).toMatch(/^wsm-curator: \[team-auth\] no password for the team server /)
        expect(r.stderr).toContain('PGPASSWORD')
        expect(r.stderr).not.toContain('SCRAM')
      } finally {
        await server.stop()
      }
    },
    120_000,
  )
})
