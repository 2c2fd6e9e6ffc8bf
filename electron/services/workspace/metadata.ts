/**
 * The metadata room: ISIC metadata imported from CSVs (the archive's export, the challenges' ground
 * truth), stored as one row per (column, pair) with the value as text — the shape the reads want:
 * value counts and filters read the (col, value, pair_id) index, manifests read by pair, and a
 * column added by a later CSV needs no schema change. Column names are kept exactly as the CSV
 * header has them. Importing a column again replaces the values of the pairs it names (an empty
 * cell clears the value); the other pairs keep theirs, so a challenge's train and test files can be
 * imported one after the other.
 */
import { CodedError } from '../../../shared/api/errors'
import type {
  MetadataBreakdown,
  MetadataColumn,
  MetadataCondition,
  MetadataValueCount,
} from '../../../shared/workspace/dashboard'
import type { PairStatus } from '../../../shared/workspace/review'
import { importMetadataCsv, type MetadataImportResult, type MetadataRow } from '../metadata/csvImport'
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
  put: `INSERT INTO metadata (col, pair_id, value) VALUES (?, ?, ?)
        ON CONFLICT (col, pair_id) DO UPDATE SET value = excluded.value`,
  clear: `DELETE FROM metadata WHERE col = ? AND pair_id = ?`,
  values: `SELECT value, pairs FROM metadata_counts WHERE col = ? ORDER BY pairs DESC, value`,
  breakdown: `SELECT col, value, pairs FROM metadata_counts`,
  all: `SELECT pair_id, col, value FROM metadata`,
  groups: `SELECT m.value AS value, p.status AS status, count(*) AS n,
                  total(p.uncertain_fraction) AS unc, count(p.uncertain_fraction) AS scanned
           FROM pairs p LEFT JOIN metadata m ON m.col = ? AND m.pair_id = p.id
           WHERE p.idx IS NOT NULL GROUP BY m.value, p.status`,
} as const

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

  constructor(ctx: WorkspaceContext) {
    this.#ctx = ctx
  }

  /** Imports CSV files one after the other (each file's batches in their own transactions). */
  async importCsv(files: readonly string[]): Promise<MetadataImportResult> {
    const total: MetadataImportResult = { rows: 0, matched: 0, unmatched: 0, columns: [] }
    // A set, not dataset.find: most rows of the archive's export are ids the workspace lacks, and a
    // thrown not-found per row cost more than the parsing.
    const dataset = this.#ctx.dataset
    const known = new Set<string>()
    for (let i = 0; i < dataset.size; i++) known.add(dataset.idAt(i))
    for (const file of files) {
      const touched = new Set<string>()
      let r: MetadataImportResult
      try {
        r = await importMetadataCsv(file, {
          knows: (id) => known.has(id),
          write: (columns, rows) => {
            this.#store(columns, rows)
            for (const c of columns) touched.add(c)
          },
        })
      } finally {
        // Once per file, also after a malformed row stopped it (its earlier batches are stored).
        this.#recount([...touched])
      }
      total.rows += r.rows
      total.matched += r.matched
      total.unmatched += r.unmatched
      for (const c of r.columns) if (!total.columns.includes(c)) total.columns.push(c)
    }
    return total
  }

  /** Stores rows of the given columns and recounts their values (see the room's comment for replacing). */
  write(columns: readonly string[], rows: readonly MetadataRow[]): void {
    this.#store(columns, rows)
    this.#recount(columns)
  }

  /** One transaction of rows; the value counts are left to #recount. */
  #store(columns: readonly string[], rows: readonly MetadataRow[]): void {
    const store = this.#ctx.store
    store.write('store metadata', () => {
      const now = Date.now()
      let position = store.statement(SQL.nextPosition, 'pluck').get() as number
      const addColumn = store.statement(SQL.addColumn)
      const hasColumn = store.statement(SQL.hasColumn, 'pluck')
      for (const c of columns) {
        if (hasColumn.get(c) === undefined) addColumn.run(c, position++, now)
        else addColumn.run(c, 0, now)
      }
      const put = store.statement(SQL.put)
      const clear = store.statement(SQL.clear)
      for (const row of rows) {
        columns.forEach((c, i) => {
          const v = row.values[i]
          if (v === null || v === undefined) clear.run(c, row.id)
          else put.run(c, row.id, v)
        })
      }
    })
  }

  /** Recounts the values of the given columns (metadata_counts). */
  #recount(columns: readonly string[]): void {
    if (columns.length === 0) return
    const store = this.#ctx.store
    store.write('count metadata values', () => {
      const clearCounts = store.statement(SQL.clearCounts)
      const recount = store.statement(SQL.recount)
      for (const c of columns) {
        clearCounts.run(c)
        recount.run(c)
      }
    })
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
      const shown = values.slice(0, top)
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
    return [...groups.values()]
      .map(({ unc, scanned, ...g }) => ({ ...g, uncertainMean: scanned > 0 ? unc / scanned : null }))
      .sort((a, b) => b.pairs - a.pairs || String(a.value).localeCompare(String(b.value)))
  }
}
