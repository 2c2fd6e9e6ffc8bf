import { promises as fsp } from 'node:fs'
import { parseArgs } from 'node:util'
import { CodedError } from '../../../shared/api/errors'
import { PAIR_STATUSES, type PairStatus } from '../../../shared/workspace/review'
import { resolvePairs, type ResolveReport } from '../../services/assist/batchResolve'
import { Workspace } from '../../services/workspace/workspace'
import { progressBar, readIdList, UsageError } from '../util'

/**
 * `wsm-curator resolve <workspace> (--ids <id,…|@file> | --all) [--dry-run] [--truth <dir>] [--json]
 *   [--note TEXT] [--curator NAME]`
 *
 * Proposes labels for the uncertain pixels of each selected pair (the editor's assisted resolution,
 * run on the pair's image) and saves the result through the workspace's checked atomic save: the
 * pair becomes `corrected`, audited with its pixel transitions. Certain pixels never change.
 *
 * Selection: `--ids` names pairs explicitly, whatever their status; every id must be a pair of the
 * workspace, else nothing is done (exit 2). `--all` takes every pair except those `accepted` or
 * `rejected` — a curator's decision about the mask as it is, which a bulk run does not override.
 *
 * The run itself is services/assist/batchResolve.ts (scoring: truthScore.ts); this file parses the
 * arguments and prints the report.
 */

/** Statuses `--all` leaves alone. */
const DECIDED: readonly PairStatus[] = ['accepted', 'rejected']
const ID_PATTERN = /^ISIC_\d{7}$/

// ---- output ------------------------------------------------------------------------------------------

const pct = (f: number | undefined) => (f === undefined ? '–' : `${(100 * f).toFixed(2)}%`)

function formatTable(report: ResolveReport): string {
  const { pairs, summary } = report
  const withTruth = summary.truth !== null
  const lines: string[] = []
  const head = [
    'id'.padEnd(13),
    'result'.padEnd(9),
    'uncertain'.padStart(10),
    '→lesion'.padStart(10),
    '→backgr.'.padStart(10),
    'ms'.padStart(7),
  ]
  if (withTruth) head.push('accuracy'.padStart(9), 'baseline'.padStart(9), 'dice'.padStart(7))
  lines.push(head.join(' '))
  for (const p of pairs) {
    const row = [p.id.padEnd(13), p.status.padEnd(9), String(p.uncertain).padStart(10)]
    if (p.status === 'failed') {
      row.push(`  [${p.error?.code}] ${p.error?.message}${p.error?.file ? ` (${p.error.file})` : ''}`)
    } else if (p.status === 'skipped') {
      row.push(''.padStart(10), ''.padStart(10), String(p.ms).padStart(7), '  no uncertain pixel')
    } else {
      row.push(String(p.toLesion).padStart(10), String(p.toBackground).padStart(10), String(p.ms).padStart(7))
      if (withTruth) {
        if (p.truth === 'missing') row.push('  no truth file')
        else {
          row.push(pct(p.accuracy).padStart(9), pct(p.baselineAccuracy).padStart(9))
          row.push((p.dice === undefined ? '–' : p.dice.toFixed(4)).padStart(7))
          if (p.truth === '0/255') row.push(' (truth 0/255)')
        }
      }
    }
    lines.push(row.join(' '))
  }
  const s = summary
  lines.push('')
  lines.push(
    `${s.selected} pairs: ${s.resolved} ${s.dryRun ? 'would be resolved' : 'resolved (now corrected)'}, ` +
      `${s.skipped} skipped (no uncertain pixel), ${s.failed} failed` +
      (s.notRun ? `, ${s.notRun} not run${s.interrupted ? ' (interrupted)' : ''}` : '') +
      (s.dryRun ? ' — dry run, nothing written' : ''),
  )
  if (s.excludedDecided) {
    lines.push(
      `${s.excludedDecided} accepted or rejected pairs left alone (name them with --ids to resolve them)`,
    )
  }
  lines.push(
    `uncertain pixels: ${s.uncertain} → ${s.toLesion} lesion, ${s.toBackground} background` +
      (s.msPerResolvedPair !== null ? `; ${s.msPerResolvedPair} ms per resolved pair` : '') +
      ` (total ${(s.ms / 1000).toFixed(1)} s)`,
  )
  const t = s.truth
  if (t) {
    if (t.scored === 0) lines.push(`truth ${t.dir}: no resolved pair has a truth file`)
    else {
      lines.push(
        `truth ${t.dir}: ${t.scored} pairs scored` +
          (t.missing ? `, ${t.missing} without a truth file` : '') +
          (t.challengeConvention
            ? `, ${t.challengeConvention} in the 0/255 challenge convention (255 read as lesion)`
            : ''),
        `  accuracy on the uncertain pixels: ${pct(t.accuracy)} pooled, mean ${pct(t.meanAccuracy)}, min ${pct(t.minAccuracy)}`,
        `  nearest-label baseline:           ${pct(t.baselineAccuracy)} pooled, mean ${pct(t.baselineMeanAccuracy)}`,
        `  Dice of the whole mask:           mean ${t.meanDice.toFixed(4)}, min ${t.minDice.toFixed(4)} (baseline mean ${t.baselineMeanDice.toFixed(4)})`,
      )
    }
  }
  return lines.join('\n') + '\n'
}

