/**
 * Team benchmarks, on a throwaway PostgreSQL cluster on loopback (tests/support/postgres.ts):
 * - `team sync` pushing 1,000 decisions, each with a corrected 1024×768 mask (target ≤ 10 s),
 *   against the floor of the same mask bytes inserted in one transaction with one statement;
 * - a batch claim of 50 pairs (target ≤ 50 ms) on a team of 43,885 pairs, the median of 30 claims
 *   made while the claimed pairs pile up, against a bare `SELECT … LIMIT 50` of the same index;
 * - `team export` of a team of 43,885 pairs, every one decided by one curator (70 % accepted, 10 %
 *   rejected, 10 % flagged, 10 % corrected with a mask), to a zip, against the plain `export` of that
 *   curator's own workspace (the same decisions, the same sources) in the same run, once before and
 *   once after it (the mean); the manifests are compared (ids, statuses, curators, every file's
 *   SHA-256) and must agree. Wall and CPU time per phase of the team export are in the note.
 *
 * WSM_BENCH_TEAM_N sets the number of decisions (default 1000); WSM_BENCH_TEAM_EXPORT_N the pairs of
 * the export's team (default 43,885).
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import yazl from 'yazl'
import type { LabelMap } from '../shared/labels/codes'
import { encodeMaskPng } from '../electron/services/mask/maskPng'
import { runExport } from '../electron/services/export'
import { connect } from '../electron/services/team/connection'
import { claimBatch } from '../electron/services/team/claims'
import { initTeam, joinTeam } from '../electron/services/team/membership'
import { migrate } from '../electron/services/team/serverSchema'
import { syncTeam } from '../electron/services/team/sync'
import { exportTeam } from '../electron/services/team/teamExport'
import { Workspace } from '../electron/services/workspace/workspace'
import type { ManifestJson } from '../electron/services/export/format'
import { ZipReader } from '../electron/services/zip/zipReader'
import { postgresSkipReason, startPostgres } from '../tests/support/postgres'
import { comparableRows } from '../tests/support/exportManifest'
import { makeRepeatedSources } from './export'
import type { Metric } from './index'

const W = 1024
const H = 768
const PAIRS = 43_885

function drawMask(seed: number): LabelMap {
  const data = new Uint8Array(W * H)
  const cx = W * (0.4 + (0.2 * ((seed * 37) % 100)) / 100)
  const r = H * 0.3
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - H / 2)
      data[y * W + x] = d <= r ? 1 : d <= r + 24 ? 255 : 0
    }
  }
  return { width: W, height: H, data }
}

async function writeZip(file: string, entries: { name: string; bytes: Buffer }[]): Promise<void> {
  const zip = new yazl.ZipFile()
  for (const e of entries) zip.addBuffer(e.bytes, e.name, { compress: false })
  zip.end()
  const chunks: Buffer[] = []
  for await (const c of zip.outputStream) chunks.push(c as Buffer)
  await fsp.writeFile(file, Buffer.concat(chunks))
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

export async function benchTeam(work: string, log: (line: string) => void): Promise<Metric[]> {
  if (postgresSkipReason !== null) {
    log(`team: skipped (${postgresSkipReason})`)
    return []
  }
  const n = Number(process.env.WSM_BENCH_TEAM_N ?? 1000)
  const base = path.join(work, 'team')
  await fsp.mkdir(path.join(base, 'images'), { recursive: true })
  const server = await startPostgres()
  try {
    log(`team: preparing ${n} pairs of ${W}×${H}`)
    const ids = Array.from({ length: n }, (_, i) => `ISIC_${String(2_000_000 + i).padStart(7, '0')}`)
    const jpeg = await sharp({ create: { width: W, height: H, channels: 3, background: '#c89678' } })
      .jpeg()
      .toBuffer()
    const source = encodeMaskPng(drawMask(0), { colorType: 0, bitDepth: 8, interlaced: false })
    for (const id of ids) await fsp.writeFile(path.join(base, 'images', `${id}.jpg`), jpeg)
    const masks = path.join(base, 'ISIC_WSM_labels.zip')
    await writeZip(
      masks,
      ids.map((id) => ({ name: `ISIC_WSM_labels/${id}.png`, bytes: source })),
    )
    const url = await server.createDatabase('bench')
    const make = async (name: string) => {
      const ws = await Workspace.create(path.join(base, name), {
        masks,
        images: [path.join(base, 'images')],
        curator: name,
      })
      await ws.close()
      return path.join(base, name)
    }
    const lead = await make('lead')
    const ann = await make('ann')
    await initTeam(lead, url, { batch: 50, doubleReview: 0.1 })
    await joinTeam(ann, url, 'ann')
    log(`team: saving ${n} corrected masks`)
    const bytes: Buffer[] = []
    const ws = await Workspace.open(ann)
    try {
      for (const [i, id] of ids.entries()) {
        const map = drawMask(i + 1)
        await ws.saveMask(id, map)
        bytes.push(await fsp.readFile(ws.maskFile(id)))
      }
    } finally {
      await ws.close()
    }
    const t0 = performance.now()
    const r = await syncTeam(ann)
    const syncMs = performance.now() - t0
    if (r.pushed !== n) throw new Error(`team bench: pushed ${r.pushed} of ${n}`)
    // Floor: the same bytes, one INSERT … unnest in one transaction, into a bare table.
    const floorClient = await connect(url)
    let floorMs: number
    try {
      await floorClient.query('CREATE TABLE floor_masks (k text PRIMARY KEY, bytes bytea NOT NULL)')
      const t1 = performance.now()
      await floorClient.query('BEGIN')
      for (let i = 0; i < n; i += 200)
        await floorClient.query('INSERT INTO floor_masks SELECT * FROM unnest($1::text[], $2::bytea[])', [
          ids.slice(i, i + 200),
          bytes.slice(i, i + 200),
        ])
      await floorClient.query('COMMIT')
      floorMs = performance.now() - t1
    } finally {
      await floorClient.end()
    }
    const mb = bytes.reduce((s, b) => s + b.length, 0) / 1e6

    // Claims on a team of 43,885 pairs.
    const claimUrl = await server.createDatabase('claims')
    const client = await connect(claimUrl)
    const claims: number[] = []
    const selects: number[] = []
    try {
      await migrate(client)
      await client.query(
        "INSERT INTO team (id, lead, batch_size, double_review) VALUES ('bench', 'lead', 50, 0.1)",
      )
      await client.query("INSERT INTO curators (name) VALUES ('lead'), ('ann'), ('bob')")
      await client.query(
        "INSERT INTO pairs (id, source_sha256) SELECT 'ISIC_' || lpad(g::text, 7, '0'), repeat('0', 64) FROM generate_series(1, $1) g",
        [PAIRS],
      )
      await client.query('ANALYZE')
      for (let k = 0; k < 30; k++) {
        const t = performance.now()
        await claimBatch(client, k % 2 ? 'ann' : 'bob', 50)
        claims.push(performance.now() - t)
        const s = performance.now()
        await client.query('SELECT id FROM pairs WHERE first_curator IS NULL ORDER BY id LIMIT 50')
        selects.push(performance.now() - s)
      }
    } finally {
      await client.end()
    }
    const exportMetric = await benchTeamExport(path.join(work, 'team-export'), server, log)
    return [
      {
        name: 'team.sync1000',
        value: syncMs,
        unit: 'ms',
        floor: floorMs,
        ratio: syncMs / floorMs,
        note: `${n} decisions with ${mb.toFixed(1)} MB of masks (target ≤ 10 s); floor: the bytes in one transaction`,
      },
      {
        name: 'team.claim50',
        value: median(claims),
        unit: 'ms',
        floor: median(selects),
        ratio: median(claims) / median(selects),
        note: `median of 30 claims of 50 on ${PAIRS} pairs (target ≤ 50 ms); floor: SELECT … LIMIT 50`,
      },
      exportMetric,
    ]
  } finally {
    await server.stop()
  }
}

/** What two exports must agree on, per pair (not the review time nor the source paths). */
async function manifestOf(zipFile: string): Promise<string[]> {
  const zip = await ZipReader.open(zipFile)
  try {
    const json = JSON.parse((await zip.read(zip.getEntry('manifest.json')!)).toString('utf8')) as ManifestJson
    return comparableRows(json).map((row) => JSON.stringify(row))
  } finally {
    await zip.close()
  }
}

