import { parseArgs } from 'node:util'
import type { ErrorCode } from '../../../shared/api/errors'
import { Dataset, type DuplicateId } from '../../services/dataset'
import { scanItems, type MaskScanResult, type ScanItem } from '../../services/scan/maskScan'
import { EXIT_OK, EXIT_PROBLEM, UsageError, progressBar } from '../util'

/** Id lists and duplicates in the JSON output are cut to this many (their counts stay exact). */
export const LIST_LIMIT = 100

/** One problem: a pair or mask (`id`), or a whole source (`id` null). */
export interface ScanProblem {
  id: string | null
  file: string
  code: ErrorCode
  message: string
}

/** The JSON `scan --json` prints (documented in README.md, "Command line"). */
export interface ScanReport {
  pairs: number
  masksWithoutImage: { count: number; ids: string[] }
  imagesWithoutMask: { count: number; ids: string[] }
  duplicates: { count: number; items: DuplicateId[] }
  /** Every problem found (not cut), sources first, then masks by id. */
  problems: ScanProblem[]
  problemCounts: Partial<Record<ErrorCode, number>>
  masks: {
    scanned: number
    valid: number
    pixels: { background: number; lesion: number; uncertain: number }
  }
  ignoredFiles: number
  sources: {
    role: 'masks' | 'images'
    path: string
    kind: 'zip' | 'folder' | null
    files: number
    error: string | null
  }[]
  elapsedMs: number
}

/** `wsm-curator scan --masks <zip|dir> --images <zip|dir> [--images …] [--json] [--workers N] [--cache-dir <dir>]` */
export async function scanCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      masks: { type: 'string' },
      images: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      workers: { type: 'string' },
      'cache-dir': { type: 'string' },
    },
  })
  if (positionals.length > 0)
    throw new UsageError(`scan takes no positional arguments (got ${positionals[0]})`)
  if (values.masks === undefined) throw new UsageError('scan needs --masks <zip|dir>')
  if (!values.images?.length) throw new UsageError('scan needs at least one --images <zip|dir>')
  const workers = values.workers === undefined ? undefined : Number(values.workers)
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 0 || workers > 256))
    throw new UsageError('--workers takes 0–256 (0 scans on the main thread)')

  const report = await runScan({
    masks: values.masks,
    images: values.images,
    workers,
    cacheDir: values['cache-dir'],
    progress: true,
  })
  if (values.json) process.stdout.write(JSON.stringify(report) + '\n')
  else process.stdout.write(formatScan(report))
  return report.problems.length > 0 ? EXIT_PROBLEM : EXIT_OK
}

