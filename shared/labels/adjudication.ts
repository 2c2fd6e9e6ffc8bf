/**
 * What the lead's adjudication counts and merges, defined once for every line of the view and every
 * starting point of the merge. Pure: no DOM, no Node.
 *
 * A pixel is DISPUTED when the two reviewers' final labels differ — any two of background (0),
 * lesion (1) and uncertain (255). Every disputed pixel falls in exactly one of four kinds:
 *
 * - lesion in the first only (first 1, second 0 or 255),
 * - lesion in the second only (second 1, first 0 or 255),
 * - uncertain in the first vs background in the second (255 / 0),
 * - background in the first vs uncertain in the second (0 / 255),
 *
 * so `disputed` is always their sum, and the disagreement line and the merge line count the same set.
 *
 * The merges the lead can start from leave every agreed pixel as both reviewers left it (an
 * uncertain pixel both kept stays uncertain) and give every disputed pixel lesion or background:
 * - union: lesion where EITHER reviewer says lesion (also against the other's uncertain);
 * - intersection: lesion only where BOTH say lesion, i.e. every disputed pixel is background.
 * In both, uncertain vs background becomes background: one reviewer decided, the other did not,
 * and nobody said lesion. So a merge never keeps an uncertain that only one reviewer kept.
 */
import type { LabelMap } from './codes'

export interface MaskComparison {
  /** Lesion in both. */
  agreedLesion: number
  /** Lesion in the first, background or uncertain in the second. */
  firstLesionOnly: number
  /** Lesion in the second, background or uncertain in the first. */
  secondLesionOnly: number
  /** Uncertain in the first, background in the second. */
  firstUncertainOnly: number
  /** Uncertain in the second, background in the first. */
  secondUncertainOnly: number
  /** Pixels whose labels differ: the sum of the four `…Only` counts. */
  disputed: number
}

export type MergeRule = 'union' | 'intersection'

function sameSize(a: LabelMap, b: LabelMap): void {
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length)
    throw new RangeError(`masks of different sizes: ${a.width}×${a.height} and ${b.width}×${b.height}`)
}

/**
 * The counts of the two masks' agreement, and (when `disputedOut` is given, same length as the
 * maps) 1 at every disputed pixel, 0 elsewhere.
 */
export function compareMasks(a: LabelMap, b: LabelMap, disputedOut?: Uint8Array): MaskComparison {
  sameSize(a, b)
  const x = a.data
  const y = b.data
  let agreedLesion = 0
  let firstLesionOnly = 0
  let secondLesionOnly = 0
  let firstUncertainOnly = 0
  let secondUncertainOnly = 0
  for (let i = 0; i < x.length; i++) {
    const p = x[i]
    const q = y[i]
    if (p === q) {
      if (p === 1) agreedLesion++
      continue
    }
    if (disputedOut) disputedOut[i] = 1
    if (p === 1) firstLesionOnly++
    else if (q === 1) secondLesionOnly++
    else if (p === 255) firstUncertainOnly++
    else secondUncertainOnly++
  }
  return {
    agreedLesion,
    firstLesionOnly,
    secondLesionOnly,
    firstUncertainOnly,
    secondUncertainOnly,
    disputed: firstLesionOnly + secondLesionOnly + firstUncertainOnly + secondUncertainOnly,
  }
}

/** The merge of two final masks by `rule` (see the module comment): a new map, same size. */
export function mergeMasks(a: LabelMap, b: LabelMap, rule: MergeRule): LabelMap {
  sameSize(a, b)
  const data = new Uint8Array(a.data.length)
  mergeRange(a.data, b.data, rule, 0, data.length, data)
  return { width: a.width, height: a.height, data }
}

/**
 * The merge by `rule` of pixels [from, to) of two masks' data into `out` (its index 0 is pixel
 * `from`): the one rule, for mergeMasks and for a merge computed in bands.
 */
export function mergeRange(
  x: Uint8Array,
  y: Uint8Array,
  rule: MergeRule,
  from: number,
  to: number,
  out: Uint8Array,
): void {
  const union = rule === 'union'
  for (let i = from, o = 0; i < to; i++, o++) {
    const p = x[i]
    const q = y[i]
    out[o] = p === q ? p : union && (p === 1 || q === 1) ? 1 : 0
  }
}

/** What a merge says about the disputed pixels. */
export interface MergeTally {
  lesion: number
  background: number
  uncertain: number
}

/** The merge's labels over the disputed pixels (`disputedIndex`: their indices). */
export function mergeTally(merge: LabelMap, disputedIndex: Uint32Array): MergeTally {
  const d = merge.data
  let lesion = 0
  let uncertain = 0
  for (let k = 0; k < disputedIndex.length; k++) {
    const v = d[disputedIndex[k]]
    if (v === 1) lesion++
    else if (v === 255) uncertain++
  }
  return { lesion, uncertain, background: disputedIndex.length - lesion - uncertain }
}

/** The indices of the pixels where `disputed` is 1 (`count` of them). */
export function disputedIndices(disputed: Uint8Array, count: number): Uint32Array {
  const out = new Uint32Array(count)
  let k = 0
  for (let i = 0; i < disputed.length; i++) if (disputed[i] === 1) out[k++] = i
  return out
}
