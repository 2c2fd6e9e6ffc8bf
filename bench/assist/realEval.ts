/**
 * Evaluation of the assisted resolution on the real development set: every pair of
 * `../shared/isic-dev/` with one weak map per family (weakMaps.ts), the method against the three
 * baselines (nearest certain label, all lesion, all background), per family and pooled, and against
 * two upper bounds that read the truth: the per-stretch level oracle (levelOracle.ts), and the
 * method at its best per-image level (`level`: the one setting of the editor's level slider per
 * image that a curator could at best choose; bestLevel()).
 */
import { resolveAllTo, resolveNearestLabel } from '../../shared/labels/assist/baselines'
import { aggregate, evaluate } from '../../shared/labels/assist/evaluate'
import type { AggregateScore, PairScore } from '../../shared/labels/assist/evaluate'
import { RESOLVE_PARAMS } from '../../shared/labels/assist/params'
import type { ResolveParams } from '../../shared/labels/assist/params'
import { levelThreshold } from '../../shared/labels/assist/level'
import { proposeResolution } from '../../shared/labels/assist/resolve'
import type { AssistImage, Proposal } from '../../shared/labels/assist/types'
import { LABEL_BACKGROUND, LABEL_LESION } from '../../shared/labels/codes'
import type { LabelMap } from '../../shared/labels/codes'
import { loadIsicPair } from './isicDev'
import { resolveLevelOracle } from './levelOracle'
import { FAMILIES, makeWeakMap, pairSeed, signedDistance } from './weakMaps'
import type { Family } from './weakMaps'

/** Base seed of the development weak maps. */
export const DEV_SEED = 1212

export interface DevCase {
  id: string
  family: Family
  image: AssistImage
  truth: LabelMap
  map: LabelMap
}

export type MethodName = 'method' | 'nearest' | 'lesion' | 'background' | 'oracle' | 'level'
export const METHODS: readonly MethodName[] = ['method', 'nearest', 'lesion', 'background', 'oracle', 'level']

/** The editor's level slider: integer steps −LEVEL_STEPS…LEVEL_STEPS, bias = −step / LEVEL_STEPS. */
const LEVEL_STEPS = 100

/**
 * The proposal re-thresholded at its best per-image level (an ORACLE: the level is chosen with the
 * truth): of the editor slider's 201 settings, the one that gets the most uncertain pixels right
 * (ties: the one nearest 0). Returns the labels and the slider setting. Held-out (2026-12, 44
 * images × 8 families, 1000 px): 94.6 % pooled against the method's 81.2 % and nearest-label 81.0 %.
 */
export function bestLevel(p: Proposal, c: DevCase): { labels: Uint8Array; level: number } {
  const { rect, decision } = p
  const W = c.map.width
  // Histograms of the decisions of the uncertain pixels, by their true label.
  const les = new Float64Array(256)
  const bg = new Float64Array(256)
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const i = (rect.y + y) * W + rect.x + x
      if (c.map.data[i] !== 255) continue
      const d = decision[y * rect.width + x] + 128
      if (c.truth.data[i] === LABEL_LESION) les[d]++
      else bg[d]++
    }
  }
  // right(level) = true lesion with d > t + true background with d ≤ t.
  let best = 0
  let bestRight = -1
  for (let level = -LEVEL_STEPS; level <= LEVEL_STEPS; level++) {
    const t = levelThreshold(-level / LEVEL_STEPS)
    let right = 0
    for (let d = -128; d <= 127; d++) right += d > t ? les[d + 128] : bg[d + 128]
    if (right > bestRight || (right === bestRight && Math.abs(level) < Math.abs(best))) {
      best = level
      bestRight = right
    }
  }
  const t = levelThreshold(-best / LEVEL_STEPS)
  const labels = p.labels.slice()
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const i = (rect.y + y) * W + rect.x + x
      if (c.map.data[i] === 255)
        labels[i] = decision[y * rect.width + x] > t ? LABEL_LESION : LABEL_BACKGROUND
    }
  }
  return { labels, level: best }
}

/** Stretch of the level oracle: 4 % of the long side (40 px at 1000 px). */
export function oracleStretch(map: LabelMap): number {
  return Math.max(4, Math.round(0.04 * Math.max(map.width, map.height)))
}

/** Loads the pairs at `longSide` (0 = full resolution) and makes one weak map per family. */
export async function loadDevCases(
  root: string,
  ids: readonly string[],
  longSide: number,
  families: readonly Family[] = FAMILIES,
  seed = DEV_SEED,
): Promise<DevCase[]> {
  const cases: DevCase[] = []
  for (const id of ids) {
    const p = await loadIsicPair(root, id, longSide)
    const scale = p.image.width / p.fullWidth
    const sd = signedDistance(p.truth)
    for (const family of families) {
      const { map } = makeWeakMap(p.truth, family, pairSeed(id, family, seed), scale, sd)
      cases.push({ id, family, image: p.image, truth: p.truth, map })
    }
  }
  return cases
}

export interface CaseResult {
  id: string
  family: Family
  scores: Record<MethodName, PairScore>
  /** Resolved pixels flagged unsure, and how many of them are right. */
  unsure: number
  unsureCorrect: number
  ms: number
}