/** The source mask with its uncertain pixels made lesion (a corrected mask). */
function resolvedAll(map: LabelMap): LabelMap {
  return { ...map, data: map.data.map((v) => (v === 255 ? 1 : v)) }
}

async function benchTeamExport(
  base: string,
  server: Awaited<ReturnType<typeof startPostgres>>,
  log: (line: string) => void,
): Promise<Metric> {
  const n = Number(process.env.WSM_BENCH_TEAM_EXPORT_N ?? PAIRS)
  const started = performance.now()
  const src = await makeRepeatedSources(path.join(base, 'src'), n)
  const make = async (name: string) => {
    const dir = path.join(base, name)
    await (await Workspace.create(dir, { masks: src.masks, images: [src.images], curator: name })).close()
    return dir
  }
  const lead = await make('lead')
  const ann = await make('ann')
  const url = await server.createDatabase('export')
  await initTeam(lead, url, { batch: 50, doubleReview: 0 })
  await joinTeam(ann, url, 'ann')
  log(`team export: ${n} pairs built; ann decides every one`)
  const ws = await Workspace.open(ann)
  try {
    const by: Record<'accepted' | 'rejected' | 'flagged', string[]> = {
      accepted: [],
      rejected: [],
      flagged: [],
    }
    for (const [i, id] of src.ids.entries()) {
      const k = i % 10
      if (k === 0) await ws.saveMask(id, resolvedAll((await ws.readCurrentMask(id)).map))
      else by[k === 1 ? 'rejected' : k === 2 ? 'flagged' : 'accepted'].push(id)
    }
    for (const [status, ids] of Object.entries(by)) await ws.setStatuses(ids, status as keyof typeof by)
  } finally {
    await ws.close()
  }
  const synced = await syncTeam(ann)
  if (synced.pushed !== n) throw new Error(`team export bench: pushed ${synced.pushed} of ${n}`)
  log(`team export: set up in ${((performance.now() - started) / 1000).toFixed(0)} s`)
  const plainOut = path.join(base, 'plain.zip')
  const teamOut = path.join(base, 'team.zip')
  const cpuMs = () => {
    const c = process.cpuUsage()
    return (c.user + c.system) / 1000
  }
  /** `export` of ann's workspace as the CLI runs it (open read-only, export, close): wall and CPU ms. */
  const plainExport = async (out: string): Promise<[number, number]> => {
    const [t, c] = [performance.now(), cpuMs()]
    const local = await Workspace.open(ann, { readOnly: true })
    try {
      await runExport(local, { out })
    } finally {
      await local.close()
    }
    return [performance.now() - t, cpuMs() - c]
  }
  // The floor runs before and after the team export (the mean of the two): the shared machine's
  // load drifts over the minutes each takes.
  const plainBefore = await plainExport(plainOut)
  // Per phase, wall and CPU time of this process (all threads; robust to the shared machine's load).
  const phases: string[] = []
  let phaseCpu = cpuMs()
  const [t, c] = [performance.now(), phaseCpu]
  const summary = await exportTeam(
    lead,
    { out: teamOut },
    {
      onPhase: (phase, ms) => {
        const now = cpuMs()
        phases.push(`${phase} ${(ms / 1000).toFixed(1)} s (CPU ${((now - phaseCpu) / 1000).toFixed(1)} s)`)
        phaseCpu = now
      },
    },
  )
  const [teamMs, teamCpu] = [performance.now() - t, cpuMs() - c]
  const again = path.join(base, 'plain-again.zip')
  const plainAfter = await plainExport(again)
  await fsp.rm(again, { force: true })
  const [plainMs, plainCpu] = [(plainBefore[0] + plainAfter[0]) / 2, (plainBefore[1] + plainAfter[1]) / 2]
  const plain = `plain export ${(plainBefore[0] / 1000).toFixed(1)} s and ${(plainAfter[0] / 1000).toFixed(1)} s (CPU ${(plainBefore[1] / 1000).toFixed(1)} s and ${(plainAfter[1] / 1000).toFixed(1)} s)`
  log(
    `team export: ${(teamMs / 1000).toFixed(1)} s (CPU ${(teamCpu / 1000).toFixed(1)} s: ${phases.join(', ')}); ${plain}`,
  )
  const [a, b] = [await manifestOf(plainOut), await manifestOf(teamOut)]
  const differ = a.length !== b.length ? -1 : a.findIndex((row, i) => row !== b[i])
  if (differ !== -1 || summary.exported !== a.length)
    throw new Error(
      `team export bench: the team export differs from the plain one (${b.length} and ${a.length} pairs; first difference ${differ}: ${a[differ]} / ${b[differ]})`,
    )
  await fsp.rm(base, { recursive: true, force: true })
  return {
    name: 'team.export43885',
    value: teamMs / 1000,
    unit: 's',
    floor: plainMs / 1000,
    ratio: teamMs / plainMs,
    note: `team export of ${n} decided pairs (10 % corrected) to a zip, ${summary.exported} exported, CPU ${(teamCpu / 1000).toFixed(0)} s: ${phases.join(', ')}; floor: the plain export of the curator's own workspace (same manifest rows; mean of one run before and one after), CPU ${(plainCpu / 1000).toFixed(0)} s`,
  }
}
