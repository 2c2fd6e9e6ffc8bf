/**
 * The metadata room: ISIC metadata imported from CSVs (the archive's export, the challenges' ground
 * truth), stored as one row per (column, pair) with the value as text — the shape the reads want:
 * value counts and filters read the (col, value, pair_id) index, manifests read by pair, and a
 * column added by a later CSV needs no schema change. Column names are kept exactly as the CSV
 * header has them. Importing a column again replaces the values of the pairs it names (an empty
 * cell clears the value); the other pairs keep theirs, so a challenge's train and test files can be
 * imported one after the other.
 *
 * An import is all or nothing: the matched rows of every file are streamed into a TEMP staging
 * table (it dies with the connection, so a crash leaves nothing to clean), outside the workspace's
 * write queue and in short batches that yield to the event loop, so saves go on meanwhile; only
 * then ONE transaction, through the queue, replaces the staged columns' values and recounts their
 * `metadata_counts`. A file that fails late (a broken row, binary bytes) or a kill changes nothing.
 */
import { CodedError } from '../../../shared/api/errors'
import { sqliteError } from './sqlite'
import type {
  MetadataBreakdown,
  MetadataColumn,
  MetadataCondition,
  MetadataValueCount,
} from '../../../shared/workspace/dashboard'
import type { PairStatus } from '../../../shared/workspace/review'
import {
  importMetadataCsv,
  isNumeric,
  type MetadataImportResult,
  type MetadataRow,
} from '../metadata/csvImport'
import { emptyByStatus } from './rows'
import type { WorkspaceContext } from './store'

const SQL = {
  columns: `SELECT c.name AS name, (SELECT total(n.pairs) FROM metadata_counts n WHERE n.col = c.name) AS pairs
            FROM metadata_columns c ORDER BY c.position`,
  clearCounts: `DELETE FROM metadata_counts WHERE col = ?`,
  recount: `INSERT INTO metadata_counts (col, value, pairs)
            SELECT col, value, count(*) FROM metadata WHERE col = ? GROUP BY value`,
  names: `SELECT name FROM metadata_columns ORDER BY position`,
  nextPosition: `SELECT coalesce(max(position) + 1, 0) FROM metadata_columns`,
  addColumn: `INSERT INTO metadata_columns (name, position, imported_at) VALUES (?, ?, ?)
              ON CONFLICT (name) DO UPDATE SET imported_at = excluded.imported_at`,
  hasColumn: `SELECT 1 FROM metadata_columns WHERE name = ?`,
  // The staging table lives in the connection's temp schema: no other connection sees it, writing
  // it takes no lock on the workspace's database, and it disappears with the connection.
  createStaging: `CREATE TEMP TABLE IF NOT EXISTS metadata_staging (
                    col TEXT NOT NULL, pair_id TEXT NOT NULL, value TEXT, PRIMARY KEY (col, pair_id)
                  ) WITHOUT ROWID`,
  clearStaging: `DELETE FROM temp.metadata_staging`,
  stage: `INSERT INTO temp.metadata_staging (col, pair_id, value) VALUES (?, ?, ?)
          ON CONFLICT (col, pair_id) DO UPDATE SET value = excluded.value`,
  stagedClears: `DELETE FROM metadata WHERE (col, pair_id) IN
                   (SELECT col, pair_id FROM temp.metadata_staging WHERE value IS NULL)`,
  stagedPuts: `INSERT INTO metadata (col, pair_id, value)
               SELECT col, pair_id, value FROM temp.metadata_staging WHERE value IS NOT NULL
               ON CONFLICT (col, pair_id) DO UPDATE SET value = excluded.value
               WHERE metadata.value IS NOT excluded.value`,
  values: `SELECT value, pairs FROM metadata_counts WHERE col = ? ORDER BY pairs DESC, value`,
  topValues: `SELECT value, pairs FROM metadata_counts WHERE col = ? ORDER BY pairs DESC, value LIMIT ?`,
  valueTotals: `SELECT count(*) AS distinct_values, total(pairs) AS pairs FROM metadata_counts WHERE col = ?`,
  breakdown: `SELECT col, value, pairs FROM metadata_counts`,
  all: `SELECT pair_id, col, value FROM metadata`,
  groups: `SELECT m.value AS value, p.status AS status, count(*) AS n,
                  total(p.uncertain_fraction) AS unc, count(p.uncertain_fraction) AS scanned
           FROM pairs p LEFT JOIN metadata m ON m.col = ? AND m.pair_id = p.id
           WHERE p.idx IS NOT NULL GROUP BY m.value, p.status`,
} as const

/** Values a numeric column's breakdown shows, in value order (ISIC ages: 0, 5, … 85 are 18). */
const NUMERIC_SHOWN = 24

/** One group of `stats --by <column>`. */
export interface MetadataGroup {
  /** The column's value; null for the pairs without one. */
  value: string | null
  pairs: number
  statuses: Record<PairStatus, number>
  /** Mean uncertain fraction of the group's scanned pairs (null when none is scanned). */
  uncertainMean: number | null
}

