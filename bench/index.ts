/**
 * `npm run bench`: prints one JSON line of metrics, then a readable table. Each metric is reported
 * with the floor it is compared to, measured in the same run (timings on shared machines are noisy;
 * ratios are what to compare across runs). `npm run bench -- assist export` runs only the named
 * groups (see GROUPS); no names runs them all.
 */
import os from 'node:os'
import path from 'node:path'
import { promises as fsp } from 'node:fs'
import { benchAssist } from './assist/bench'
import { benchDashboard } from './dashboard'
import { benchDatasetScale } from './datasetScale'
import { benchEditor } from './editor'
import { benchExport } from './export'
import { benchPairOpen } from './pairOpen'
import { benchTeam } from './team'
import { benchTriage } from './triage/bench'
import { benchWorkspace } from './workspace'
import { benchLabels } from './labels'

export interface Metric {
  name: string
  value: number
  unit: string
  /** The floor measured in the same run, and value / floor. */
  floor?: number
  ratio?: number
  note?: string
}

type Log = (line: string) => void

/** The benchmark groups, in the order a full run takes them. */
const GROUPS: Record<string, (work: string, log: Log) => Metric[] | Promise<Metric[]>> = {
  labels: () => benchLabels(),
  assist: (_work, log) => benchAssist(log),
  pairOpen: (work) => benchPairOpen(work),
  datasetScale: (work, log) => benchDatasetScale(work, log),
  workspace: (work) => benchWorkspace(work),
  editor: (work, log) => benchEditor(work, log),
  export: (work, log) => benchExport(work, log),
  dashboard: (work, log) => benchDashboard(work, log),
  team: (work, log) => benchTeam(work, log),
  triage: (_work, log) => benchTriage(log),
}

/** The groups named on the command line (all when none), or an error naming the unknown ones. */
function selectGroups(args: readonly string[]): string[] {
  const unknown = args.filter((a) => !Object.hasOwn(GROUPS, a))
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark group(s) ${unknown.join(', ')}; known: ${Object.keys(GROUPS).join(', ')}`,
    )
  }
  return args.length === 0 ? Object.keys(GROUPS) : Object.keys(GROUPS).filter((g) => args.includes(g))
}

async function main(): Promise<void> {
  const groups = selectGroups(process.argv.slice(2))
  const log: Log = (line) => process.stderr.write(line + '\n')
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-bench-'))
  const metrics: Metric[] = []
  try {
    for (const group of groups) metrics.push(...(await GROUPS[group](work, log)))
  } finally {
    await fsp.rm(work, { recursive: true, force: true })
  }
  const line = {
    bench: 'wsm-curator',
    time: new Date().toISOString(),
    groups,
    cpus: os.cpus().length,
    node: process.version,
    metrics: Object.fromEntries(
      metrics.map((m) => [m.name, { value: m.value, unit: m.unit, floor: m.floor, ratio: m.ratio }]),
    ),
  }
  process.stdout.write(JSON.stringify(line) + '\n\n')
  const rows = metrics.map((m) => [
    m.name,
    `${fmt(m.value)} ${m.unit}`,
    m.floor === undefined ? '' : `${fmt(m.floor)} ${m.unit}`,
    m.ratio === undefined ? '' : `${m.ratio.toFixed(2)}×`,
    m.note ?? '',
  ])
  const head = ['metric', 'value', 'floor', 'ratio', 'note']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const print = (r: string[]) => process.stdout.write(r.map((c, i) => c.padEnd(widths[i])).join('  ') + '\n')
  print(head)
  print(widths.map((w) => '-'.repeat(w)))
  rows.forEach(print)
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`)
  process.exitCode = 1
})