// ---- the command ---------------------------------------------------------------------------------------

export async function resolveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ids: { type: 'string' },
      all: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      truth: { type: 'string' },
      json: { type: 'boolean' },
      note: { type: 'string' },
      curator: { type: 'string' },
    },
  })
  if (positionals.length !== 1) throw new UsageError('resolve takes one workspace folder')
  if ((values.ids !== undefined) === (values.all === true))
    throw new UsageError('resolve needs either --ids or --all')
  let ids: string[] | undefined
  if (values.ids !== undefined) {
    ids = [...new Set(await readIdList(values.ids))]
    if (ids.length === 0) throw new UsageError('--ids names no pair')
    const bad = ids.filter((id) => !ID_PATTERN.test(id))
    if (bad.length > 0) {
      throw new UsageError(
        `--ids: not ISIC ids (ISIC_ and 7 digits): ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? '…' : ''}`,
      )
    }
  }
  if (values.truth !== undefined) {
    const stat = await fsp.stat(values.truth).catch(() => null)
    if (!stat?.isDirectory()) throw new UsageError(`--truth: ${values.truth} is not a folder`)
  }
  const dryRun = values['dry-run'] === true
  // A dry run writes nothing: opened read-only (no lock, no recovery), it also works beside the app.
  const workspace = await Workspace.open(positionals[0], { readOnly: dryRun, curator: values.curator })
  try {
    if (!dryRun && workspace.readOnly) {
      throw new CodedError(
        'read-only',
        `the workspace ${workspace.dir} is read-only (its folder is not writable): resolve saves masks (--dry-run only reads)`,
        workspace.dir,
      )
    }
    let excludedDecided = 0
    if (ids) {
      const unknown = ids.filter((id) => {
        try {
          workspace.dataset.find(id)
          return false
        } catch {
          return true
        }
      })
      if (unknown.length > 0) {
        throw new UsageError(
          `--ids: ${unknown.length} id(s) are not pairs of this workspace (nothing was done): ` +
            `${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? '…' : ''}`,
        )
      }
    } else {
      ids = workspace.listIds({ status: PAIR_STATUSES.filter((s) => !DECIDED.includes(s)) })
      excludedDecided = workspace.listIds({ status: [...DECIDED] }).length
    }

    const controller = new AbortController()
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    const bar = progressBar(dryRun ? 'resolving (dry run)' : 'resolving', ids.length)
    let report: ResolveReport
    try {
      report = await resolvePairs(workspace, ids, {
        dryRun,
        truthDir: values.truth,
        note: values.note,
        signal: controller.signal,
        onProgress: (done) => bar.tick(done),
      })
    } finally {
      process.removeListener('SIGINT', stop)
      bar.done()
    }
    report.summary.excludedDecided = excludedDecided
    if (values.json) process.stdout.write(JSON.stringify(report) + '\n')
    else process.stdout.write(formatTable(report))
    const s = report.summary
    if (s.truth && s.truth.challengeConvention > 0 && values.json) {
      process.stderr.write(
        `note: ${s.truth.challengeConvention} truth masks hold 0/255 (the ISIC challenge convention): 255 was read as lesion\n`,
      )
    }
    if (s.interrupted) return 130
    return s.failed > 0 || s.notRun > 0 ? 1 : 0
  } finally {
    await workspace.close()
  }
}
