import { parseArgs } from 'node:util'
import { unscoredLine } from '../../../shared/api/team'
import { redactUrl, withClient } from '../../services/team/connection'
import { assignPairs } from '../../services/team/claims'
import { initTeam, joinTeam, teamIdentity } from '../../services/team/membership'
import { teamStatus, type TeamStatus } from '../../services/team/status'
import { syncTeam } from '../../services/team/sync'
import { readIdList, UsageError } from '../util'
import { TEAM_LEAD_USAGE, teamAdjudicateCommand, teamExportCommand } from './teamLead'

export const TEAM_USAGE = `  wsm-curator team init <workspace> --db <postgres-url> [--batch N] [--double-review F]
      Publish this workspace's pairs as a team on a PostgreSQL database (you become its lead).
  wsm-curator team join <workspace> --db <postgres-url> --curator NAME
      Join a team with a workspace made with init on the same sources.
  wsm-curator team sync <workspace> [--json]
      Push decisions and corrected masks, pull assignments (claims a batch when fewer than half a batch are pending).
  wsm-curator team status --db <postgres-url> [--workspace <workspace>] [--json]
      Progress per curator, agreement of the double reviews, adjudication queue. The agreement shown
      follows the blind rule: all of it with the lead's workspace, the pairs you did not review with
      a curator's, none with --db alone.
  wsm-curator team assign <lead workspace> --to NAME --ids <id,…|@file> [--role first|second]
      (lead) Assign or reassign pairs (refused from any other workspace; audited under the lead's name).
${TEAM_LEAD_USAGE}
      Passwords: from the URL, PGPASSWORD or ~/.pgpass — never printed; TLS with ?sslmode=require|verify-full.`

function one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`team ${what} takes one workspace folder`)
  return positionals[0]
}

function need(value: string | undefined, flag: string, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`team ${what} needs ${flag}`)
  return value
}

function number(value: string | undefined, flag: string, check: (n: number) => boolean): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new UsageError(`${flag}: unusable value ${JSON.stringify(value)}`)
  return n
}

const fmt = (x: number | null, digits = 3) => (x === null ? '—' : x.toFixed(digits))

function printStatus(s: TeamStatus): void {
  const out = (line: string) => process.stdout.write(`${line}\n`)
  out(
    `pairs ${s.pairs}, decided ${s.decided}, double-reviewed ${s.doubleReviewed}, adjudication pending ${s.adjudicationPending}`,
  )
  const unscored = unscoredLine(s.unscored)
  if (unscored) out(unscored)
  const a = s.agreement
  out(
    `agreement over ${a.pairs} pairs: Jaccard median ${fmt(a.jaccardMedian)} (Q1 ${fmt(a.jaccardQ1)}, Q3 ${fmt(a.jaccardQ3)}),` +
      ` under 0.65 ${a.shareBelow065 === null ? '—' : `${(a.shareBelow065 * 100).toFixed(1)} %`}, kappa ${fmt(a.kappa)}`,
  )
  out('curator               decided  second  pending  Jaccard median  kappa')
  for (const c of s.curators) {
    out(
      `${c.name.padEnd(20)} ${String(c.decided).padStart(8)} ${String(c.secondReviews).padStart(7)} ${String(c.pending).padStart(8)}` +
        ` ${fmt(c.agreement.jaccardMedian).padStart(15)} ${fmt(c.agreement.kappa).padStart(6)}`,
    )
  }
}

/** `wsm-curator team <init|join|sync|status|assign> …` — parsing and printing; the work is in services/team. */
export async function teamCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'adjudicate') return teamAdjudicateCommand(rest)
  if (sub === 'export') return teamExportCommand(rest)
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      batch: { type: 'string' },
      'double-review': { type: 'string' },
      curator: { type: 'string' },
      workspace: { type: 'string' },
      json: { type: 'boolean' },
      to: { type: 'string' },
      ids: { type: 'string' },
      role: { type: 'string' },
    },
  })
  switch (sub) {
    case 'init': {
      const dir = one(positionals, 'init')
      const db = need(values.db, '--db <postgres-url>', 'init')
      const r = await initTeam(dir, db, {
        batch: number(values.batch, '--batch', (n) => Number.isInteger(n) && n >= 1),
        doubleReview: number(values['double-review'], '--double-review', (n) => n >= 0 && n <= 1),
      })
      process.stdout.write(
        values.json
          ? `${JSON.stringify(r)}\n`
          : `published ${r.pairs} pairs as team ${r.teamId} on ${redactUrl(db)}; lead: ${r.lead}\n`,
      )
      return 0
    }
    case 'join': {
      const dir = one(positionals, 'join')
      const db = need(values.db, '--db <postgres-url>', 'join')
      const r = await joinTeam(dir, db, need(values.curator, '--curator NAME', 'join'))
      process.stdout.write(
        values.json
          ? `${JSON.stringify(r)}\n`
          : `${r.curator} joined team ${r.teamId} (${r.pairs} pairs) on ${redactUrl(db)}\n`,
      )
      return 0
    }
    case 'sync': {
      const r = await syncTeam(one(positionals, 'sync'))
      if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`)
      else {
        const second = r.assigned.filter((a) => a.role === 'second').length
        process.stdout.write(
          `pushed ${r.pushed}, pulled ${r.pulled}; assigned ${r.assigned.length} (${r.assigned.length - second} first, ${second} blind second) in ${r.elapsedMs} ms\n`,
        )
      }
      return 0
    }
    case 'status': {
      if (positionals.length > 0) throw new UsageError('team status takes --db <postgres-url>, no folder')
      const s = await teamStatus(need(values.db, '--db <postgres-url>', 'status'), {
        workspace: values.workspace,
      })
      if (values.json) {
        const { scored: _scored, ...rest } = s
        process.stdout.write(`${JSON.stringify(rest)}\n`)
      } else {
        printStatus(s)
        if (values.workspace === undefined)
          process.stdout.write(
            "agreement not shown: --db alone names nobody (the blind rule); add --workspace <the lead's workspace>\n",
          )
      }
      return 0
    }
    case 'assign': {
      // Who assigns is the lead, known by their workspace's membership (checked on the server):
      // a database URL says nothing of who runs the command.
      if (values.db !== undefined)
        throw new UsageError(
          "team assign takes the lead's workspace, not --db (the workspace's team membership says who assigns)",
        )
      const me = teamIdentity(one(positionals, 'assign'))
      const to = need(values.to, '--to NAME', 'assign')
      const role = values.role ?? 'first'
      if (role !== 'first' && role !== 'second') throw new UsageError('--role takes first or second')
      const ids = await readIdList(need(values.ids, '--ids <id,…|@file>', 'assign'))
      if (ids.length === 0) throw new UsageError('--ids names no pair')
      const n = await withClient(me.url, async (client) => assignPairs(client, me, ids, to, role))
      process.stdout.write(`assigned ${n} pairs to ${to} as ${role} reviewer\n`)
      return 0
    }
    default:
      throw new UsageError(
        `team takes init, join, sync, status, assign, adjudicate or export (got ${JSON.stringify(sub ?? '')})`,
      )
  }
}
