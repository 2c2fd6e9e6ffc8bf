/**
 * Triage (issue #13) on the real dev set (../shared/isic-dev): ROC AUC and precision in the top 10 %
 * of held-out-fold scores, per corruption kind and pooled, next to ranking by uncertain fraction;
 * then the cost of scoring one pair from its bytes at the dev set's sizes and at 1024×768, and that
 * cost extrapolated to 43,885 pairs. `WSM_TRIAGE_WRITE_MODEL=1` also fits the model on every sample
 * and writes shared/labels/triage/model.ts. `WSM_TRIAGE_SHIFTS=dilate` (head names, comma-separated,
 * or `all`) chooses those heads' shifts by maximin on the training folds, `WSM_TRIAGE_CALIBRATE=1`
 * recalibrates each head on them before the maximum (fit.ts FitOptions).
 */
import { existsSync, promises as fsp } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import type { LabelMap } from '../../shared/labels/codes'
import { TRIAGE_MODEL } from '../../shared/labels/triage/model'
import type { TriageModel } from '../../shared/labels/triage/score'
import { decodeTriageImage, scoreFromBytes } from '../../electron/services/triage/scoreFromBytes'
import type { Metric } from '../index'
import { devSetRoot, hasDevSet, loadDevSet, type DevPair } from './devSet'
import { crossValidate, fitModel, FOLDS, type FitOptions } from './fit'
import { bandFreeAlike, byForm, kindSubset, median, rank, reasonShares } from './evaluate'
import { modelSource } from './modelSource'
import { buildSamples, DEFAULT_SAMPLES } from './samples'
import { CORRUPTIONS, rngFrom, weakMap } from './weakMaps'

/** Pairs in ISIC_WSM; CPU per mask of today's statistics scan (README, datasetScale bench). */
const DATASET_PAIRS = 43_885
const SCAN_CPU_US_PER_MASK = 403

export function repoRoot(from: string): string {
  let dir = from
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${from}`)
    dir = up
  }
  return dir
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000

function cpuTime(fn: () => Promise<unknown>): Promise<number> {
  const c = process.cpuUsage()
  return fn().then(() => {
    const d = process.cpuUsage(c)
    return (d.user + d.system) / 1000
  })
}

export async function benchTriage(log: (line: string) => void = () => {}): Promise<Metric[]> {
  const root = repoRoot(import.meta.dirname)
  if (!hasDevSet(root)) {
    return [{ name: 'triage_skipped', value: 0, unit: '', note: `${devSetRoot(root)} is absent` }]
  }
  // WSM_TRIAGE_GRID tries another grid size (the model's by default).
  const gridSide = Number(process.env.WSM_TRIAGE_GRID) || TRIAGE_MODEL.gridSide
  const pairs = await loadDevSet(root, gridSide, log)
  const t0 = performance.now()
  const samples = buildSamples(pairs, DEFAULT_SAMPLES)
  log(`triage: ${samples.length} samples in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const shiftEnv = process.env.WSM_TRIAGE_SHIFTS ?? ''
  const fitOpts: FitOptions = {
    shiftHeads: shiftEnv === 'all' ? 'all' : shiftEnv.split(',').filter(Boolean),
    calibrateHeads: process.env.WSM_TRIAGE_CALIBRATE === '1',
  }
  const cv = crossValidate(samples, FOLDS, gridSide, fitOpts)
  if (shiftEnv) log(`triage: heads' shifts per held-out fold ${JSON.stringify(cv.shifts)}`)
  if (fitOpts.calibrateHeads)
    log(`triage: heads' calibration [scale, shift] per held-out fold ${JSON.stringify(cv.calibration)}`)
  const baseline = samples.map((s) => s.uncertainFraction)
  const { weak, bandFree } = byForm(samples)
  const corrupted = weak.filter((i) => samples[i].kind !== 'clean').length
  const setNote = `${pairs.length} real images, ${weak.length} weak maps (${corrupted} corrupted), ${FOLDS} folds by image, held-out`
  const pooled = rank(samples, cv.pair, weak)
  const pooledMask = rank(samples, cv.mask, weak)
  const pooledBase = rank(samples, baseline, weak)
  const free = rank(samples, cv.pair, bandFree)
  const alike = bandFreeAlike(samples, cv.pair)
  const metrics: Metric[] = [
    {
      name: 'triage_auc_pooled',
      value: r3(pooled.auc),
      unit: '',
      floor: r3(pooledBase.auc),
      note: `${setNote}; floor = ranking by uncertain fraction; target ≥ 0.90`,
    },
    {
      name: 'triage_top10_precision_pooled',
      value: r3(pooled.p10),
      unit: '',
      floor: r3(pooledBase.p10),
      note: `share corrupted in the top 10 % (base rate ${r3(corrupted / weak.length)}); floor = uncertain fraction`,
    },
    {
      name: 'triage_auc_pooled_mask_only',
      value: r3(pooledMask.auc),
      unit: '',
      floor: r3(pooledBase.auc),
      note: `mask-only score (image unreadable); top 10 % precision ${r3(pooledMask.p10)}`,
    },
    {
      name: 'triage_auc_pooled_band_free',
      value: r3(free.auc),
      unit: '',
      note: `${bandFree.length} band-free maps (the true masks and weak maps resolved by nearest label, right and corrupted), same folds; top 10 % precision ${r3(free.p10)}; target ≥ 0.90`,
    },
    {
      name: 'triage_auc_band_free_vs_weak_right',
      value: r3(alike.auc),
      unit: '',
      note: `right maps: band-free against weak (0.5 = alike); median score band-free ${r3(alike.bandFreeMedian)} (true masks ${r3(alike.truthMedian)}), weak ${r3(alike.weakMedian)}`,
    },
  ]
  for (const kind of CORRUPTIONS) {
    const sub = kindSubset(samples, kind, weak)
    const subFree = kindSubset(samples, kind, bandFree)
    const k = rank(samples, cv.pair, sub)
    const b = rank(samples, baseline, sub)
    const m = rank(samples, cv.mask, sub)
    const f = rank(samples, cv.pair, subFree)
    metrics.push({
      name: `triage_auc_${kind.replace(/-/g, '_')}`,
      value: r3(k.auc),
      unit: '',
      floor: r3(b.auc),
      note: `top 10 % precision ${r3(k.p10)} (uncertain fraction ${r3(b.p10)}; kind = 30 % of the subset); mask-only AUC ${r3(m.auc)}; band-free AUC ${r3(f.auc)}; target ≥ 0.80`,
    })
  }
  for (const r of reasonShares(samples, cv.reasons)) {
    metrics.push({
      name: `triage_reason_listed_right_${r.code.replace(/-/g, '_')}`,
      value: r3(r.cleanWeak),
      unit: '',
      note: `share of right weak maps listing ${r.code} (band-free ${r3(r.cleanBandFree)}); of the wrong maps of its kinds ${r3(r.kindsWeak)} (band-free ${r3(r.kindsBandFree)}); target ≤ ~0.10 on right maps`,
    })
  }
  // Fitted on every sample: what the app would use (written out on request), and timed below.
  const model = fitModel(samples, gridSide, fitOpts)
  if (process.env.WSM_TRIAGE_WRITE_MODEL === '1') {
    const file = path.join(root, 'shared', 'labels', 'triage', 'model.ts')
    await fsp.writeFile(file, modelSource(model, samples.length, pairs.length))
    log(`triage: wrote ${file}`)
  }
  metrics.push(...(await benchCost(root, pairs, model, log)))
  return metrics
}

