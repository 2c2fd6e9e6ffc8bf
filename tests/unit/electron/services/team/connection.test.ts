/**
 * Passwords never show, and every failure to reach or use the server is a coded error: URL
 * redaction (pure), then against a real server — refused port, wrong and right passwords (URL,
 * PGPASSWORD), sslmode=require against a server without TLS.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CodedError } from '../../../../../shared/api/errors'
import {
  connect,
  redactUrl,
  teamError,
  withClient,
  withoutPassword,
} from '../../../../../electron/services/team/connection'
import {
  freePort,
  postgresSkipReason,
  SECRET_PASSWORD,
  SECRET_ROLE,
  startPostgres,
  type PostgresServer,
} from '../../../../support/postgres'
import { thrown } from '../../../../support/cli'

describe('redactUrl and withoutPassword', () => {
  it('hide the password of a URL, in the authority and as a parameter', () => {
    expect(redactUrl('postgres://ann:hunter2@db.example:5432/team?sslmode=require')).toBe(
      'postgres://ann:***@db.example:5432/team?sslmode=require',
    )
    expect(redactUrl('postgres://ann@db/team?password=hunter2')).toBe('postgres://ann@db/team?password=***')
    expect(redactUrl('postgres://ann@db/team')).toBe('postgres://ann@db/team')
    expect(redactUrl('not a url hunter2')).toBe('<unparsable database URL>')
    expect(withoutPassword('postgres://ann:hunter2@db/team?sslmode=require&password=x')).toBe(
      'postgres://ann@db/team?sslmode=require',
    )
  })
  it('teamError maps codes and scrubs the password out of messages', () => {
    const url = 'postgres://ann:hunter2@db/team'
    const e = teamError(Object.assign(new Error('auth failed for hunter2'), { code: '28P01' }), url)
    expect(e.code).toBe('team-auth')
    expect(e.message).not.toContain('hunter2')
    expect(teamError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), url).code).toBe(
      'team-unreachable',
    )
    expect(teamError(Object.assign(new Error('terminating connection'), { code: '57P01' }), url).code).toBe(
      'team-unreachable',
    )
    expect(teamError(new Error('The server does not support SSL connections'), url).code).toBe('team-tls')
  })
})

const suite = postgresSkipReason === null ? describe : describe.skip
suite(`connections to a real server${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`, () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('a refused port is team-unreachable', async () => {
    const port = await freePort()
    const err = (await thrown(connect(`postgres://ann:pw1234@127.0.0.1:${port}/x`))) as CodedError
    expect(err.code).toBe('team-unreachable')
    expect(err.message).toContain(`postgres://ann:***@127.0.0.1:${port}/x`)
    expect(err.message).not.toContain('pw1234')
  })

  it('a wrong password is team-auth and is never echoed; the right one from the URL or PGPASSWORD works', async () => {
    const bad = `postgres://${SECRET_ROLE}:wrong-pass-42@127.0.0.1:${server.port}/postgres`
    const err = (await thrown(connect(bad))) as CodedError
    expect(err.code).toBe('team-auth')
    expect(err.message).not.toContain('wrong-pass-42')
    const good = `postgres://${SECRET_ROLE}:${encodeURIComponent(SECRET_PASSWORD)}@127.0.0.1:${server.port}/postgres`
    expect(await withClient(good, async (c) => (await c.query('SELECT 1 AS one')).rows[0].one)).toBe(1)
    const noPassword = `postgres://${SECRET_ROLE}@127.0.0.1:${server.port}/postgres`
    expect(((await thrown(connect(noPassword))) as CodedError).code).toBe('team-auth')
    const saved = process.env.PGPASSWORD
    process.env.PGPASSWORD = SECRET_PASSWORD
    try {
      expect(await withClient(noPassword, async (c) => (await c.query('SELECT 2 AS two')).rows[0].two)).toBe(
        2,
      )
    } finally {
      if (saved === undefined) delete process.env.PGPASSWORD
      else process.env.PGPASSWORD = saved
    }
  })

  it('the password can come from a .pgpass file (PGPASSFILE)', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-pgpass-'))
    const file = path.join(dir, 'pgpass')
    await fsp.writeFile(file, `127.0.0.1:${server.port}:postgres:${SECRET_ROLE}:${SECRET_PASSWORD}\n`, {
      mode: 0o600,
    })
    const saved = process.env.PGPASSFILE
    process.env.PGPASSFILE = file
    try {
      const url = `postgres://${SECRET_ROLE}@127.0.0.1:${server.port}/postgres`
      expect(await withClient(url, async (c) => (await c.query('SELECT 3 AS three')).rows[0].three)).toBe(3)
    } finally {
      if (saved === undefined) delete process.env.PGPASSFILE
      else process.env.PGPASSFILE = saved
      await fsp.rm(dir, { recursive: true, force: true })
    }
  })

  it('sslmode=require against a server without TLS is team-tls', async () => {
    const err = (await thrown(connect(`${server.url()}?sslmode=require`))) as CodedError
    expect(err.code).toBe('team-tls')
  })

  it('a database that does not exist is team-not-found', async () => {
    expect(((await thrown(connect(server.url('nope')))) as CodedError).code).toBe('team-not-found')
  })
})
