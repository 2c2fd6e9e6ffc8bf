/**
 * The team store's schema on PostgreSQL, versioned. `migrate` runs in ONE transaction under a
 * transaction-scoped advisory lock, so two curators initialising or joining at the same moment
 * apply each migration once (the second waits, then finds the schema current). A database whose
 * schema is newer than this program is refused (`team-version`) rather than misread.
 *
 * One database holds one team. Rows are keyed so that every push is idempotent:
 * - masks by the SHA-256 of their bytes (content-addressed: the same mask is stored once);
 * - decisions by (client, pair, local event sequence number) — the client being one workspace of a
 *   curator (a random id in its team.sqlite): a re-push of what the server already has inserts
 *   nothing (`ON CONFLICT DO NOTHING`). A curator's final word on a pair is their latest decision
 *   (by decision time, then push order).
 * The first reviewer of a pair is `pairs.first_curator`, set by a claim (`FOR UPDATE SKIP LOCKED`)
 * or by a first push of a decision on an unclaimed pair: at most one per pair by construction.
 */
import type pg from 'pg'
import { CodedError } from '../../../shared/api/errors'

/** Any constant the team programs share; hashtext() turns it into the advisory lock's key. */
const LOCK_KEY = 'wsm-curator team schema'

const MIGRATIONS: readonly string[] = [
  // 1: the team store
  `
  CREATE TABLE team (
    id text PRIMARY KEY,
    one_row boolean NOT NULL DEFAULT true UNIQUE CHECK (one_row),
    lead text NOT NULL,
    batch_size integer NOT NULL CHECK (batch_size > 0),
    double_review double precision NOT NULL CHECK (double_review >= 0 AND double_review <= 1),
    jaccard_threshold double precision NOT NULL DEFAULT 0.8,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE curators (
    name text PRIMARY KEY,
    is_lead boolean NOT NULL DEFAULT false,
    joined_at timestamptz NOT NULL DEFAULT now(),
    first_decided integer NOT NULL DEFAULT 0,
    second_sampled integer NOT NULL DEFAULT 0
  );
  CREATE TABLE pairs (
    id text PRIMARY KEY,
    source_sha256 text NOT NULL,
    first_curator text REFERENCES curators (name),
    first_decided boolean NOT NULL DEFAULT false,
    needs_second boolean NOT NULL DEFAULT false,
    second_curator text REFERENCES curators (name),
    CHECK (second_curator IS NULL OR second_curator <> first_curator)
  );
  CREATE INDEX pairs_unclaimed ON pairs (id) WHERE first_curator IS NULL;
  CREATE INDEX pairs_second_open ON pairs (id) WHERE needs_second AND second_curator IS NULL;
  CREATE TABLE assignments (
    pair_id text NOT NULL REFERENCES pairs (id),
    role text NOT NULL CHECK (role IN ('first', 'second')),
    curator text NOT NULL REFERENCES curators (name),
    assigned_by text NOT NULL,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pair_id, role)
  );
  CREATE INDEX assignments_curator ON assignments (curator);
  CREATE TABLE masks (
    sha256 text PRIMARY KEY CHECK (length(sha256) = 64),
    bytes bytea NOT NULL
  );
  CREATE TABLE decisions (
    id bigserial UNIQUE,
    client_id text NOT NULL,
    curator text NOT NULL REFERENCES curators (name),
    pair_id text NOT NULL REFERENCES pairs (id),
    event_seq bigint NOT NULL,
    status text NOT NULL,
    note text,
    mask_sha256 text REFERENCES masks (sha256),
    role text NOT NULL CHECK (role IN ('first', 'second', 'extra')),
    decided_at timestamptz,
    pushed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, pair_id, event_seq)
  );
  CREATE INDEX decisions_curator_pair ON decisions (curator, pair_id);
  CREATE TABLE agreements (
    pair_id text PRIMARY KEY REFERENCES pairs (id),
    first_curator text NOT NULL,
    second_curator text NOT NULL,
    first_decision bigint NOT NULL,
    second_decision bigint NOT NULL,
    first_status text NOT NULL,
    second_status text NOT NULL,
    jaccard double precision NOT NULL,
    dice double precision NOT NULL,
    jaccard_uncertain double precision,
    dice_uncertain double precision,
    decisions_agree boolean NOT NULL,
    needs_adjudication boolean NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE adjudications (
    pair_id text PRIMARY KEY REFERENCES pairs (id),
    lead text NOT NULL,
    status text NOT NULL,
    mask_sha256 text REFERENCES masks (sha256),
    taken text NOT NULL CHECK (taken IN ('first', 'second', 'merge')),
    decided_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE audit (
    seq bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    kind text NOT NULL,
    pair_id text,
    detail jsonb NOT NULL DEFAULT '{}'
  );
  `,
  // 2: the workspace (team.sqlite client id) each curator name belongs to: a name is not shared
  // (another workspace joining under it would receive that curator's blind assignments).
  `
  ALTER TABLE curators ADD COLUMN client_id text;
  `,
  // 3: a decision is keyed by its event's time too: a workspace restored from a backup numbers its
  // new events from where the backup stopped, so (client, pair, seq) can come again with another
  // decision — which ON CONFLICT DO NOTHING dropped. A re-push of the same event still conflicts.
  `
  ALTER TABLE decisions DROP CONSTRAINT decisions_pkey;
  CREATE UNIQUE INDEX decisions_event ON decisions
    (client_id, pair_id, event_seq, (coalesce(decided_at, 'epoch'::timestamptz)));
  `,
]