/** Opens the dataset, scans every mask (paired or not) and builds the report. */
export async function runScan(opts: {
  masks: string
  images: string[]
  workers?: number
  cacheDir?: string
  progress?: boolean
}): Promise<ScanReport> {
  const started = performance.now()
  const dataset = await Dataset.open({ masks: opts.masks, images: opts.images }, { cacheDir: opts.cacheDir })
  try {
    const info = dataset.report()
    const problems: ScanProblem[] = []
    for (const s of info.sources) {
      if (s.error)
        problems.push({
          id: null,
          file: s.error.file ?? s.path,
          code: s.error.code,
          message: s.error.message,
        })
    }
    const alone = dataset.locateMasksWithoutImage()
    const total = dataset.size + alone.length
    const items = (function* (): Generator<ScanItem> {
      for (let i = 0; i < dataset.size; i++) {
        const loc = dataset.locate(i)
        yield {
          index: i,
          id: loc.id,
          mask: loc.mask,
          maskFile: loc.maskFile,
          image: loc.image,
          imageFile: loc.imageFile,
        }
      }
      for (const m of alone) yield { index: -1, ...m }
    })()
    const results: MaskScanResult[] = []
    const bar = opts.progress ? progressBar('scanning masks', total) : undefined
    await scanItems(items, total, {
      workers: opts.workers,
      onResult: (r) => results.push(r),
      onProgress: (done) => bar?.tick(done),
    })
    bar?.done()
    results.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.file < b.file ? -1 : 1))
    const pixels = { background: 0, lesion: 0, uncertain: 0 }
    let valid = 0
    for (const r of results) {
      if (r.analysis) {
        // A challenge-convention mask's 255s are its lesion (0/255), never uncertain pixels.
        const { background, lesion, uncertain } = r.analysis.counts
        const challenge = r.analysis.challengeConvention
        pixels.background += background
        pixels.lesion += challenge ? lesion + uncertain : lesion
        pixels.uncertain += challenge ? 0 : uncertain
      }
      if (r.code === null) valid++
      else problems.push({ id: r.id, file: r.file, code: r.code, message: r.message ?? '' })
    }
    const problemCounts: Partial<Record<ErrorCode, number>> = {}
    for (const p of problems) problemCounts[p.code] = (problemCounts[p.code] ?? 0) + 1
    return {
      pairs: info.pairs,
      masksWithoutImage: {
        count: info.masksWithoutImage.length,
        ids: info.masksWithoutImage.slice(0, LIST_LIMIT),
      },
      imagesWithoutMask: {
        count: info.imagesWithoutMask.length,
        ids: info.imagesWithoutMask.slice(0, LIST_LIMIT),
      },
      duplicates: { count: info.duplicates.length, items: info.duplicates.slice(0, LIST_LIMIT) },
      problems,
      problemCounts,
      masks: { scanned: results.length, valid, pixels },
      ignoredFiles: info.ignoredFiles,
      sources: info.sources.map((s) => ({
        role: s.role,
        path: s.path,
        kind: s.kind ?? null,
        files: s.files,
        error: s.error ? `[${s.error.code}] ${s.error.message}` : null,
      })),
      elapsedMs: Math.round(performance.now() - started),
    }
  } finally {
    await dataset.close()
  }
}

const SHOWN = 20

function formatScan(r: ScanReport): string {
  const n = (v: number) => v.toLocaleString('en')
  const lines: string[] = []
  for (const s of r.sources) {
    lines.push(
      `${s.role.padEnd(6)} ${s.path} (${s.error ? 'NOT USED: ' + s.error : `${s.kind}, ${n(s.files)} files`})`,
    )
  }
  lines.push(
    '',
    `pairs                 ${n(r.pairs)}`,
    `masks without image   ${n(r.masksWithoutImage.count)}${sample(r.masksWithoutImage.ids, r.masksWithoutImage.count)}`,
    `images without mask   ${n(r.imagesWithoutMask.count)}${sample(r.imagesWithoutMask.ids, r.imagesWithoutMask.count)}`,
    `duplicate ids         ${n(r.duplicates.count)}`,
  )
  for (const d of r.duplicates.items.slice(0, SHOWN)) {
    lines.push(`  ${d.id} (${d.role}): using ${d.used}; ignoring ${d.ignored.join(', ')}`)
  }
  if (r.duplicates.count > SHOWN)
    lines.push(`  … and ${n(r.duplicates.count - SHOWN)} more (--json lists ${LIST_LIMIT})`)
  if (r.ignoredFiles > 0) lines.push(`other files ignored   ${n(r.ignoredFiles)}`)
  const secs = r.elapsedMs / 1000
  lines.push(
    `masks scanned         ${n(r.masks.scanned)} (${n(r.masks.valid)} usable) in ${secs.toFixed(1)} s`,
    `problems              ${n(r.problems.length)}`,
  )
  for (const [code, count] of Object.entries(r.problemCounts)) lines.push(`  ${code.padEnd(22)}${n(count)}`)
  for (const p of r.problems.slice(0, SHOWN)) lines.push(`  [${p.code}] ${p.message}`)
  if (r.problems.length > SHOWN)
    lines.push(`  … and ${n(r.problems.length - SHOWN)} more (--json lists them all)`)
  return lines.join('\n') + '\n'
}

function sample(ids: string[], count: number): string {
  if (count === 0) return ''
  const shown = ids.slice(0, 5).join(', ')
  return count > 5 ? `  (${shown}, …)` : `  (${shown})`
}
