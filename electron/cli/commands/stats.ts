import { parseArgs } from 'node:util'
import { PAIR_STATUSES } from '../../../shared/workspace/review'
import { Workspace, type MetadataGroup, type StatsScanResult } from '../../services/workspace/workspace'
import { progressBar, UsageError } from '../util'
import { checkWhere } from '../where'

/** The `--by` table: one line per value of the column. */
function groupLines(column: string, groups: readonly MetadataGroup[]): string[] {
  const lines = [`by ${column}: value, pairs, reviewed, mean uncertain fraction`]
  for (const g of groups) {
    const reviewed = g.statuses.accepted + g.statuses.corrected + g.statuses.rejected + g.statuses.flagged
    const mean = g.uncertainMean === null ? '–' : g.uncertainMean.toFixed(3)
    lines.push(
      `  ${(g.value ?? '(none)').padEnd(24)}${String(g.pairs).padStart(7)}${String(reviewed).padStart(9)}  ${mean}`,
    )
  }
  return lines
}

/**
 * `wsm-curator stats <workspace> [--json] [--no-scan] [--by <column>]`
 *
 * Runs (or continues) the statistics scan when the workspace is writable — Ctrl-C stops it and
 * keeps what is done — then prints counts per status, scan coverage, the histogram of the uncertain
 * fraction and the uncertain pixels left. A workspace open elsewhere is read without scanning.
 */
export async function statsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, 'no-scan': { type: 'boolean' }, by: { type: 'string' } },
  })
  if (positionals.length !== 1) throw new UsageError('stats takes one workspace folder')
  const workspace = await Workspace.open(positionals[0], {
    ifLocked: 'read-only',
    readOnly: values['no-scan'] === true,
  })
  try {
    const byColumn = values.by
    if (byColumn !== undefined) checkWhere(workspace, [{ column: byColumn, values: [] }], '--by')
    let scan: StatsScanResult | undefined
    if (!workspace.readOnly) {
      const controller = new AbortController()
      const stop = () => controller.abort()
      process.once('SIGINT', stop)
      let bar: ReturnType<typeof progressBar> | undefined
      try {
        scan = await workspace.startStatsScan({
          signal: controller.signal,
          onProgress: (p) => {
            if (p.toScan === 0) return
            bar ??= progressBar('scanning masks', p.toScan)
            bar.tick(p.done)
          },
        })
      } finally {
        process.removeListener('SIGINT', stop)
        if (bar && !scan?.aborted) bar.done()
        else if (bar && process.stderr.isTTY) process.stderr.write('\n')
      }
    } else if (workspace.readOnlyReason === 'locked') {
      process.stderr.write(
        'note: the workspace is open in another program; showing its state without scanning\n',
      )
    }
    const stats = workspace.stats()
    const by =
      byColumn === undefined ? undefined : { column: byColumn, groups: workspace.metadataGroups(byColumn) }
    if (values.json) {
      process.stdout.write(
        JSON.stringify({ workspace: workspace.dir, ...stats, scan: scan ?? null, ...(by ? { by } : {}) }) +
          '\n',
      )
      return 0
    }
    const pct = (n: number) => (stats.total ? `${((100 * n) / stats.total).toFixed(1)}%` : '–')
    const lines: string[] = [`workspace ${workspace.dir}: ${stats.total} pairs`, '', 'status        pairs']
    for (const s of PAIR_STATUSES)
      lines.push(`  ${s.padEnd(12)}${String(stats.byStatus[s]).padStart(7)}  ${pct(stats.byStatus[s])}`)
    lines.push(`reviewed ${stats.reviewed} of ${stats.total} (${pct(stats.reviewed)})`, '')
    lines.push(
      `statistics: ${stats.scanned} pairs scanned` +
        (stats.scanFailed ? `, ${stats.scanFailed} unreadable` : '') +
        (stats.scanProblems
          ? `, ${stats.scanProblems} with a problem (${Object.entries(stats.scanProblemCodes)
              .map(([code, n]) => `${code} ${n}`)
              .join(', ')}; see wsm-curator scan)`
          : '') +
        (stats.unscanned ? `, ${stats.unscanned} not yet scanned` : ''),
    )
    if (scan?.aborted) lines.push('  (scan interrupted: run stats again to continue)')
    lines.push('', 'uncertain fraction   pairs')
    const peak = Math.max(1, ...stats.uncertainHistogram)
    stats.uncertainHistogram.forEach((n, k) => {
      const range = `[${(k / 10).toFixed(1)}, ${((k + 1) / 10).toFixed(1)}${k === 9 ? ']' : ')'}`
      lines.push(`  ${range.padEnd(12)}${String(n).padStart(12)}  ${'#'.repeat(Math.round((30 * n) / peak))}`)
    })
    lines.push(`  (${stats.noUncertain} pairs have no uncertain pixel)`, '')
    lines.push(
      `uncertain pixels left: ${stats.uncertainPixels} (${stats.uncertainPixelsUndecided} in pairs not yet decided)`,
    )
    if (by) lines.push('', ...groupLines(by.column, by.groups))
    process.stdout.write(lines.join('\n') + '\n')
  } finally {
    await workspace.close()
  }
  return 0
}
