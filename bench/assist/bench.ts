/**
 * Assisted resolution of the uncertain band (shared/labels/assist): accuracy on the uncertain pixels
 * of the REAL development set (../shared/isic-dev, weak maps of bench/assist/weakMaps.ts, per family
 * and pooled; realEval.ts) and, as a separate row, of the synthetic evaluation set (evalSet.ts), for
 * the method and the three baselines; timings at ~1000×750 and 6000×4000.
 */
import { generateEvalSet } from './evalSet'
import { synthesizePair } from '../../electron/services/demo/synthesize'
import { resolveAllTo, resolveNearestLabel } from '../../shared/labels/assist/baselines'
import { aggregate, evaluate } from '../../shared/labels/assist/evaluate'
import type { PairScore } from '../../shared/labels/assist/evaluate'
import { proposeResolution } from '../../shared/labels/assist/resolve'
import { LABEL_BACKGROUND, LABEL_LESION } from '../../shared/labels/codes'
import type { Metric } from '../index'
import { findRepoRoot, isicDevRoot, listIsicDev } from './isicDev'
import { loadDevCases, runCase, summarize } from './realEval'
import type { CaseResult } from './realEval'

const EVAL_PAIRS = 20

/**
 * Median wall-clock and median CPU time (user + system, this process) of `runs` calls of fn, after
 * one warm-up. On a shared machine the CPU time is the fairer figure for "one core".
 */
function timeIt(runs: number, fn: () => unknown): { wall: number; cpu: number } {
  fn()
  const wall: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage()
    const t = performance.now()
    fn()
    wall.push(performance.now() - t)
    const d = process.cpuUsage(c)
    cpu.push((d.user + d.system) / 1000)
  }
  const median = (v: number[]): number => v.sort((a, b) => a - b)[Math.floor(v.length / 2)]
  return { wall: median(wall), cpu: median(cpu) }
}

const pct = (v: number): number => Math.round(v * 10000) / 100

/**
 * The real development set at 1000 px long side, every family: pooled, per family and worst pair,
 * method vs baselines. The parameters were fitted on these images: the held-out (4-fold by image)
 * figures come from `npx jiti bench/assist/fit.ts`; the two differ little (a 12-weight model).
 */
async function benchAssistReal(log: (s: string) => void): Promise<Metric[]> {
  const root = isicDevRoot(await findRepoRoot(import.meta.dirname))
  const ids = await listIsicDev(root)
  if (ids.length === 0) {
    log(`assist: no real development set in ${root}; real-image rows skipped`)
    return []
  }
  const results: CaseResult[] = []
  for (const id of ids) for (const c of await loadDevCases(root, [id], 1000)) results.push(runCase(c))
  const s = summarize(results)
  const metrics: Metric[] = []
  for (const row of s.rows) {
    const { method: m, nearest: n, lesion: l, background: b, oracle: o, level: v } = row.agg
    const tag = row.group.replace(/-/g, '_')
    metrics.push({
      name: `assist_real_acc_${tag}_pct`,
      value: pct(m.accuracy),
      unit: '%',
      floor: pct(n.accuracy),
      ratio: m.accuracy / n.accuracy,
      note:
        `REAL ${m.pairs} pairs; floor = nearest label; all-lesion ${pct(l.accuracy)}, all-bg ${pct(b.accuracy)}; ` +
        `per-stretch level oracle (reads the truth) ${pct(o.accuracy)}; ` +
        `method + best per-image level (the slider set right, an oracle) ${pct(v.accuracy)}; ` +
        `worst pair ${pct(m.minAccuracy)} (nearest ${pct(n.minAccuracy)}) ${row.worstId}; ` +
        `Dice ${m.meanDice.toFixed(3)} (nearest ${n.meanDice.toFixed(3)}); >2 pt under nearest: ${row.belowNearest2}`,
    })
  }
  const pooled = s.rows[s.rows.length - 1]
  metrics.push(
    {
      name: 'assist_real_pairs_within_2pt_pct',
      value: pct(1 - pooled.belowNearest2 / pooled.agg.method.pairs),
      unit: '%',
      note: 'REAL: share of pairs no more than 2 points under the nearest-label baseline (target ≥ 90 %)',
    },
    {
      name: 'assist_real_unsure_pct',
      value: pct(s.unsure / Math.max(1, s.uncertain)),
      unit: '%',
      note: `REAL: uncertain pixels flagged unsure; ${pct(s.unsureCorrect / Math.max(1, s.unsure))} % of those right`,
    },
  )
  return metrics
}

