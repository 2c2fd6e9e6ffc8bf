/**
 * Reading ISIC metadata CSVs: the archive's metadata export (`isic_id, attribution, …, diagnosis,
 * sex`) and the challenges' ground-truth files (`image_id, melanoma, …`; `image, MEL, NV, …`).
 * Streamed through csv-parse (quoted fields, CRLF, a UTF-8 BOM), so the archive's ~400k rows never
 * sit in memory: only the rows of ids the workspace holds are handed on, in batches; the others
 * are counted. Pure of any database: the rows go to a `MetadataSink`. Between batches the import
 * yields to the event loop (the main process stays responsive during a 400k-row file).
 */
import { createReadStream, promises as fsp } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { pipeline, Transform, type TransformCallback } from 'node:stream'
import { parse, CsvError } from 'csv-parse'
import { CodedError } from '../../../shared/api/errors'
import { fsError } from '../fs/atomicWrite'

/** Header names of the id column, in order of preference (compared without case or spaces). */
export const ID_COLUMNS = ['isic_id', 'image_id', 'image', 'image_name'] as const

/** An ISIC id at the start of a cell (challenge files may suffix it, e.g. `_downsampled`). */
const ID_IN_CELL = /^(ISIC_\d{7})(?![0-9])/

/** Rows handed to the sink per write: small enough that one write never holds the thread long. */
const BATCH = 2000

/** One CSV row of a pair: its values in the order of the file's columns; null for an empty cell. */
export interface MetadataRow {
  id: string
  values: (string | null)[]
}

/** Where imported rows go (the workspace's metadata room; a plain object in tests). */
export interface MetadataSink {
  /** True when the workspace holds this pair. */
  knows(id: string): boolean
  /** Takes one batch: each non-null value replaces the pair's value of that column; null clears it. */
  write(columns: readonly string[], rows: readonly MetadataRow[]): void | Promise<void>
}

export interface MetadataImportResult {
  /** Data rows read (header excluded). */
  rows: number
  /** Rows whose id the workspace holds, and the others (ids it does not hold, or no ISIC id). */
  matched: number
  unmatched: number
  /** The columns imported (the id column excluded), as the header names them (a repeat renamed). */
  columns: string[]
  /** Header names repeated in a file: the repeat is imported under a new name (present when any). */
  renamed?: MetadataRenamedColumn[]
  /** Mostly-numeric columns with values unlike the rest (present when any). */
  suspect?: MetadataSuspectValues[]
}

/** A column whose header name was already taken in its file: imported as `as`, nothing dropped. */
export interface MetadataRenamedColumn {
  file: string
  column: string
  as: string
}

/**
 * A column whose imported values are nearly all numbers (at least 4 in 5 and two or more): the
 * values that are not what the rest are — whole numbers ≥ 0 (ages, counts, 0/1 labels) or numbers —
 * counted, with the first few. They are imported as they are (text); this only reports them.
 */
export interface MetadataSuspectValues {
  file: string
  column: string
  expected: 'whole number ≥ 0' | 'number'
  count: number
  examples: string[]
}

/** Decimal number syntax (what the dashboard and `stats --by` order numerically). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** True when `value` (trimmed) is a decimal number. */
export function isNumeric(value: string): boolean {
  return NUMBER.test(value.trim())
}

const EXAMPLES = 5

/** Per column of one file: how many values are numbers, whole numbers ≥ 0, and the first odd ones. */
class ValueKinds {
  total = 0
  numbers = 0
  wholes = 0
  notNumbers: string[] = []
  notWholes: string[] = []

  add(value: string): void {
    this.total++
    if (!isNumeric(value)) {
      if (this.notNumbers.length < EXAMPLES) this.notNumbers.push(value)
      if (this.notWholes.length < EXAMPLES) this.notWholes.push(value)
      return
    }
    this.numbers++
    const n = Number(value)
    if (Number.isInteger(n) && n >= 0 && !Object.is(n, -0)) this.wholes++
    else if (this.notWholes.length < EXAMPLES) this.notWholes.push(value)
  }

  /** The report of a mostly-numeric column with odd values, or null. */
  suspect(file: string, column: string): MetadataSuspectValues | null {
    const mostly = (n: number) => n >= 2 && n * 5 >= this.total * 4
    if (mostly(this.wholes) && this.wholes < this.total)
      return {
        file,
        column,
        expected: 'whole number ≥ 0',
        count: this.total - this.wholes,
        examples: this.notWholes,
      }
    if (mostly(this.numbers) && this.numbers < this.total)
      return { file, column, expected: 'number', count: this.total - this.numbers, examples: this.notNumbers }
    return null
  }
}

/** The id column of a header row, or -1. */
export function idColumnOf(header: readonly string[]): number {
  const norm = header.map((h) => h.trim().toLowerCase())
  for (const name of ID_COLUMNS) {
    const i = norm.indexOf(name)
    if (i >= 0) return i
  }
  return -1
}