/** A weak map at full size: one made at the working size, upscaled by nearest neighbour. */
function fullSizeMap(small: LabelMap, width: number, height: number): LabelMap {
  const data = new Uint8Array(width * height)
  const col = new Int32Array(width)
  for (let x = 0; x < width; x++) col[x] = Math.min(small.width - 1, Math.floor((x * small.width) / width))
  for (let y = 0; y < height; y++) {
    const sy = Math.min(small.height - 1, Math.floor((y * small.height) / height))
    const row = sy * small.width
    for (let x = 0; x < width; x++) data[y * width + x] = small.data[row + col[x]]
  }
  return { width, height, data }
}

async function benchCost(
  root: string,
  pairs: DevPair[],
  model: TriageModel,
  log: (line: string) => void,
): Promise<Metric[]> {
  const ids = pairs.map((p) => p.id)
  const images = path.join(root, '..', 'shared', 'isic-dev', 'images')
  const big: number[] = []
  const bigDecode: number[] = []
  const small: number[] = []
  const smallDecode: number[] = []
  let px = 0
  for (let i = 0; i < ids.length; i++) {
    const bytes = new Uint8Array(await fsp.readFile(path.join(images, `${ids[i]}.jpg`)))
    const p = pairs[i]
    const map = fullSizeMap(weakMap(p.truth, rngFrom(i + 1)), p.width, p.height)
    px += p.width * p.height
    await scoreFromBytes(map, bytes, model) // warm-up
    big.push(await cpuTime(() => scoreFromBytes(map, bytes, model)))
    bigDecode.push(await cpuTime(() => decodeTriageImage(bytes, map.width, map.height, model.gridSide)))
    // The same image as a 1024×768 JPEG (q 90), with its map.
    const jpeg = new Uint8Array(
      await sharp(bytes).resize(1024, 768, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer(),
    )
    const map1k = fullSizeMap(map, 1024, 768)
    await scoreFromBytes(map1k, jpeg, model)
    small.push(await cpuTime(() => scoreFromBytes(map1k, jpeg, model)))
    smallDecode.push(await cpuTime(() => decodeTriageImage(jpeg, 1024, 768, model.gridSide)))
  }
  log(`triage: cost measured on ${ids.length} images`)
  const mBig = median(big)
  const mSmall = median(small)
  const scanSeconds = (DATASET_PAIRS * SCAN_CPU_US_PER_MASK) / 1e6
  return [
    {
      name: 'triage_cost_cpu_ms_isic_dev',
      value: mBig,
      unit: 'ms',
      floor: median(bigDecode),
      ratio: mBig / median(bigDecode),
      note: `CPU per pair, decode small + reduce the mask + score; dev images (mean ${(px / ids.length / 1e6).toFixed(1)} Mpx); floor = the shrink-on-load decode alone`,
    },
    {
      name: 'triage_cost_cpu_ms_1024x768',
      value: mSmall,
      unit: 'ms',
      floor: median(smallDecode),
      ratio: mSmall / median(smallDecode),
      note: 'the same at 1024×768 (JPEG q 90); floor = the decode alone',
    },
    {
      name: 'triage_cost_43885_cpu_s_1024x768',
      value: (DATASET_PAIRS * mSmall) / 1000,
      unit: 's',
      floor: scanSeconds,
      ratio: (mSmall * 1000) / SCAN_CPU_US_PER_MASK,
      note: `CPU for 43,885 pairs at 1024×768; floor = today's statistics scan (${SCAN_CPU_US_PER_MASK} µs CPU per mask, README); target ratio ≤ 0.25`,
    },
    {
      name: 'triage_cost_43885_cpu_s_isic_dev',
      value: (DATASET_PAIRS * mBig) / 1000,
      unit: 's',
      floor: scanSeconds,
      ratio: (mBig * 1000) / SCAN_CPU_US_PER_MASK,
      note: 'the same at the dev set sizes (2592×1936 to 4288×2848)',
    },
  ]
}
