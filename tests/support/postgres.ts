/**
 * A throwaway PostgreSQL cluster for the team tests and the team bench: `initdb` into a temporary
 * folder (as the `postgres` user when running as root: initdb refuses root), started on a random
 * free loopback port with its socket in the same folder, stopped (`-m immediate`) and removed
 * afterwards. Authentication: trust on loopback, except the role `wsm_secret` (password
 * `SECRET_PASSWORD`, scram-sha-256), so the tests can check password handling.
 */
import { spawn } from 'node:child_process'
import { existsSync, promises as fsp, readdirSync, readFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

export const SECRET_ROLE = 'wsm_secret'
export const SECRET_PASSWORD = 'not-a-real-s3cret'

/** The binaries folder of the newest installed PostgreSQL (Debian layout), or a reason it is absent. */
export function findPostgresBin(): { bin: string } | { reason: string } {
  const root = '/usr/lib/postgresql'
  if (process.env.WSM_PG_BIN) return { bin: process.env.WSM_PG_BIN }
  if (!existsSync(root))
    return { reason: 'PostgreSQL is not installed (no /usr/lib/postgresql; apt-get install postgresql)' }
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  if (versions.length === 0) return { reason: 'no initdb under /usr/lib/postgresql/*/bin' }
  const asRoot = process.getuid?.() === 0
  if (asRoot && !hasUser('postgres'))
    return { reason: 'running as root and there is no postgres user to run initdb' }
  return { bin: path.join(root, versions[0], 'bin') }
}

/** Synchronous on purpose: decides whether a suite skips, at collection time. */
function hasUser(name: string): boolean {
  try {
    return readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .some((l) => l.startsWith(`${name}:`))
  } catch {
    return false
  }
}

/** Why the PostgreSQL suites skip, or null when a server can be started. */
export const postgresSkipReason: string | null = (() => {
  const found = findPostgresBin()
  return 'reason' in found ? found.reason : null
})()

function run(cmd: string, args: string[], asPostgres: boolean): Promise<string> {
  const [file, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out}`)),
    )
  })
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

export interface PostgresServer {
  port: number
  /** postgres://postgres@127.0.0.1:port/<db> (trust: no password). */
  url(db?: string): string
  /** Creates a fresh database and returns its URL. */
  createDatabase(name: string): Promise<string>
  /** Runs one statement as the superuser on `db` (default postgres). */
  query(sql: string, params?: unknown[], db?: string): Promise<pg.QueryResult>
  stop(): Promise<void>
}

/** Starts a throwaway cluster. Call `stop()` in afterAll. */
export async function startPostgres(): Promise<PostgresServer> {
  const found = findPostgresBin()
  if ('reason' in found) throw new Error(found.reason)
  const asPostgres = process.getuid?.() === 0
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-pg-'))
  if (asPostgres) await run('chown', ['postgres', dir], false)
  const data = path.join(dir, 'data')
  const bin = (name: string) => path.join(found.bin, name)
  await run(
    bin('initdb'),
    ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'],
    asPostgres,
  )
  await fsp.writeFile(
    path.join(data, 'pg_hba.conf'),
    [
      'local all all trust',
      `host all ${SECRET_ROLE} 127.0.0.1/32 scram-sha-256`,
      'host all all 127.0.0.1/32 trust',
      '',
    ].join('\n'),
  )
  let port = 0
  for (let attempt = 0; ; attempt++) {
    port = await freePort()
    try {
      await run(
        bin('pg_ctl'),
        [
          '-D',
          data,
          '-o',
          `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`,
          '-l',
          path.join(dir, 'log'),
          '-w',
          'start',
        ],
        asPostgres,
      )
      break
    } catch (err) {
      if (attempt >= 3) throw err
    }
  }
  const url = (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`
  const query = async (sql: string, params: unknown[] = [], db = 'postgres') => {
    const client = new pg.Client({ connectionString: url(db) })
    await client.connect()
    try {
      return await client.query(sql, params)
    } finally {
      await client.end()
    }
  }
  await query(`CREATE ROLE ${SECRET_ROLE} LOGIN SUPERUSER PASSWORD '${SECRET_PASSWORD}'`)
  return {
    port,
    url,
    query,
    async createDatabase(name) {
      await query(`CREATE DATABASE ${name}`)
      return url(name)
    },
    async stop() {
      await run(bin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], asPostgres).catch(() => undefined)
      await fsp.rm(dir, { recursive: true, force: true })
    },
  }
}
