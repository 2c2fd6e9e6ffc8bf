import { parseArgs } from 'node:util'
import { isPairStatus, PAIR_STATUSES, type PairStatus } from '../../../shared/workspace/review'
import { Workspace } from '../../services/workspace/workspace'
import { readIdList, UsageError } from '../util'
import { checkWhere, parseWhere } from '../where'

function parseFraction(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const f = Number(value)
  if (value.trim() === '' || !Number.isFinite(f) || f < 0 || f > 1)
    throw new UsageError(`${name} takes a fraction from 0 to 1`)
  return f
}

/**
 * `wsm-curator review <workspace> --set <status> (--ids <id,id,…|@file> | --uncertain-max <f>)
 *   [--uncertain-min <f>] [--score-min <f>] [--where <column=value,…>]… [--from <status,…|any>] [--note TEXT] [--curator NAME] [--dry-run]`
 *
 * One transaction: every pair changes, or none. With a fraction filter, only pairs whose current
 * status is in --from (default: unreviewed) are selected, so earlier decisions are never overridden
 * by a bulk rule, and pairs whose source mask has a scan problem (wrong size, challenge convention…)
 * and no corrected mask are left out, said on stderr; --ids names pairs explicitly and applies
 * whatever their status.
 */
export async function reviewCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      set: { type: 'string' },
      ids: { type: 'string' },
      'uncertain-max': { type: 'string' },
      'uncertain-min': { type: 'string' },
      'score-min': { type: 'string' },
      from: { type: 'string' },
      note: { type: 'string' },
      curator: { type: 'string' },
      'dry-run': { type: 'boolean' },
      where: { type: 'string', multiple: true },
    },
  })
  if (positionals.length !== 1) throw new UsageError('review takes one workspace folder')
  const status = values.set
  if (status === undefined) throw new UsageError('review needs --set <status>')
  if (!isPairStatus(status)) throw new UsageError(`--set takes one of ${PAIR_STATUSES.join(', ')}`)
  const max = parseFraction('--uncertain-max', values['uncertain-max'])
  const min = parseFraction('--uncertain-min', values['uncertain-min'])
  // --score-min: the triage score (pairs not yet scored are not selected; run wsm-curator triage).
  const scoreMin = parseFraction('--score-min', values['score-min'])
  const byFraction = max !== undefined || min !== undefined || scoreMin !== undefined
  const where = parseWhere(values.where)
  const byFilter = byFraction || where !== undefined
  if ((values.ids !== undefined) === byFilter)
    throw new UsageError('review needs either --ids or --uncertain-max/--uncertain-min/--score-min/--where')
  let from: PairStatus[] | undefined
  if (values.from !== undefined) {
    if (!byFilter)
      throw new UsageError('--from applies to --uncertain-max/--uncertain-min/--where selections')
    if (values.from !== 'any') {
      from = values.from.split(',').map((s) => s.trim()) as PairStatus[]
      const bad = from.find((s) => !isPairStatus(s))
      if (bad !== undefined) throw new UsageError(`--from: unknown status ${JSON.stringify(bad)}`)
    }
  } else if (byFilter) from = ['unreviewed']

  const ids = values.ids !== undefined ? await readIdList(values.ids) : undefined
  if (ids !== undefined && ids.length === 0) throw new UsageError('--ids names no pair')
  const dryRun = values['dry-run'] === true
  // A dry run writes nothing: a workspace another program holds (serve, the app) is read as it is.
  const workspace = await Workspace.open(positionals[0], {
    curator: values.curator,
    ...(dryRun ? { ifLocked: 'read-only' as const } : {}),
  })
  try {
    if (dryRun && workspace.readOnlyReason === 'locked') {
      process.stderr.write(
        'note: the workspace is open in another program; listing what its state would select\n',
      )
    }
    checkWhere(workspace, where)
    const rule = { status: from, uncertainMin: min, uncertainMax: max, scoreMin, metadata: where }
    const selected = ids ?? workspace.listIds({ ...rule, withoutProblem: true })
    const problems = ids === undefined ? workspace.listIds(rule).length - selected.length : 0
    if (problems > 0) {
      process.stderr.write(
        `note: ${problems} pairs whose mask has a problem were left out (see wsm-curator scan; name them with --ids to decide them)\n`,
      )
    }
    if (byFraction) {
      const { unscanned } = workspace.stats()
      if (unscanned > 0) {
        process.stderr.write(
          `note: ${unscanned} pairs have no statistics yet and were not considered (run wsm-curator stats first)\n`,
        )
      }
      const unscored = scoreMin === undefined ? 0 : workspace.triageUnscoredCount()
      if (unscored > 0) {
        process.stderr.write(
          `note: ${unscored} pairs have no triage score yet and were not considered (run wsm-curator triage first)\n`,
        )
      }
    }
    if (dryRun) {
      process.stdout.write(`would set ${selected.length} pairs to ${status}\n`)
      for (const id of selected) process.stdout.write(`${id}\n`)
      return 0
    }
    const { changed, unchanged } = await workspace.setStatuses(selected, status, { note: values.note })
    process.stdout.write(
      `set ${changed} pairs to ${status}` +
        (unchanged ? ` (${unchanged} already were)` : '') +
        ` as ${workspace.curator}\n`,
    )
  } finally {
    await workspace.close()
  }
  return 0
}
