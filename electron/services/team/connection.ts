/**
 * Connections to the team server (PostgreSQL through node-postgres). The URL is the only way in:
 * `postgres://user[:password]@host[:port]/db?sslmode=…`. Passwords are never printed, logged or
 * stored: every message carries the URL through `redactUrl`, the workspace keeps the URL without
 * its password (`withoutPassword`), and later connections take the password from PGPASSWORD or
 * ~/.pgpass, which node-postgres reads when the URL has none.
 */
import pg from 'pg'
import { CodedError } from '../../../shared/api/errors'

/** The URL with any password replaced by `***` (for messages). Not a URL → a fixed placeholder. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    // Without an authority (`notaurl:SECRET5`, `user:pw@host`) the text after the scheme is an
    // opaque path, password and all: nothing of it is shown (qa7 #10).
    if (!u.href.startsWith(`${u.protocol}//`)) return '<unparsable database URL>'
    if (u.password !== '') u.password = '***'
    // A password may also come as a query parameter (libpq accepts ?password=…).
    if (u.searchParams.has('password')) u.searchParams.set('password', '***')
    return u.toString()
  } catch {
    return '<unparsable database URL>'
  }
}

/** The URL without its password (what the workspace stores). */
export function withoutPassword(url: string): string {
  const u = parseDbUrl(url)
  u.password = ''
  u.searchParams.delete('password')
  return u.toString()
}

/** Parses a postgres:// URL, or throws `bad-request` (without echoing a password). */
export function parseDbUrl(url: string): URL {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new CodedError(
      'bad-request',
      `not a database URL: ${redactUrl(url)} (expected postgres://user@host/db)`,
    )
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    throw new CodedError('bad-request', `not a PostgreSQL URL: ${redactUrl(url)} (expected postgres://…)`)
  return u
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
])

/**
 * Maps what node-postgres throws to a coded error whose message names the server by its redacted
 * URL. Connection-level failures (refused, lost, the server shutting the session) are
 * `team-unreachable`; credentials `team-auth`; TLS `team-tls`; a missing privilege
 * `team-permission`. Anything else keeps its SQL detail under `internal`… except a CodedError,
 * which passes through.
 */
export function teamError(err: unknown, url: string): CodedError {
  if (err instanceof CodedError) return err
  const e = err as { code?: unknown; message?: unknown }
  const code = typeof e?.code === 'string' ? e.code : ''
  const message = typeof e?.message === 'string' ? e.message : String(err)
  const where = redactUrl(url)
  // A message can quote the connection string; never let a password through.
  const detail = scrub(message, url)
  if (UNREACHABLE.has(code) || /Connection terminated|connection timeout|not queryable/i.test(message))
    return new CodedError('team-unreachable', `the team server ${where} cannot be reached (${detail})`)
  if (code === '57P01' || code === '57P02' || code === '57P03' || code.startsWith('08'))
    return new CodedError(
      'team-unreachable',
      `the connection to the team server ${where} was lost (${detail})`,
    )
  // node-postgres asks the server for SCRAM before it notices it has no password to answer with.
  if (/client password must be a string/i.test(message))
    return new CodedError(
      'team-auth',
      `no password for the team server ${where}: set PGPASSWORD or put it in ~/.pgpass (or the file PGPASSFILE names)`,
    )
  if (code === '28P01' || code === '28000' || /password|SASL|SCRAM/i.test(message))
    return new CodedError('team-auth', `the team server ${where} refused the credentials (${detail})`)
  if (/SSL|TLS|certificate/i.test(message) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))
    return new CodedError('team-tls', `no TLS connection to the team server ${where} (${detail})`)
  if (code === '3D000')
    return new CodedError('team-not-found', `the team server ${where} has no such database (${detail})`)
  if (code === '42501') return permissionError(detail, url, where)
  return new CodedError('internal', `team server ${where}: ${detail}`)
}

/** The tables a curator's program writes (join, sync, claims); everything else it only reads. */
const CURATOR_WRITES = ['pairs', 'curators', 'assignments', 'decisions', 'masks', 'audit'] as const

/**
 * The least a curator's database role needs once the lead's `team init` has created the schema
 * (README, "One database role per curator"): read every table (status, pulls), insert and update
 * the rows a join, a sync and a claim write, and draw ids from the sequences of `decisions` and
 * `audit`. No CREATE: `migrate` only reads the schema version when it is current.
 */
export function curatorGrants(role: string): string[] {
  const r = quoteIdent(role)
  return [
    `GRANT USAGE ON SCHEMA public TO ${r}`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${r}`,
    `GRANT INSERT, UPDATE ON ${CURATOR_WRITES.join(', ')} TO ${r}`,
    `GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${r}`,
  ]
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`
}

/** SQLSTATE 42501 (insufficient_privilege) → `team-permission`, naming the GRANTs the lead runs. */
function permissionError(detail: string, url: string, where: string): CodedError {
  let role = '<role>'
  try {
    role = decodeURIComponent(new URL(url).username) || role
  } catch {
    // not a URL: the placeholder stays
  }
  const schema = /permission denied for schema/i.test(detail)
  const fix = schema
    ? `either the role lacks ${curatorGrants(role)[0]}, or the team's tables are missing or older than this program: creating or upgrading them (wsm-curator team init) takes the database's owner (createdb -O <lead role>) or GRANT CREATE ON SCHEMA public TO ${role}`
    : `the lead (the tables' owner) runs: ${curatorGrants(role).join('; ')}`
  return new CodedError(
    'team-permission',
    `the database role ${role} lacks a privilege on the team server ${where} (${detail}): ${fix}`,
  )
}

function scrub(message: string, url: string): string {
  let out = message
  try {
    const password = decodeURIComponent(new URL(url).password)
    if (password !== '') out = out.split(password).join('***')
  } catch {
    // not a URL: nothing to scrub beyond what the message says
  }
  return out
}

/** Opens one client (application_name identifies it in pg_stat_activity), or a coded error. */
export async function connect(url: string, options: { application?: string } = {}): Promise<pg.Client> {
  parseDbUrl(url)
  const client = new pg.Client({
    connectionString: url,
    application_name: options.application ?? 'wsm-curator',
    connectionTimeoutMillis: 10_000,
  })
  // A connection dropped while idle emits 'error' on the client; the next query fails with a coded
  // error instead of the process crashing on an unhandled event.
  client.on('error', () => undefined)
  try {
    await client.connect()
  } catch (err) {
    await client.end().catch(() => undefined)
    throw teamError(err, url)
  }
  return client
}

/** Runs `fn` with a connected client, closing it afterwards; every failure is a coded error. */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
  options: { application?: string } = {},
): Promise<T> {
  const client = await connect(url, options)
  try {
    return await fn(client)
  } catch (err) {
    throw teamError(err, url)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Runs `fn` inside BEGIN … COMMIT (ROLLBACK on any failure). */
export async function inTransaction<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN')
  try {
    const out = await fn()
    await client.query('COMMIT')
    return out
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}