/** The schema version this program writes. */
export const SCHEMA_VERSION = MIGRATIONS.length

/** The schema version the database holds (0 without a schema), read without creating anything. */
async function schemaVersion(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ t: string | null }>("SELECT to_regclass('schema_version')::text AS t")
  if (rows[0].t === null) return 0
  const v = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version')
  return v.rows[0].v ?? 0
}

/**
 * Brings the database's schema to SCHEMA_VERSION; returns the version found before. A current
 * schema is only read: a curator's role joining a team the lead created needs no CREATE on the
 * schema (README, "One database role per curator"); creating or upgrading takes the tables'
 * owner.
 */
export async function migrate(client: pg.Client): Promise<number> {
  const current = await schemaVersion(client)
  if (current === SCHEMA_VERSION) return current
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK_KEY])
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)')
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version')
    const found = rows[0].v ?? 0
    if (found > SCHEMA_VERSION)
      throw new CodedError(
        'team-version',
        `the team database has schema version ${found}; this program knows up to ${SCHEMA_VERSION} (update wsm-curator)`,
      )
    for (let v = found + 1; v <= SCHEMA_VERSION; v++) {
      await client.query(MIGRATIONS[v - 1])
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [v])
    }
    await client.query('COMMIT')
    return found
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

/** Refuses a database without a current schema (nothing is created by a sync or a status). */
export async function checkSchema(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ t: string | null }>("SELECT to_regclass('schema_version')::text AS t")
  if (rows[0].t === null)
    throw new CodedError('team-not-found', 'this database holds no team (run wsm-curator team init)')
  const v = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version')
  const found = v.rows[0].v ?? 0
  if (found > SCHEMA_VERSION)
    throw new CodedError(
      'team-version',
      `the team database has schema version ${found}; this program knows up to ${SCHEMA_VERSION}`,
    )
  if (found < SCHEMA_VERSION)
    throw new CodedError(
      'team-version',
      `the team database has schema version ${found}; run wsm-curator team init or join to upgrade it`,
    )
}

/** The team row, or `team-not-found`. */
export interface TeamRow {
  id: string
  lead: string
  batchSize: number
  doubleReview: number
  jaccardThreshold: number
}

export async function readTeam(client: pg.Client): Promise<TeamRow> {
  await checkSchema(client)
  const { rows } = await client.query<{
    id: string
    lead: string
    batch_size: number
    double_review: number
    jaccard_threshold: number
  }>('SELECT id, lead, batch_size, double_review, jaccard_threshold FROM team')
  if (rows.length === 0)
    throw new CodedError('team-not-found', 'this database holds no team (run wsm-curator team init)')
  const r = rows[0]
  return {
    id: r.id,
    lead: r.lead,
    batchSize: r.batch_size,
    doubleReview: r.double_review,
    jaccardThreshold: r.jaccard_threshold,
  }
}
