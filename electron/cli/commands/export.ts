import { parseArgs } from 'node:util'
import { isPairStatus, PAIR_STATUSES, type PairStatus } from '../../../shared/workspace/review'
import {
  EXPORT_PROFILES,
  UNCERTAIN_POLICIES,
  runExport,
  type ExportProfile,
  type ExportSelection,
  type UncertainPolicy,
} from '../../services/export'
import { Workspace } from '../../services/workspace/workspace'
import { progressBar, readIdList, UsageError } from '../util'
import { checkWhere, parseWhere } from '../where'

function parseInteger(name: string, value: string, min: number, max: number): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`${name} takes an integer from ${min} to ${max}`)
  return n
}

/**
 * `wsm-curator export <workspace> --out <dir|file.zip> [--status <s,…|any>] [--uncertain-max F] [--score-max F]
 *   [--ids <id,…|@file>] [--where <column=value,…>]… [--sample N [--seed S]] [--profile wsm|isic-challenge]
 *   [--uncertain-policy refuse|lesion|background] [--json]`
 *
 * Writes images/, masks/, manifest.csv, manifest.json and export.json into a new folder or zip
 * (never over an existing path), under a temporary name renamed at the end. Ctrl-C cancels and
 * removes what was written. The default status filter is accepted,corrected; without --seed a
 * sample's seed is drawn at random, printed and recorded in export.json.
 */
export async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      status: { type: 'string' },
      'uncertain-max': { type: 'string' },
      'score-max': { type: 'string' },
      ids: { type: 'string' },
      sample: { type: 'string' },
      seed: { type: 'string' },
      profile: { type: 'string' },
      'uncertain-policy': { type: 'string' },
      json: { type: 'boolean' },
      where: { type: 'string', multiple: true },
    },
  })
  if (positionals.length !== 1) throw new UsageError('export takes one workspace folder')
  if (values.out === undefined || values.out.trim() === '')
    throw new UsageError('export needs --out <dir|file.zip>')
  const selection: ExportSelection = {}
  if (values.status !== undefined) {
    if (values.status.trim() === 'any') selection.status = 'any'
    else {
      const list = values.status.split(',').map((s) => s.trim())
      const bad = list.find((s) => !isPairStatus(s))
      if (bad !== undefined)
        throw new UsageError(
          `--status: unknown status ${JSON.stringify(bad)} (${PAIR_STATUSES.join(', ')}, or any)`,
        )
      selection.status = list as PairStatus[]
    }
  }
  if (values['uncertain-max'] !== undefined) {
    const v = values['uncertain-max']
    const f = Number(v)
    if (v.trim() === '' || !Number.isFinite(f) || f < 0 || f > 1)
      throw new UsageError('--uncertain-max takes a fraction from 0 to 1')
    selection.uncertainMax = f
  }
  if (values['score-max'] !== undefined) {
    // The triage score (wsm-curator triage): pairs without one are left out and listed.
    const v = values['score-max']
    const f = Number(v)
    if (v.trim() === '' || !Number.isFinite(f) || f < 0 || f > 1)
      throw new UsageError('--score-max takes a number from 0 to 1')
    selection.scoreMax = f
  }
  if (values.ids !== undefined) {
    selection.ids = await readIdList(values.ids)
    if (selection.ids.length === 0) throw new UsageError('--ids names no pair')
  }
  const where = parseWhere(values.where)
  if (where !== undefined) selection.where = where
  if (values.seed !== undefined && values.sample === undefined)
    throw new UsageError('--seed goes with --sample N')
  let seedDrawn = false
  if (values.sample !== undefined) {
    const count = parseInteger('--sample', values.sample, 1, Number.MAX_SAFE_INTEGER)
    let seed: number
    if (values.seed !== undefined) seed = parseInteger('--seed', values.seed, 0, 0xffffffff)
    else {
      seed = Math.floor(Math.random() * 0x100000000)
      seedDrawn = true
    }
    selection.sample = { count, seed }
  }
  if (values.profile !== undefined) {
    if (!(EXPORT_PROFILES as readonly string[]).includes(values.profile))
      throw new UsageError(`--profile takes ${EXPORT_PROFILES.join(' or ')}`)
    selection.profile = values.profile as ExportProfile
  }
  if (values['uncertain-policy'] !== undefined) {
    if (selection.profile !== 'isic-challenge')
      throw new UsageError('--uncertain-policy applies to --profile isic-challenge only')
    if (!(UNCERTAIN_POLICIES as readonly string[]).includes(values['uncertain-policy']))
      throw new UsageError(`--uncertain-policy takes ${UNCERTAIN_POLICIES.join(', ')}`)
    selection.uncertainPolicy = values['uncertain-policy'] as UncertainPolicy
  }
  if (seedDrawn && !values.json)
    process.stderr.write(`note: sampling with seed ${selection.sample?.seed} (pass --seed to choose it)\n`)

  const workspace = await Workspace.open(positionals[0], { ifLocked: 'read-only' })
  try {
    checkWhere(workspace, where)
  } catch (err) {
    await workspace.close()
    throw err
  }
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  let bar: ReturnType<typeof progressBar> | undefined
  try {
    const summary = await runExport(
      workspace,
      { ...selection, out: values.out },
      {
        signal: controller.signal,
        onProgress: (p) => {
          bar ??= progressBar('exporting', p.total)
          bar.tick(p.done)
        },
      },
    )
    bar?.done()
    if (values.json) {
      const { record, ...rest } = summary
      process.stdout.write(
        JSON.stringify({ ...rest, selection: record.selection, createdAt: record.createdAt }) + '\n',
      )
      return 0
    }
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`
    const lines = [
      `exported ${summary.exported} pairs to ${summary.out} (${summary.container}, profile ${summary.profile}` +
        (summary.uncertainPolicy ? `, uncertain pixels: ${summary.uncertainPolicy}` : '') +
        `): ${mb(summary.bytes)} in ${(summary.elapsedMs / 1000).toFixed(1)} s`,
      `  masks: ${summary.masks.copied} copied unchanged, ${summary.masks.reencoded} re-encoded as 8-bit grey, ` +
        `${summary.masks.converted} converted to isic-challenge values` +
        (summary.uncertainAssigned
          ? ` (${summary.uncertainAssigned} uncertain pixels → ${summary.uncertainPolicy})`
          : ''),
    ]
    if (summary.record.selection.sample)
      lines.push(
        `  sample of ${summary.record.selection.sample.count} with seed ${summary.record.selection.sample.seed}`,
      )
    if (summary.excluded.length > 0) {
      lines.push(`left out ${summary.excluded.length} pairs (all listed in export.json):`)
      const shown = summary.excluded.slice(0, 20)
      for (const e of shown) lines.push(`  ${e.id}  ${e.reason}${e.detail ? ` (${e.detail})` : ''}`)
      if (summary.excluded.length > shown.length)
        lines.push(`  … and ${summary.excluded.length - shown.length} more`)
    }
    for (const l of summary.leftovers)
      lines.push(`note: ${l} is left from an interrupted export; it can be deleted`)
    lines.push(`check it with: wsm-curator verify-export ${summary.out}`)
    process.stdout.write(lines.join('\n') + '\n')
    return 0
  } finally {
    process.removeListener('SIGINT', stop)
    if (bar && process.stderr.isTTY && controller.signal.aborted) process.stderr.write('\n')
    await workspace.close()
  }
}
