/**
 * Workspace benchmarks:
 * - saving a corrected 4300×2850 mask (the whole saveMask: statistics, transitions, encode, the
 *   decode-and-compare verification — these two on the save's worker thread —, pending row,
 *   temporary file written, fsynced and read back, rename, folder fsync, the record commit; both
 *   commits with synchronous=FULL) against sharp's PNG encode of the same buffer alone, in
 *   alternating rounds, wall time and CPU time (of the whole process: the worker's included);
 * - the statistics scan (worker threads) in masks/s against one core's plain decode rate of the same
 *   masks × the workers used;
 * - opening a workspace of 43,885 pairs, against opening its Dataset alone;
 * - pages of the pair list at that size (filters and sorts), against the cheapest SQLite page
 *   (primary-key order, same offset).
 *
 * WSM_BENCH_SCAN_N sets the number of masks of the scan benchmark (default 2000: with fewer, the
 * workers' start and warm-up dominate), WSM_BENCH_LIST_N the number of pairs of the listing
 * benchmark (default 43,885); WSM_BENCH_SAVE_ONLY=1 stops the group after the save metrics.
 */
import os from 'node:os'
import path from 'node:path'
import { promises as fsp } from 'node:fs'
import sharp from 'sharp'
import type { LabelMap } from '../shared/labels/codes'
import { Dataset } from '../electron/services/dataset'
import { atomicWriteFile } from '../electron/services/fs/atomicWrite'
import { decodeMaskPng, encodeMaskPng, type MaskPngFormat } from '../electron/services/mask/maskPng'
import { openSqlite } from '../electron/services/workspace/sqlite'
import { Workspace, type PairQuery } from '../electron/services/workspace/workspace'
import { alternateRounds, median, tinyWorkspace, zipOf } from './fixtures'
import type { Metric } from './index'

const SAVE_W = 4300
const SAVE_H = 2850
const SCAN_W = 1024
const SCAN_H = 768

/** A lesion disc with an uncertain band and a few uncertain specks, like the weak maps. */
function drawMask(width: number, height: number, seed: number): LabelMap {
  const data = new Uint8Array(width * height)
  const cx = width * (0.45 + (0.1 * ((seed * 7919) % 100)) / 100)
  const cy = height / 2
  const r = Math.min(width, height) * 0.3
  const band = Math.max(4, Math.round(r / 12))
  for (let y = 0; y < height; y++) {
    const dy = y + 0.5 - cy
    for (let x = 0; x < width; x++) {
      // A wobbly boundary, stair-stepped like an upscaled low-resolution map.
      const a = Math.atan2(dy, x + 0.5 - cx)
      const rr = r * (1 + 0.08 * Math.sin(5 * a + seed))
      const d = Math.hypot(x + 0.5 - cx, dy)
      data[y * width + x] = d <= rr ? 1 : d <= rr + band ? 255 : 0
    }
  }
  for (let k = 0; k < 6; k++) {
    const x0 = Math.floor(((seed + k * 131) * 2654435761) % (width - 20))
    const y0 = Math.floor(((seed + k * 71) * 40503) % (height - 20))
    for (let y = y0; y < y0 + 12; y++) data.fill(255, y * width + x0, y * width + x0 + 12)
  }
  return { width, height, data }
}

/** Rounds of the save benchmark (each: one save, one floor encode, in an order rotated per round). */
const SAVE_ROUNDS = 15

/**
 * Times `kinds` against each other: `rounds` rounds after one warm-up round, each running every
 * kind once in an order rotated every round, each from a collected heap (with --expose-gc, as `npm
 * run bench` runs) and after `settle` (untimed), so that load changes and the garbage of the
 * previous call fall on all kinds alike. Medians per kind of the wall and CPU times (CPU of the
 * whole process, all threads), and per round the first kind's time over the second's.
 */
async function alternate(
  rounds: number,
  kinds: (() => Promise<unknown>)[],
  settle: () => Promise<unknown>,
): Promise<{ wall: number[]; cpu: number[]; ratios: number[] }> {
  const gc = (globalThis as { gc?: () => void }).gc
  const { wall, cpu } = await alternateRounds(kinds, rounds, async () => {
    await settle()
    gc?.()
  })
  return { wall: wall.map(median), cpu: cpu.map(median), ratios: wall[0].map((t, r) => t / wall[1][r]) }
}

async function timeRuns(
  runs: number,
  fn: (i: number) => Promise<unknown>,
  between: () => Promise<unknown> = async () => undefined,
): Promise<number> {
  await fn(-1)
  await between()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await fn(i)
    times.push(performance.now() - t)
    await between()
  }
  return median(times)
}

