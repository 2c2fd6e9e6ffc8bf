/**
 * Scoring a resolved mask against the true segmentation: accuracy on the pixels the weak map left
 * uncertain (the only ones a resolution decides) and the Dice coefficient of the whole lesion mask.
 */
import { LABEL_LESION, LABEL_UNCERTAIN } from '../codes'
import type { LabelMap } from '../codes'

export interface PairScore {
  /** Pixels that are 255 in the weak map. */
  uncertain: number
  /** Of those, pixels where the proposal equals the truth. */
  correct: number
  /** correct / uncertain (1 when nothing was uncertain). */
  accuracy: number
  /** 2·|P∩T| / (|P| + |T|) over the whole lesion mask (1 when both are empty). */
  dice: number
  /** Certain pixels of the weak map that disagree with the truth (errors no resolution can fix). */
  certainErrors: number
  /** Uncertain pixels in stray components (touching no certain lesion pixel), and how many are right. */
  strayUncertain: number
  strayCorrect: number
}

export interface AggregateScore {
  pairs: number
  uncertain: number
  correct: number
  /** Pixel-pooled accuracy on the uncertain pixels: Σ correct / Σ uncertain. */
  accuracy: number
  /** Mean of the per-pair accuracies. */
  meanAccuracy: number
  minAccuracy: number
  meanDice: number
  minDice: number
  /** Pooled accuracy on the stray uncertain components (1 when there are none). */
  strayAccuracy: number
}

type Labels = Uint8Array | { data: Uint8Array }

function bytes(m: Labels): Uint8Array {
  return m instanceof Uint8Array ? m : m.data
}

/**
 * Marks (1) the uncertain pixels whose 4-connected uncertain component touches no certain lesion
 * pixel: stray blobs on the skin, as opposed to the band along the lesion or blobs inside it.
 */
export function strayUncertain(map: LabelMap): Uint8Array {
  const { width: W, height: H, data } = map
  const n = W * H
  const comp = new Int32Array(n).fill(-1)
  const stray = new Uint8Array(n)
  const stack = new Int32Array(n)
  const members: number[] = []
  for (let seed = 0; seed < n; seed++) {
    if (data[seed] !== LABEL_UNCERTAIN || comp[seed] >= 0) continue
    let top = 0
    stack[top++] = seed
    comp[seed] = seed
    members.length = 0
    let touchesLesion = false
    while (top > 0) {
      const i = stack[--top]
      members.push(i)
      const y = Math.floor(i / W)
      const x = i - y * W
      for (let k = 0; k < 4; k++) {
        const j =
          k === 0
            ? x > 0
              ? i - 1
              : -1
            : k === 1
              ? x + 1 < W
                ? i + 1
                : -1
              : k === 2
                ? y > 0
                  ? i - W
                  : -1
                : y + 1 < H
                  ? i + W
                  : -1
        if (j < 0) continue
        const v = data[j]
        if (v === LABEL_LESION) touchesLesion = true
        else if (v === LABEL_UNCERTAIN && comp[j] < 0) {
          comp[j] = seed
          stack[top++] = j
        }
      }
    }
    if (!touchesLesion) for (const i of members) stray[i] = 1
  }
  return stray
}

/**
 * Scores `proposed` (a full map; a pixel still 255 counts as wrong) against `truth` (0/1) on the
 * uncertain pixels of `weakMask`. All three must have the same length. The stray figures need the
 * weak map's geometry: they are 0 unless `weakMask` is a LabelMap.
 */
export function evaluate(proposed: Labels, truth: Labels, weakMask: Labels): PairScore {
  const p = bytes(proposed)
  const t = bytes(truth)
  const w = bytes(weakMask)
  if (p.length !== t.length || p.length !== w.length) {
    throw new RangeError(`sizes differ: proposed ${p.length}, truth ${t.length}, weak ${w.length}`)
  }
  let uncertain = 0
  let correct = 0
  let both = 0
  let pCount = 0
  let tCount = 0
  let certainErrors = 0
  let strayU = 0
  let strayC = 0
  const stray = 'width' in weakMask ? strayUncertain(weakMask as LabelMap) : null
  for (let i = 0; i < p.length; i++) {
    const pl = p[i] === LABEL_LESION ? 1 : 0
    const tl = t[i] === LABEL_LESION ? 1 : 0
    pCount += pl
    tCount += tl
    both += pl & tl
    const wv = w[i]
    if (wv === LABEL_UNCERTAIN) {
      uncertain++
      const ok = p[i] === t[i] ? 1 : 0
      correct += ok
      if (stray !== null && stray[i] !== 0) {
        strayU++
        strayC += ok
      }
    } else if (wv !== t[i]) certainErrors++
  }
  return {
    uncertain,
    correct,
    accuracy: uncertain === 0 ? 1 : correct / uncertain,
    dice: pCount + tCount === 0 ? 1 : (2 * both) / (pCount + tCount),
    certainErrors,
    strayUncertain: strayU,
    strayCorrect: strayC,
  }
}

/** Pooled and per-pair summaries of several pairs' scores. */
export function aggregate(scores: readonly PairScore[]): AggregateScore {
  let uncertain = 0
  let correct = 0
  let sumAcc = 0
  let sumDice = 0
  let minAccuracy = 1
  let minDice = 1
  let strayU = 0
  let strayC = 0
  for (const s of scores) {
    strayU += s.strayUncertain
    strayC += s.strayCorrect
    uncertain += s.uncertain
    correct += s.correct
    sumAcc += s.accuracy
    sumDice += s.dice
    minAccuracy = Math.min(minAccuracy, s.accuracy)
    minDice = Math.min(minDice, s.dice)
  }
  const n = scores.length
  return {
    pairs: n,
    uncertain,
    correct,
    accuracy: uncertain === 0 ? 1 : correct / uncertain,
    meanAccuracy: n === 0 ? 1 : sumAcc / n,
    minAccuracy,
    meanDice: n === 0 ? 1 : sumDice / n,
    minDice,
    strayAccuracy: strayU === 0 ? 1 : strayC / strayU,
  }
}