export async function benchAssist(log: (s: string) => void = () => undefined): Promise<Metric[]> {
  const real = await benchAssistReal(log)
  const set = await generateEvalSet({ count: EVAL_PAIRS })
  const scores: Record<'method' | 'nearest' | 'lesion' | 'background', PairScore[]> = {
    method: [],
    nearest: [],
    lesion: [],
    background: [],
  }
  const byTag = new Map<string, PairScore[]>()
  for (const p of set) {
    const method = evaluate(proposeResolution(p.image, p.mask).labels, p.truth, p.mask)
    scores.method.push(method)
    scores.nearest.push(evaluate(resolveNearestLabel(p.mask), p.truth, p.mask))
    scores.lesion.push(evaluate(resolveAllTo(p.mask, LABEL_LESION), p.truth, p.mask))
    scores.background.push(evaluate(resolveAllTo(p.mask, LABEL_BACKGROUND), p.truth, p.mask))
    for (const tag of p.tags) byTag.set(tag, [...(byTag.get(tag) ?? []), method])
  }
  const m = aggregate(scores.method)
  const n = aggregate(scores.nearest)
  const l = aggregate(scores.lesion)
  const b = aggregate(scores.background)
  const best = Math.max(n.accuracy, l.accuracy, b.accuracy)
  const setNote = `SYNTHETIC ${set.length} pairs ~1000×750, half hard; pooled over ${m.uncertain} uncertain px`
  const metrics: Metric[] = [
    ...real,
    {
      name: 'assist_acc_method_pct',
      value: pct(m.accuracy),
      unit: '%',
      floor: pct(best),
      ratio: m.accuracy / best,
      note: `${setNote}; floor = best baseline; min pair ${pct(m.minAccuracy)} %`,
    },
    {
      name: 'assist_error_cut_vs_best_baseline',
      value: (1 - best) / (1 - m.accuracy),
      unit: '×',
      note: 'error rate of the best baseline / error rate of the method, on the uncertain pixels',
    },
    {
      name: 'assist_acc_method_stray_pct',
      value: pct(m.strayAccuracy),
      unit: '%',
      floor: pct(Math.max(n.strayAccuracy, l.strayAccuracy, b.strayAccuracy)),
      note: 'stray uncertain blobs (touching no certain lesion pixel); floor = best baseline there',
    },
    {
      name: 'assist_acc_nearest_pct',
      value: pct(n.accuracy),
      unit: '%',
      note: 'nearest certain label (exact EDT)',
    },
    { name: 'assist_acc_all_lesion_pct', value: pct(l.accuracy), unit: '%', note: 'every uncertain px → 1' },
    {
      name: 'assist_acc_all_background_pct',
      value: pct(b.accuracy),
      unit: '%',
      note: 'every uncertain px → 0',
    },
  ]
  for (const [tag, s] of byTag) {
    const a = aggregate(s)
    metrics.push({
      name: `assist_acc_method_${tag.replace(/-/g, '_')}_pct`,
      value: pct(a.accuracy),
      unit: '%',
      note: `${a.pairs} pairs tagged ${tag}; min ${pct(a.minAccuracy)} %`,
    })
  }
  metrics.push(
    { name: 'assist_dice_method', value: m.meanDice, unit: '', note: 'mean Dice of the whole mask' },
    { name: 'assist_dice_nearest', value: n.meanDice, unit: '', note: 'mean Dice, nearest-label baseline' },
  )

  // Timings: one ~1000×750 pair and one 6000×4000 pair, each against the nearest-label baseline.
  for (const [w, h, runs, budget] of [
    [1000, 750, 9, 300],
    [6000, 4000, 3, 3000],
  ] as const) {
    const pair = synthesizePair({ id: 'bench', width: w, height: h, seed: 4242 })
    const image = { width: w, height: h, data: pair.image.rgb, channels: 3 as const }
    let proposal = proposeResolution(image, pair.mask)
    const t = timeIt(runs, () => {
      proposal = proposeResolution(image, pair.mask)
    })
    const scale = proposal.stats.scale
    let nearest = resolveNearestLabel(pair.mask)
    const floor = timeIt(runs, () => {
      nearest = resolveNearestLabel(pair.mask)
    })
    const acc = evaluate(proposal.labels, pair.truth, pair.mask).accuracy
    const accNearest = evaluate(nearest, pair.truth, pair.mask).accuracy
    metrics.push(
      {
        name: `assist_acc_method_${w}x${h}_pct`,
        value: pct(acc),
        unit: '%',
        floor: pct(accNearest),
        ratio: acc / accNearest,
        note: 'the timed pair (plain synthetic, seed 4242); floor = nearest-label baseline',
      },
      {
        name: `assist_resolve_${w}x${h}_ms`,
        value: t.wall,
        unit: 'ms',
        floor: floor.wall,
        ratio: t.wall / floor.wall,
        note: `wall, median of ${runs}; budget ${budget} ms; working scale ${scale}; floor = nearest-label baseline`,
      },
      {
        name: `assist_resolve_${w}x${h}_cpu_ms`,
        value: t.cpu,
        unit: 'ms',
        floor: floor.cpu,
        ratio: t.cpu / floor.cpu,
        note: 'CPU time (user + system) of the same runs: the one-core figure on a busy machine',
      },
    )
  }
  return metrics
}
