/**
 * Agreement between two curators on one pair, and its summaries. Pure functions on label maps and
 * numbers (no I/O), so the tests can check them against values computed another way.
 *
 * - Mask agreement: Jaccard |A∩B|/|A∪B| and Dice 2|A∩B|/(|A|+|B|) of the LESION pixels (value 1) of
 *   the two final masks — over the whole mask, and restricted to the pixels that were uncertain
 *   (255) in the source. Two masks without any lesion pixel agree fully (1); the restricted scores
 *   are null when the source has no uncertain pixel.
 * - Decision agreement: on the decision's meaning — keep (accepted or corrected: the mask stays in
 *   the dataset; how it was edited is what the mask scores measure), rejected, flagged.
 * - Summaries: median and quartiles of Jaccard (linear interpolation between order statistics, the
 *   "type 7" definition of R and NumPy), the share under 0.65 (the ISIC 2018 challenge's failure
 *   threshold), Cohen's kappa of the decisions (null when chance agreement is total, i.e. both
 *   curators gave one and the same category to every pair: kappa is undefined there).
 */
import type { AgreementSummary, DecisionCategory, PairAgreement } from '../../../shared/api/team'
import type { LabelMap } from '../../../shared/labels/codes'

export type { AgreementSummary, DecisionCategory, PairAgreement }

export const DECIDED_STATUSES = ['accepted', 'corrected', 'rejected', 'flagged'] as const

/** The decision's meaning for agreement, or null for a status that is not a decision. */
export function decisionCategory(status: string): DecisionCategory | null {
  if (status === 'accepted' || status === 'corrected') return 'keep'
  if (status === 'rejected' || status === 'flagged') return status
  return null
}

export interface MaskAgreement {
  jaccard: number
  dice: number
  jaccardUncertain: number | null
  diceUncertain: number | null
}

/** Jaccard and Dice of the lesion pixels of `a` and `b`, whole and within the source's uncertain pixels. */
export function maskAgreement(a: LabelMap, b: LabelMap, source: LabelMap): MaskAgreement {
  if (a.width !== b.width || a.height !== b.height || a.width !== source.width || a.height !== source.height)
    throw new RangeError(
      `masks of different sizes: ${a.width}×${a.height}, ${b.width}×${b.height}, source ${source.width}×${source.height}`,
    )
  let inter = 0
  let na = 0
  let nb = 0
  let uInter = 0
  let uA = 0
  let uB = 0
  let uncertain = 0
  const da = a.data
  const db = b.data
  const ds = source.data
  for (let i = 0; i < da.length; i++) {
    const la = da[i] === 1 ? 1 : 0
    const lb = db[i] === 1 ? 1 : 0
    na += la
    nb += lb
    inter += la & lb
    if (ds[i] === 255) {
      uncertain++
      uA += la
      uB += lb
      uInter += la & lb
    }
  }
  const scores = (i: number, x: number, y: number) =>
    x + y === 0 ? { j: 1, d: 1 } : { j: i / (x + y - i), d: (2 * i) / (x + y) }
  const whole = scores(inter, na, nb)
  const within = uncertain === 0 ? null : scores(uInter, uA, uB)
  return {
    jaccard: whole.j,
    dice: whole.d,
    jaccardUncertain: within?.j ?? null,
    diceUncertain: within?.d ?? null,
  }
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values, linear between order statistics (R type 7). */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  const h = (sorted.length - 1) * q
  const lo = Math.floor(h)
  const hi = Math.ceil(h)
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo])
}

/** Cohen's kappa of two raters' categories over the same items; null when undefined (pe = 1) or no items. */
export function cohenKappa<T>(pairs: readonly (readonly [T, T])[]): number | null {
  const n = pairs.length
  if (n === 0) return null
  const ca = new Map<T, number>()
  const cb = new Map<T, number>()
  let agree = 0
  for (const [x, y] of pairs) {
    if (x === y) agree++
    ca.set(x, (ca.get(x) ?? 0) + 1)
    cb.set(y, (cb.get(y) ?? 0) + 1)
  }
  const po = agree / n
  let pe = 0
  for (const [k, v] of ca) pe += (v / n) * ((cb.get(k) ?? 0) / n)
  if (pe >= 1) return null
  return (po - pe) / (1 - pe)
}

/** Median, quartiles and share under 0.65 of Jaccard, and Cohen's kappa (first reviewer vs second). */
export function summarize(rows: readonly PairAgreement[]): AgreementSummary {
  const j = rows.map((r) => r.jaccard).sort((x, y) => x - y)
  return {
    pairs: rows.length,
    jaccardMedian: quantile(j, 0.5),
    jaccardQ1: quantile(j, 0.25),
    jaccardQ3: quantile(j, 0.75),
    shareBelow065: j.length === 0 ? null : j.filter((x) => x < 0.65).length / j.length,
    kappa: cohenKappa(rows.map((r) => [r.firstCategory, r.secondCategory] as const)),
  }
}

/**
 * A curator's summary over the pairs they reviewed first or second; the kappa compares this
 * curator's decisions (first rater) with the other curator's.
 */
export function summarizeCurator(rows: readonly PairAgreement[], curator: string): AgreementSummary {
  const mine = rows
    .filter((r) => r.firstCurator === curator || r.secondCurator === curator)
    .map((r) =>
      r.firstCurator === curator
        ? r
        : { ...r, firstCategory: r.secondCategory, secondCategory: r.firstCategory },
    )
  return summarize(mine)
}

/** Whether a pair goes to adjudication: the decisions differ or the Jaccard is under the threshold. */
export function needsAdjudication(
  first: DecisionCategory,
  second: DecisionCategory,
  jaccard: number,
  threshold: number,
): boolean {
  return first !== second || jaccard < threshold
}