export class MetadataRoom {
  readonly #ctx: WorkspaceContext
  /** The imports in flight, one after another. */
  #imports: Promise<unknown> = Promise.resolve()
  #stopped = false

  constructor(ctx: WorkspaceContext) {
    this.#ctx = ctx
  }

  /**
   * Imports CSV files, all or nothing (see the room's comment). The parse and staging phase runs
   * here, outside any queue; `serial` runs the one swap transaction in the workspace's write queue.
   * Imports run one after another (they share the staging table); `stopImports` cancels them.
   */
  importCsv(
    files: readonly string[],
    serial: <T>(fn: () => Promise<T>) => Promise<T>,
  ): Promise<MetadataImportResult> {
    const run = this.#imports.then(() => this.#importAll(files, serial))
    this.#imports = run.catch(() => undefined)
    return run
  }

  /** Cancels the imports still parsing (they end with `cancelled`, changing nothing) and waits for them. */
  async stopImports(): Promise<void> {
    this.#stopped = true
    await this.#imports
  }

  async #importAll(
    files: readonly string[],
    serial: <T>(fn: () => Promise<T>) => Promise<T>,
  ): Promise<MetadataImportResult> {
    const total: MetadataImportResult = { rows: 0, matched: 0, unmatched: 0, columns: [] }
    // A set, not dataset.find: most rows of the archive's export are ids the workspace lacks, and a
    // thrown not-found per row cost more than the parsing.
    const dataset = this.#ctx.dataset
    const known = new Set<string>()
    for (let i = 0; i < dataset.size; i++) known.add(dataset.idAt(i))
    const store = this.#ctx.store
    const file = store.file
    const cancelled = () =>
      new CodedError('cancelled', 'the metadata import was cancelled: the workspace closed')
    if (this.#stopped) throw cancelled()
    try {
      store.db.exec(SQL.createStaging)
      store.db.exec(SQL.clearStaging)
      const stage = store.statement(SQL.stage)
      // A deferred transaction per batch: it writes the temp schema only, so it locks nothing the
      // workspace's other writers need, and it is over before the event loop turns again.
      const stageBatch = store.db.transaction((columns: readonly string[], rows: readonly MetadataRow[]) => {
        for (const row of rows) columns.forEach((c, i) => stage.run(c, row.id, row.values[i] ?? null))
      })
      for (const f of files) {
        const r = await importMetadataCsv(f, {
          knows: (id) => known.has(id),
          write: (columns, rows) => {
            if (this.#stopped) throw cancelled()
            try {
              stageBatch(columns, rows)
            } catch (err) {
              throw sqliteError(err, file, 'stage metadata')
            }
          },
        })
        total.rows += r.rows
        total.matched += r.matched
        total.unmatched += r.unmatched
        for (const c of r.columns) if (!total.columns.includes(c)) total.columns.push(c)
        if (r.renamed) (total.renamed ??= []).push(...r.renamed)
        if (r.suspect) (total.suspect ??= []).push(...r.suspect)
      }
      if (this.#stopped) throw cancelled()
      await serial(async () => this.#swap(total.columns))
      return total
    } finally {
      // Best effort: a closed connection took the table with it.
      if (store.db.open) store.db.exec(SQL.clearStaging)
    }
  }

  /** The one transaction: the staged values replace the stored ones; the columns are recounted. */
  #swap(columns: readonly string[]): void {
    const store = this.#ctx.store
    store.write('import metadata', () => {
      this.#addColumns(columns)
      store.statement(SQL.stagedClears).run()
      store.statement(SQL.stagedPuts).run()
      this.#recountIn(columns)
    })
  }

  /** Registers columns (new ones after the others; known ones keep their place). In a transaction. */
  #addColumns(columns: readonly string[]): void {
    const store = this.#ctx.store
    const now = Date.now()
    let position = store.statement(SQL.nextPosition, 'pluck').get() as number
    const addColumn = store.statement(SQL.addColumn)
    const hasColumn = store.statement(SQL.hasColumn, 'pluck')
    for (const c of columns) {
      if (hasColumn.get(c) === undefined) addColumn.run(c, position++, now)
      else addColumn.run(c, 0, now)
    }
  }

  /** Recounts the values of the given columns (metadata_counts), in the caller's transaction. */
  #recountIn(columns: readonly string[]): void {
    const store = this.#ctx.store
    const clearCounts = store.statement(SQL.clearCounts)
    const recount = store.statement(SQL.recount)
    for (const c of columns) {
      clearCounts.run(c)
      recount.run(c)
    }
  }

  /** The imported columns in import order, with the number of pairs having a value. */
  columns(): MetadataColumn[] {
    return this.#ctx.store.statement(SQL.columns).all() as MetadataColumn[]
  }

  /** The values of one column with their pair counts, most frequent first. */
  values(column: string): MetadataValueCount[] {
    this.checkColumns([column])
    return this.#ctx.store.statement(SQL.values).all(column) as MetadataValueCount[]
  }

  /**
   * The `top` most frequent values of one column, the number of distinct values and the pairs
   * whose value is not among them (a column like lesion_id has tens of thousands of values).
   */
  topValues(
    column: string,
    top: number,
  ): { values: MetadataValueCount[]; distinct: number; otherPairs: number } {
    this.checkColumns([column])
    const values = this.#ctx.store.statement(SQL.topValues).all(column, top) as MetadataValueCount[]
    const t = this.#ctx.store.statement(SQL.valueTotals).get(column) as {
      distinct_values: number
      pairs: number
    }
    const shown = values.reduce((a, v) => a + v.pairs, 0)
    // All of a numeric column's values (ages…) are listed in value order, as the dashboard shows them.
    if (values.length === t.distinct_values && values.length > 0 && values.every((v) => isNumeric(v.value)))
      values.sort((a, b) => Number(a.value) - Number(b.value))
    return { values, distinct: t.distinct_values, otherPairs: t.pairs - shown }
  }

  /** `metadata-unknown-column` naming the first column never imported. */
  checkColumns(columns: readonly string[]): void {
    const has = this.#ctx.store.statement(SQL.hasColumn, 'pluck')
    for (const c of columns) {
      if (has.get(c) === undefined) {
        throw new CodedError(
          'metadata-unknown-column',
          `no metadata column ${JSON.stringify(c)} in this workspace (import a CSV with wsm-curator metadata)`,
        )
      }
    }
  }

  /** Checks the columns of filter conditions (unknown → `metadata-unknown-column`). */
  checkConditions(conditions: readonly MetadataCondition[] | undefined): void {
    if (conditions !== undefined) this.checkColumns(conditions.map((c) => c.column))
  }

  /** The metadata of many pairs (an export's), from one scan of the table. */
  ofPairs(ids: Iterable<string>): Map<string, Record<string, string>> {
    const out = new Map<string, Record<string, string>>()
    for (const id of ids) out.set(id, {})
    const rows = this.#ctx.store.statement(SQL.all).iterate() as Iterable<{
      pair_id: string
      col: string
      value: string
    }>
    for (const r of rows) {
      const m = out.get(r.pair_id)
      if (m !== undefined) m[r.col] = r.value
    }
    return out
  }

  /** Per column, its most frequent values (`top`) and the count of the rest: one query. */
  breakdown(top = 12): MetadataBreakdown[] {
    const rows = this.#ctx.store.statement(SQL.breakdown).all() as {
      col: string
      value: string
      pairs: number
    }[]
    const byCol = new Map<string, MetadataValueCount[]>()
    for (const r of rows) {
      let list = byCol.get(r.col)
      if (list === undefined) byCol.set(r.col, (list = []))
      list.push({ value: r.value, pairs: r.pairs })
    }
    // The pairs of a column are its value counts summed (no second pass over the table).
    const names = this.#ctx.store.statement(SQL.names, 'pluck').all() as string[]
    return names.map((name) => {
      const values = (byCol.get(name) ?? []).sort((a, b) => b.pairs - a.pairs || (a.value < b.value ? -1 : 1))
      // A numeric column (ages…) reads in the order of its values, all of them when they are few.
      const numeric = values.length > 0 && values.every((v) => isNumeric(v.value))
      const shown = numeric
        ? values.slice(0, Math.max(top, NUMERIC_SHOWN)).sort((a, b) => Number(a.value) - Number(b.value))
        : values.slice(0, top)
      const pairs = values.reduce((a, v) => a + v.pairs, 0)
      const otherPairs = pairs - shown.reduce((a, v) => a + v.pairs, 0)
      return { column: name, pairs, values: shown, otherPairs }
    })
  }

  /** Pairs of the open dataset grouped by their value of `column` (`stats --by`), largest first. */
  groups(column: string): MetadataGroup[] {
    this.checkColumns([column])
    const rows = this.#ctx.store.statement(SQL.groups).all(column) as {
      value: string | null
      status: PairStatus
      n: number
      unc: number
      scanned: number
    }[]
    const groups = new Map<string | null, MetadataGroup & { unc: number; scanned: number }>()
    for (const r of rows) {
      let g = groups.get(r.value)
      if (g === undefined) {
        g = { value: r.value, pairs: 0, statuses: emptyByStatus(), uncertainMean: null, unc: 0, scanned: 0 }
        groups.set(r.value, g)
      }
      g.pairs += r.n
      g.statuses[r.status] += r.n
      g.unc += r.unc
      g.scanned += r.scanned
    }
    const all = [...groups.values()].map(({ unc, scanned, ...g }) => ({
      ...g,
      uncertainMean: scanned > 0 ? unc / scanned : null,
    }))
    // A numeric column (ages…) groups in the order of its values, the pairs without one last.
    const numeric =
      all.some((g) => g.value !== null) && all.every((g) => g.value === null || isNumeric(g.value))
    return numeric
      ? all.sort((a, b) => (a.value === null ? 1 : b.value === null ? -1 : Number(a.value) - Number(b.value)))
      : all.sort((a, b) => b.pairs - a.pairs || String(a.value).localeCompare(String(b.value)))
  }
}
