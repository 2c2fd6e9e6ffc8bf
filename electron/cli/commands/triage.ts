import { parseArgs } from 'node:util'
import { TRIAGE_REASON_CODES } from '../../../shared/workspace/triage'
import { triageReport, type TriageReport } from '../../services/triage/triageReport'
import { Workspace } from '../../services/workspace/workspace'
import { progressBar, UsageError } from '../util'

/**
 * `wsm-curator triage <workspace> [--json] [--top N] [--reason CODE]`
 *
 * Pairs sorted by their triage score (suspicion that the mask is wrong), highest first, with the
 * reasons. Runs the missing part first when the workspace is writable — the statistics scan, then
 * the triage pass on all cores, each with a progress bar on a terminal; Ctrl-C stops and keeps what
 * is done. A workspace open elsewhere is read as it is.
 *
 * `--json` prints `{"pairs":[{"id","score","reasons":[{"code","score"}]}],"elapsedMs"}`.
 */
export async function triageCommand(args: string[]): Promise<number> {
  const started = performance.now()
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, top: { type: 'string' }, reason: { type: 'string' } },
  })
  if (positionals.length !== 1) throw new UsageError('triage takes one workspace folder')
  let top: number | undefined
  if (values.top !== undefined) {
    top = Number(values.top)
    if (!Number.isInteger(top) || top < 0) throw new UsageError('--top must be an integer ≥ 0')
  }
  if (values.reason !== undefined && !(TRIAGE_REASON_CODES as readonly string[]).includes(values.reason)) {
    throw new UsageError(`unknown --reason ${values.reason} (reasons: ${TRIAGE_REASON_CODES.join(', ')})`)
  }
  const workspace = await Workspace.open(positionals[0], { ifLocked: 'read-only' })
  let report: TriageReport
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  let bar: ReturnType<typeof progressBar> | undefined
  let label = ''
  const progress = (what: string, done: number, total: number) => {
    if (total === 0) return
    if (label !== what) {
      bar?.done()
      bar = progressBar(what, total)
      label = what
    }
    bar?.tick(done)
  }
  try {
    if (workspace.readOnlyReason === 'locked' && !values.json) {
      process.stderr.write('note: the workspace is open in another program; listing the scores it has\n')
    }
    report = await triageReport(workspace, {
      top,
      reason: values.reason,
      signal: controller.signal,
      onStatsProgress: (p) => progress('scanning masks', p.done, p.toScan),
      onTriageProgress: (p) => progress('scoring pairs', p.done, p.toScore),
    })
    bar?.done()
  } finally {
    process.removeListener('SIGINT', stop)
    await workspace.close()
  }
  const elapsedMs = Math.round(performance.now() - started)
  if (values.json) {
    const pairs = report.pairs.map((p) => ({
      id: p.id,
      score: round(p.score),
      reasons: p.reasons.map((r) => ({ code: r.code, score: round(r.score) })),
    }))
    process.stdout.write(JSON.stringify({ pairs, elapsedMs }) + '\n')
    return 0
  }
  const lines = ['score  id            reasons']
  for (const p of report.pairs) {
    const reasons = p.reasons.map((r) => `${r.code} ${r.score.toFixed(2)}`).join(', ')
    lines.push(`${p.score.toFixed(2)}   ${p.id.padEnd(12)}  ${reasons}${p.withImage ? '' : ' (mask only)'}`)
  }
  lines.push('', `${report.pairs.length} pairs listed in ${(elapsedMs / 1000).toFixed(1)} s`)
  if (report.unscored > 0) lines.push(`${report.unscored} pairs with statistics have no score yet`)
  if (report.aborted) lines.push('(interrupted: run triage again to continue)')
  process.stdout.write(lines.join('\n') + '\n')
  return 0
}

/** Four decimals: enough to sort and compare, and stable JSON. */
function round(v: number): number {
  return Math.round(v * 1e4) / 1e4
}