export async function benchWorkspace(work: string): Promise<Metric[]> {
  const metrics: Metric[] = []
  const base = path.join(work, 'workspace-bench')
  await fsp.mkdir(path.join(base, 'images'), { recursive: true })

  // ---- save ---------------------------------------------------------------------------------------
  const id = 'ISIC_0000001'
  const source = drawMask(SAVE_W, SAVE_H, 1)
  const grey: MaskPngFormat = { colorType: 0, bitDepth: 8, interlaced: false }
  await zipOf(
    [{ name: `ISIC_WSM_labels/${id}.png`, bytes: encodeMaskPng(source, grey) }],
    path.join(base, 'save.zip'),
  )
  await sharp({ create: { width: SAVE_W, height: SAVE_H, channels: 3, background: '#c89678' } })
    .jpeg()
    .toFile(path.join(base, 'images', `${id}.jpg`))
  const ws = await Workspace.create(path.join(base, 'ws-save'), {
    masks: path.join(base, 'save.zip'),
    images: [path.join(base, 'images')],
    curator: 'bench',
  })
  // Alternate two corrections so that every save changes pixels.
  const edits = [0, 1].map((k) => ({
    width: SAVE_W,
    height: SAVE_H,
    data: source.data.map((v, i) => (v === 255 && (i + k) % 3 !== 0 ? (k === 0 ? 1 : 0) : v)),
  }))
  try {
    const floorOnce = () =>
      sharp(edits[0].data, { raw: { width: SAVE_W, height: SAVE_H, channels: 1 } })
        .toColourspace('b-w')
        .png()
        .toBuffer()
    let saves = 0
    const { wall, cpu, ratios } = await alternate(
      SAVE_ROUNDS,
      [() => ws.saveMask(id, edits[saves++ % 2]), floorOnce],
      // Each save's background triage rescore (a worker decoding the mask and the image) is let
      // finish before the next timed call, untimed: it is not part of the save, and would otherwise
      // run under the next call.
      () => ws.triageSettled(),
    )
    const [save, floor] = wall
    const encode = await timeRuns(9, async () => encodeMaskPng(edits[0], grey))
    const png = encodeMaskPng(edits[0], grey)
    const write = await timeRuns(9, () =>
      atomicWriteFile(path.join(base, 'write-probe.png'), png, { readBack: true, freeOldLater: true }).then(
        (w) => w.freed,
      ),
    )
    const decode = await timeRuns(9, async () => decodeMaskPng(png))
    const spread = [...ratios].sort((a, b) => a - b)
    metrics.push({
      name: 'workspace_save_ms',
      value: save,
      unit: 'ms',
      floor,
      ratio: save / floor,
      note:
        `${SAVE_W}×${SAVE_H} saveMask, all steps; floor = sharp PNG encode alone; medians of ${SAVE_ROUNDS} alternating rounds ` +
        `(per-round ratios ${spread[0].toFixed(2)}–${spread[spread.length - 1].toFixed(2)}). Parts: encode ${encode.toFixed(1)} ms, ` +
        `atomic write ${write.toFixed(1)} ms (${png.length} B), decode ${decode.toFixed(1)} ms`,
    })
    metrics.push({
      name: 'workspace_save_cpu_ms',
      value: cpu[0],
      unit: 'ms',
      floor: cpu[1],
      ratio: cpu[0] / cpu[1],
      note: "the same rounds in CPU time of the whole process (all threads): robust to the shared machine's load",
    })
  } finally {
    await ws.close()
  }
  if (process.env.WSM_BENCH_SAVE_ONLY === '1') return metrics

  // ---- statistics scan ------------------------------------------------------------------------------
  const n = Math.max(16, Number(process.env.WSM_BENCH_SCAN_N ?? 2000) || 2000)
  const kinds = 8 // distinct masks, repeated under n ids
  const pngs = Array.from({ length: kinds }, (_, k) => encodeMaskPng(drawMask(SCAN_W, SCAN_H, k + 2), grey))
  const ids = Array.from({ length: n }, (_, i) => `ISIC_${String(1000000 + i).padStart(7, '0')}`)
  await zipOf(
    ids.map((mid, i) => ({ name: `ISIC_WSM_labels/${mid}.png`, bytes: pngs[i % kinds] })),
    path.join(base, 'scan.zip'),
  )
  const scanImages = path.join(base, 'scan-images')
  await fsp.mkdir(scanImages)
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c89678' } })
    .jpeg()
    .toBuffer()
  for (const mid of ids) await fsp.writeFile(path.join(scanImages, `${mid}.jpg`), jpeg)
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
  const scanWs = await Workspace.create(path.join(base, 'ws-scan'), {
    masks: path.join(base, 'scan.zip'),
    images: [scanImages],
    curator: 'bench',
  })
  try {
    const t0 = performance.now()
    const result = await scanWs.startStatsScan({ workers: cores })
    const seconds = (performance.now() - t0) / 1000
    if (result.done !== n) throw new Error(`scan analysed ${result.done} of ${n} masks`)
    const rate = n / seconds
    // One core's plain decode of the same PNG bytes (no reads, no analysis).
    const decodeRuns = Math.min(n, 200)
    const t1 = performance.now()
    for (let i = 0; i < decodeRuns; i++) decodeMaskPng(pngs[i % kinds])
    const decodeRate = decodeRuns / ((performance.now() - t1) / 1000)
    const floor = decodeRate * cores
    metrics.push({
      name: 'workspace_stats_scan_masks_per_s',
      value: rate,
      unit: 'masks/s',
      floor,
      ratio: rate / floor,
      note: `${n} masks ${SCAN_W}×${SCAN_H} from a zip, ${cores} workers, decode + analysis + SQLite; floor = one core's decode rate × ${cores} (ratio: higher is better)`,
    })
  } finally {
    await scanWs.close()
  }
  metrics.push(...(await benchListing(base, grey)))
  return metrics
}

