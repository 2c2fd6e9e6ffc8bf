/**
 * The triage evaluation's numbers from held-out scores (fit.ts crossValidate): ranking quality per
 * corruption kind for weak maps and for band-free ones, whether band-free right maps score like weak
 * right ones, and how often each reason is listed on right maps and on the wrong maps it names.
 */
import type { TriageReasonCode } from '../../shared/labels/triage/types'
import { REASON_KINDS } from './fit'
import { precisionAtTop, rocAuc } from './metrics'
import { isBandFree, type Sample } from './samples'

/** AUC and top-10 % precision of `score` over the samples `idx` (positives: corrupted). */
export function rank(
  samples: readonly Sample[],
  score: readonly number[],
  idx: readonly number[] = samples.map((_, i) => i),
): { auc: number; p10: number } {
  const pos: number[] = []
  const neg: number[] = []
  for (const i of idx) (samples[i].kind === 'clean' ? neg : pos).push(score[i])
  const items = idx.map((i) => ({ score: score[i], positive: samples[i].kind !== 'clean' }))
  return { auc: rocAuc(pos, neg), p10: precisionAtTop(items, 0.1) }
}

/**
 * The samples of `idx` of one kind plus right ones among `idx`, so that the kind makes 30 % (for a
 * comparable top-10 %): every k-th right sample, deterministic and spread over the images.
 */
export function kindSubset(samples: readonly Sample[], kind: string, idx: readonly number[]): number[] {
  const own = idx.filter((i) => samples[i].kind === kind)
  const clean = idx.filter((i) => samples[i].kind === 'clean')
  const want = Math.min(clean.length, Math.round((own.length * 0.7) / 0.3))
  const step = clean.length / want
  return [...own, ...Array.from({ length: want }, (_, j) => clean[Math.floor(j * step)])]
}

export const median = (v: readonly number[]): number =>
  v.length === 0 ? NaN : [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]

/** Indices of the weak samples and of the band-free ones. */
export function byForm(samples: readonly Sample[]): { weak: number[]; bandFree: number[] } {
  const weak: number[] = []
  const bandFree: number[] = []
  samples.forEach((s, i) => (isBandFree(s) ? bandFree : weak).push(i))
  return { weak, bandFree }
}

/** Right band-free maps against right weak ones: medians and the AUC of telling them apart (0.5: alike). */
export function bandFreeAlike(
  samples: readonly Sample[],
  score: readonly number[],
): { weakMedian: number; bandFreeMedian: number; truthMedian: number; auc: number } {
  const weak: number[] = []
  const free: number[] = []
  const truth: number[] = []
  samples.forEach((s, i) => {
    if (s.kind !== 'clean') return
    if (!isBandFree(s)) weak.push(score[i])
    else {
      free.push(score[i])
      if (s.form === 'truth') truth.push(score[i])
    }
  })
  return {
    weakMedian: median(weak),
    bandFreeMedian: median(free),
    truthMedian: median(truth),
    auc: rocAuc(free, weak),
  }
}

export interface ReasonShare {
  code: TriageReasonCode
  cleanWeak: number
  cleanBandFree: number
  /** On the corrupted maps of the reason's kinds (REASON_KINDS), weak and band-free. */
  kindsWeak: number
  kindsBandFree: number
}

/** Per reason the share of samples listing it, on right maps and on the wrong maps of its kinds. */
export function reasonShares(
  samples: readonly Sample[],
  listed: ReadonlyArray<readonly TriageReasonCode[]>,
): ReasonShare[] {
  const share = (code: TriageReasonCode, pick: (s: Sample) => boolean): number => {
    let n = 0
    let k = 0
    samples.forEach((s, i) => {
      if (!pick(s)) return
      n++
      if (listed[i].includes(code)) k++
    })
    return n > 0 ? k / n : NaN
  }
  return (Object.keys(REASON_KINDS) as TriageReasonCode[]).map((code) => {
    const kinds: readonly string[] = REASON_KINDS[code] ?? []
    return {
      code,
      cleanWeak: share(code, (s) => s.kind === 'clean' && !isBandFree(s)),
      cleanBandFree: share(code, (s) => s.kind === 'clean' && isBandFree(s)),
      kindsWeak: share(code, (s) => kinds.includes(s.kind) && !isBandFree(s)),
      kindsBandFree: share(code, (s) => kinds.includes(s.kind) && isBandFree(s)),
    }
  })
}