/** Counts the unsure pixels of a proposal and how many of them are right. */
function unsureScore(p: Proposal, c: DevCase): { unsure: number; correct: number } {
  const { rect, confidence, labels } = p
  const W = c.map.width
  let unsure = 0
  let correct = 0
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const i = (rect.y + y) * W + rect.x + x
      if (c.map.data[i] !== 255 || confidence[y * rect.width + x] >= 128) continue
      unsure++
      if (labels[i] === c.truth.data[i]) correct++
    }
  }
  return { unsure, correct }
}

/** Scores one case with the method (given parameters) and, unless `methodOnly`, the baselines. */
export function runCase(c: DevCase, params: ResolveParams = RESOLVE_PARAMS, methodOnly = false): CaseResult {
  const t = performance.now()
  const proposal = proposeResolution(c.image, c.map, {}, params)
  const ms = performance.now() - t
  const method = evaluate(proposal.labels, c.truth, c.map)
  const u = unsureScore(proposal, c)
  const none = method
  return {
    id: c.id,
    family: c.family,
    scores: {
      method,
      nearest: methodOnly ? none : evaluate(resolveNearestLabel(c.map), c.truth, c.map),
      lesion: methodOnly ? none : evaluate(resolveAllTo(c.map, LABEL_LESION), c.truth, c.map),
      background: methodOnly ? none : evaluate(resolveAllTo(c.map, LABEL_BACKGROUND), c.truth, c.map),
      oracle: methodOnly
        ? none
        : evaluate(resolveLevelOracle(c.map, c.truth, oracleStretch(c.map)), c.truth, c.map),
      level: methodOnly ? none : evaluate(bestLevel(proposal, c).labels, c.truth, c.map),
    },
    unsure: u.unsure,
    unsureCorrect: u.correct,
    ms,
  }
}

export interface DevSummary {
  /** Per family and 'pooled': aggregate score per method. */
  rows: { group: string; agg: Record<MethodName, AggregateScore>; worstId: string; belowNearest2: number }[]
  unsure: number
  unsureCorrect: number
  uncertain: number
}

/** Aggregates case results per family and pooled. */
export function summarize(results: readonly CaseResult[]): DevSummary {
  const groups: [string, CaseResult[]][] = [
    ...FAMILIES.map((f): [string, CaseResult[]] => [f, results.filter((r) => r.family === f)]),
    ['pooled', [...results]],
  ]
  const rows = groups
    .filter(([, rs]) => rs.length > 0)
    .map(([group, rs]) => {
      const agg = Object.fromEntries(
        METHODS.map((m) => [m, aggregate(rs.map((r) => r.scores[m]))]),
      ) as Record<MethodName, AggregateScore>
      let worst = rs[0]
      for (const r of rs) if (r.scores.method.accuracy < worst.scores.method.accuracy) worst = r
      const belowNearest2 = rs.filter(
        (r) => r.scores.method.accuracy < r.scores.nearest.accuracy - 0.02,
      ).length
      return { group, agg, worstId: `${worst.id}/${worst.family}`, belowNearest2 }
    })
  let unsure = 0
  let unsureCorrect = 0
  let uncertain = 0
  for (const r of results) {
    unsure += r.unsure
    unsureCorrect += r.unsureCorrect
    uncertain += r.scores.method.uncertain
  }
  return { rows, unsure, unsureCorrect, uncertain }
}

/** A plain-text table of a summary. */
export function formatSummary(s: DevSummary): string {
  const pct = (v: number): string => (100 * v).toFixed(1)
  const lines = [
    'group      pairs  method(min)      nearest(min)     lesion  bg     oracle  m+lvl*(min)      dice m/n       <nn-2pt  worst',
  ]
  for (const r of s.rows) {
    const { method: m, nearest: n, lesion: l, background: b, oracle: o, level: v } = r.agg
    lines.push(
      [
        r.group.padEnd(10),
        String(m.pairs).padStart(5),
        `${pct(m.accuracy)} (${pct(m.minAccuracy)})`.padEnd(16),
        `${pct(n.accuracy)} (${pct(n.minAccuracy)})`.padEnd(16),
        pct(l.accuracy).padEnd(7),
        pct(b.accuracy).padEnd(6),
        pct(o.accuracy).padEnd(7),
        `${pct(v.accuracy)} (${pct(v.minAccuracy)})`.padEnd(16),
        `${m.meanDice.toFixed(3)}/${n.meanDice.toFixed(3)}`.padEnd(14),
        String(r.belowNearest2).padEnd(8),
        r.worstId,
      ].join(' '),
    )
  }
  lines.push(
    'oracle = per-stretch level oracle; m+lvl* = method + best per-image level (one slider setting per image, chosen with the truth: an oracle)',
  )
  lines.push(
    `unsure: ${s.unsure} px (${pct(s.unsure / Math.max(1, s.uncertain))} % of uncertain), ` +
      `${pct(s.unsureCorrect / Math.max(1, s.unsure))} % of them right`,
  )
  return lines.join('\n')
}