/** A workspace of N pairs (tiny masks: only the numbers of rows matter here). */
async function benchListing(base: string, grey: MaskPngFormat): Promise<Metric[]> {
  const n = Math.max(1000, Number(process.env.WSM_BENCH_LIST_N ?? 43_885) || 43_885)
  const png = encodeMaskPng(drawMask(16, 16, 3), grey)
  const ids = Array.from({ length: n }, (_, i) => `ISIC_${String(i).padStart(7, '0')}`)
  const { dir, masks, images } = await tinyWorkspace(base, 'ws-list', ids, png, 16)
  // Synthetic statistics and decisions, written straight into the database.
  const db = openSqlite(path.join(dir, 'workspace.sqlite'))
  const statuses = ['accepted', 'rejected', 'flagged', 'skipped']
  const update = db.prepare(`UPDATE pairs SET status = ?, uncertain_fraction = ? WHERE id = ?`)
  db.transaction(() => {
    ids.forEach((id, i) =>
      update.run(
        i % 10 === 0 ? statuses[i % 4] : 'unreviewed',
        i % 7 === 0 ? null : ((i * 7919) % 1000) / 1000,
        id,
      ),
    )
  })()
  db.close()

  const metrics: Metric[] = []
  const openDataset = await timeRuns(3, async () => (await Dataset.open({ masks, images: [images] })).close())
  const openWs = await timeRuns(3, async () => (await Workspace.open(dir)).close())
  metrics.push({
    name: 'workspace_open_ms',
    value: openWs,
    unit: 'ms',
    floor: openDataset,
    ratio: openWs / openDataset,
    note: `${n} pairs (zips), lock + quick_check + sync + recovery; floor = Dataset.open alone`,
  })

  const ws = await Workspace.open(dir, { readOnly: true })
  try {
    const db2 = openSqlite(path.join(dir, 'workspace.sqlite'), { readonly: true })
    const mid = Math.floor(n / 2)
    const plain = db2.prepare(`SELECT id FROM pairs ORDER BY id LIMIT 100 OFFSET ?`)
    const floor = await timeRuns(15, async () => plain.all(mid))
    db2.close()
    const queries: [string, PairQuery][] = [
      ['all_by_uncertain_desc', { sort: 'uncertain', order: 'desc', offset: mid, limit: 100 }],
      ['unreviewed_by_uncertain', { status: 'unreviewed', sort: 'uncertain', offset: mid, limit: 100 }],
      [
        'range_by_uncertain',
        { uncertainMin: 0.2, uncertainMax: 0.6, sort: 'uncertain', offset: 1000, limit: 100 },
      ],
      ['flagged_by_id', { status: 'flagged', sort: 'id', limit: 100 }],
      ['all_by_id_last_page', { sort: 'id', offset: n - 100, limit: 100 }],
    ]
    for (const [name, q] of queries) {
      const value = await timeRuns(15, async () => ws.listPairs(q))
      metrics.push({
        name: `workspace_list_${name}_ms`,
        value,
        unit: 'ms',
        floor,
        ratio: value / floor,
        note: `listPairs at ${n} pairs (count + page of 100); floor = one primary-key page at offset ${mid}`,
      })
    }
  } finally {
    await ws.close()
  }
  return metrics
}
