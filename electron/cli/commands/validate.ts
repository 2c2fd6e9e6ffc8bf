import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { toApiError, type ErrorCode } from '../../../shared/api/errors'
import { MASK_NAME } from '../../services/dataset'
import { scanItems, type ScanItem } from '../../services/scan/maskScan'
import { openFileSource, type FileSource } from '../../services/sources/fileSource'
import { EXIT_OK, EXIT_PROBLEM, UsageError, progressBar } from '../util'
import type { ScanProblem } from './scan'

/** The JSON `validate --json` prints (documented in README.md, "Command line"). */
export interface ValidateReport {
  /** Mask files checked. */
  masks: number
  valid: number
  /** Every problem, in argument order then by file. `id` is the ISIC id, or the file name without one. */
  problems: ScanProblem[]
  problemCounts: Partial<Record<ErrorCode, number>>
  elapsedMs: number
}

/** `wsm-curator validate <png|zip|dir>… [--json] [--workers N]`: checks masks alone. */
export async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, workers: { type: 'string' } },
  })
  if (positionals.length === 0) throw new UsageError('validate needs at least one PNG file, zip or folder')
  const workers = values.workers === undefined ? undefined : Number(values.workers)
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 0 || workers > 256))
    throw new UsageError('--workers takes 0–256 (0 checks on the main thread)')
  for (const p of positionals) {
    try {
      await fsp.stat(p)
    } catch {
      throw new UsageError(`${p}: no such file or folder`)
    }
  }
  const report = await runValidate(positionals, { workers, progress: true })
  if (values.json) process.stdout.write(JSON.stringify(report) + '\n')
  else {
    const lines = [
      `${report.masks.toLocaleString('en')} masks checked, ${report.valid.toLocaleString('en')} valid`,
    ]
    for (const p of report.problems) lines.push(`[${p.code}] ${p.message}`)
    process.stdout.write(lines.join('\n') + '\n')
  }
  return report.problems.length > 0 ? EXIT_PROBLEM : EXIT_OK
}

/**
 * Validates mask files: a `.png` file, or every `.png` in a zip or folder (any name, any depth). Each
 * must decode exactly (grey or palette, 8 bits or fewer), hold only 0, 1, 255, and not be in the
 * challenge convention. A zip that cannot be opened is one problem; the other arguments still run.
 */
export async function runValidate(
  paths: string[],
  opts: { workers?: number; progress?: boolean } = {},
): Promise<ValidateReport> {
  const started = performance.now()
  const problems: ScanProblem[] = []
  const sources: FileSource[] = []
  const items: ScanItem[] = []
  try {
    for (const p of paths) {
      const abs = path.resolve(p)
      const isDir = (await fsp.stat(abs)).isDirectory()
      if (!isDir && /\.png$/i.test(abs)) {
        items.push({ index: items.length, id: idOf(abs), mask: { kind: 'folder', path: abs }, maskFile: abs })
        continue
      }
      let source: FileSource
      try {
        source = await openFileSource(abs)
      } catch (err) {
        const e = toApiError(err)
        problems.push({ id: null, file: e.file ?? abs, code: e.code, message: e.message })
        continue
      }
      sources.push(source)
      const before = items.length
      source.names.forEach((name, i) => {
        if (/\.png$/i.test(name)) {
          items.push({
            index: items.length,
            id: idOf(name),
            mask: source.locateAt(i),
            maskFile: source.describe(name),
          })
        }
      })
      if (items.length === before) {
        problems.push({ id: null, file: abs, code: 'not-found', message: `${abs}: holds no .png files` })
      }
    }
    const bar = opts.progress ? progressBar('validating masks', items.length) : undefined
    const found: ScanProblem[] = []
    let valid = 0
    await scanItems(items, items.length, {
      workers: opts.workers,
      onResult: (r) => {
        if (r.code === null) valid++
        else found.push({ id: r.id, file: r.file, code: r.code, message: r.message ?? '' })
      },
      onProgress: (done) => bar?.tick(done),
    })
    bar?.done()
    const order = new Map(items.map((it, i) => [it.maskFile, i]))
    found.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0))
    problems.push(...found)
    const problemCounts: Partial<Record<ErrorCode, number>> = {}
    for (const p of problems) problemCounts[p.code] = (problemCounts[p.code] ?? 0) + 1
    return {
      masks: items.length,
      valid,
      problems,
      problemCounts,
      elapsedMs: Math.round(performance.now() - started),
    }
  } finally {
    await Promise.allSettled(sources.map((s) => s.close()))
  }
}

function idOf(name: string): string {
  const m = MASK_NAME.exec(name)
  return m ? m[1] : path.basename(name).replace(/\.png$/i, '')
}