/**
 * Imports one CSV file into `sink`. `metadata-not-csv` for a file that is not UTF-8 CSV text
 * (binary bytes, an unclosed quote, rows with a different number of fields than the header, an
 * empty file); `metadata-no-id-column` for a header without an id column. Both are detected before
 * anything is written when the problem is in the header; a malformed row, a NUL byte or invalid
 * UTF-8 later in the file stops the import there, after batches were handed on: a sink that must
 * be all-or-nothing stages them and applies them only when this resolves (MetadataRoom does).
 */
export async function importMetadataCsv(file: string, sink: MetadataSink): Promise<MetadataImportResult> {
  await checkText(file)
  // pipeline, not pipe: an error of the read or the text check reaches the parser's iterator.
  const parser = pipeline(
    createReadStream(file),
    textCheck(file),
    parse({ bom: true, skip_empty_lines: true, relax_column_count: false }),
    () => undefined,
  )
  let header: string[] | null = null
  let idCol = -1
  const columns: string[] = []
  const keep: number[] = []
  const renamed: MetadataRenamedColumn[] = []
  let kinds: ValueKinds[] = []
  let rows = 0
  let matched = 0
  let batch: MetadataRow[] = []
  const flush = async () => {
    if (batch.length === 0) return
    const rows = batch
    batch = []
    await sink.write(columns, rows)
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (header === null) {
        header = record
        idCol = idColumnOf(header)
        if (idCol < 0) {
          throw new CodedError(
            'metadata-no-id-column',
            `${file} has no id column (one of ${ID_COLUMNS.join(', ')}); its header is ${header.slice(0, 8).join(', ')}`,
            file,
          )
        }
        // Columns kept as named; a name repeated in the header is imported as "name (2)", "name (3)"…
        // (reported): refusing the file, or keeping one of the two, would lose a column.
        const names = header.filter((name, i) => i !== idCol && name.trim() !== '')
        const taken = new Set(names)
        const seen = new Set<string>()
        header.forEach((name, i) => {
          if (i === idCol || name.trim() === '') return
          let as = name
          if (seen.has(name)) {
            let k = 2
            while (taken.has(`${name} (${k})`)) k++
            as = `${name} (${k})`
            taken.add(as)
            renamed.push({ file, column: name, as })
          }
          seen.add(name)
          keep.push(i)
          columns.push(as)
        })
        kinds = columns.map(() => new ValueKinds())
        continue
      }
      rows++
      const m = ID_IN_CELL.exec(record[idCol].trim())
      if (m === null || !sink.knows(m[1])) continue
      matched++
      const values = keep.map((i) => (record[i] === '' ? null : record[i]))
      values.forEach((v, k) => {
        if (v !== null && v.trim() !== '') kinds[k].add(v)
      })
      batch.push({ id: m[1], values })
      if (batch.length >= BATCH) await flush()
    }
    await flush()
  } catch (err) {
    if (err instanceof CodedError) throw err
    if (err instanceof CsvError) {
      throw new CodedError('metadata-not-csv', `${file} is not a well-formed CSV file: ${err.message}`, file)
    }
    throw fsError(err, file, 'read')
  } finally {
    parser.destroy()
  }
  if (header === null) throw new CodedError('metadata-not-csv', `${file} is empty: no CSV header`, file)
  const suspect = columns.flatMap((c, k) => kinds[k].suspect(file, c) ?? [])
  return {
    rows,
    matched,
    unmatched: rows - matched,
    columns,
    ...(renamed.length > 0 ? { renamed } : {}),
    ...(suspect.length > 0 ? { suspect } : {}),
  }
}

/**
 * Passes the bytes on unchanged, failing with `metadata-not-csv` at the first NUL byte or invalid
 * UTF-8 anywhere in the file (checkText only looks at the first 64 KiB, before anything is read).
 */
function textCheck(file: string): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const fail = (what: string) => new CodedError('metadata-not-csv', `${file} ${what}, not a CSV file`, file)
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (chunk.includes(0)) return done(fail('holds binary data (a NUL byte)'))
      try {
        decoder.decode(chunk, { stream: true })
      } catch {
        return done(fail('is not UTF-8 text'))
      }
      done(null, chunk)
    },
    flush(done: TransformCallback) {
      try {
        decoder.decode()
      } catch {
        return done(fail('is not UTF-8 text (it ends inside a character)'))
      }
      done()
    },
  })
}

/** Refuses binary files (a NUL byte or invalid UTF-8 in the first 64 KiB) before parsing. */
async function checkText(file: string): Promise<void> {
  let handle: FileHandle
  try {
    handle = await fsp.open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CodedError('not-found', `${file} does not exist`, file)
    throw fsError(err, file, 'read')
  }
  try {
    const buf = Buffer.alloc(65536)
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0)
    const head = buf.subarray(0, bytesRead)
    if (head.includes(0)) throw new CodedError('metadata-not-csv', `${file} is binary, not a CSV file`, file)
    // A multi-byte character may be cut at the end of the window: check up to its last line break.
    const lastBreak = head.lastIndexOf(0x0a)
    const whole = bytesRead < buf.length || lastBreak < 0 ? head : head.subarray(0, lastBreak)
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(whole)
    } catch {
      throw new CodedError('metadata-not-csv', `${file} is not UTF-8 text, not a CSV file`, file)
    }
  } finally {
    await handle.close()
  }
}
