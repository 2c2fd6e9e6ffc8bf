import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { isPairStatus, PAIR_STATUSES, type PairStatus } from '../../../shared/workspace/review'
import { unscoredLine } from '../../../shared/api/team'
import {
  EXPORT_PROFILES,
  UNCERTAIN_POLICIES,
  type ExportProfile,
  type UncertainPolicy,
} from '../../services/export'
import { readLabelMap } from '../../services/mask/labelMap'
import { adjudicate, adjudicationQueue, type Verdict } from '../../services/team/adjudication'
import { withClient } from '../../services/team/connection'
import { requireLead, teamIdentity, type TeamIdentity } from '../../services/team/membership'
import { readTeam } from '../../services/team/serverSchema'
import { exportTeam } from '../../services/team/teamExport'
import { Workspace } from '../../services/workspace/workspace'
import { UsageError } from '../util'

export const TEAM_LEAD_USAGE = `  wsm-curator team adjudicate <lead workspace> [<id> (--take first|second | --mask <png> --set <status>)] [--json]
      (lead) Without an id: the adjudication queue. With one: the final word on that pair (once, audited).
      Refused from a curator's workspace (the blind rule), as is team export.
  wsm-curator team export <lead workspace> --out <dir|file.zip> [--profile wsm|isic-challenge] [--uncertain-policy P] [--json]
      (lead) Export the team's final state (adjudications, agreed and single reviews) with the usual manifests.`

/** The lead's workspace, checked on the server (`team-permission` from a curator's). */
async function leadOf(dir: string, action: string): Promise<TeamIdentity> {
  const me = teamIdentity(dir)
  await withClient(me.url, (client) => requireLead(client, me, action))
  return me
}

/** `team adjudicate …` */
export async function teamAdjudicateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      take: { type: 'string' },
      mask: { type: 'string' },
      set: { type: 'string' },
      json: { type: 'boolean' },
    },
  })
  if (positionals.length < 1 || positionals.length > 2)
    throw new UsageError('team adjudicate takes the lead workspace and an optional pair id')
  const [dir, id] = positionals
  const me = await leadOf(dir, 'adjudicates')
  if (id === undefined) {
    const queue = await withClient(me.url, async (client) => {
      await requireLead(client, me, 'sees the adjudication queue')
      return adjudicationQueue(client)
    })
    if (values.json) process.stdout.write(`${JSON.stringify(queue)}\n`)
    else {
      process.stdout.write(`${queue.length} pairs await adjudication\n`)
      for (const q of queue)
        process.stdout.write(
          `${q.pairId}  ${q.firstCurator}: ${q.firstStatus}  ${q.secondCurator}: ${q.secondStatus}  Jaccard ${q.jaccard.toFixed(3)}\n`,
        )
    }
    return 0
  }
  let verdict: Verdict
  if (values.take === 'first' || values.take === 'second') {
    if (values.mask !== undefined) throw new UsageError('--take and --mask exclude each other')
    verdict = { take: values.take }
  } else if (values.take !== undefined) throw new UsageError('--take takes first or second')
  else {
    if (values.mask === undefined || values.set === undefined)
      throw new UsageError('team adjudicate <id> needs --take, or --mask <png> --set <status>')
    if (!isPairStatus(values.set)) throw new UsageError(`--set takes one of ${PAIR_STATUSES.join(', ')}`)
    const map = readLabelMap(await readFile(values.mask), values.mask).map
    verdict = { take: 'merge', status: values.set as PairStatus, map }
  }
  const ws = await Workspace.open(dir, { readOnly: true })
  try {
    const r = await withClient(me.url, async (client) =>
      adjudicate(client, ws, await readTeam(client), me.curator, id, verdict),
    )
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ id, ...r })}\n`
        : `${id}: ${r.status} (took ${verdict.take}), final\n`,
    )
  } finally {
    await ws.close()
  }
  return 0
}

/** `team export …` */
export async function teamExportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      profile: { type: 'string' },
      'uncertain-policy': { type: 'string' },
      json: { type: 'boolean' },
    },
  })
  if (positionals.length !== 1) throw new UsageError('team export takes the lead workspace')
  if (!values.out) throw new UsageError('team export needs --out <dir|file.zip>')
  if (values.profile !== undefined && !(EXPORT_PROFILES as readonly string[]).includes(values.profile))
    throw new UsageError(`--profile takes ${EXPORT_PROFILES.join(' or ')}`)
  const policy = values['uncertain-policy']
  if (
    policy !== undefined &&
    (values.profile !== 'isic-challenge' || !(UNCERTAIN_POLICIES as readonly string[]).includes(policy))
  )
    throw new UsageError(
      `--uncertain-policy takes ${UNCERTAIN_POLICIES.join(', ')} with --profile isic-challenge`,
    )
  await leadOf(positionals[0], "exports the team's state")
  const s = await exportTeam(positionals[0], {
    out: values.out,
    profile: values.profile as ExportProfile | undefined,
    uncertainPolicy: policy as UncertainPolicy | undefined,
  })
  if (values.json)
    process.stdout.write(
      `${JSON.stringify({ out: s.out, exported: s.exported, excluded: s.excluded.length, awaitingAdjudication: s.awaitingAdjudication, unscored: s.unscored })}\n`,
    )
  else
    process.stdout.write(
      `exported ${s.exported} pairs to ${s.out}` +
        (s.awaitingAdjudication.length
          ? `; ${s.awaitingAdjudication.length} await adjudication and were left out`
          : '') +
        (s.unscored.length ? `; ${unscoredLine(s.unscored, { leftOut: true })}` : '') +
        '\n',
    )
  return 0
}
