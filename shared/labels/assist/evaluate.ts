/**
 * Scoring a resolved mask against the true segmentation: accuracy on the pixels the weak map left
 * uncertain (the only ones a resolution decides) and the Dice coefficient of the whole lesion mask.
 */
import { LABEL_LESION, LABEL_UNCERTAIN } from '../codes'

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
}

type Labels = Uint8Array | { data: Uint8Array }

function bytes(m: Labels): Uint8Array {
  return m instanceof Uint8Array ? m : m.data
}

/**
 * Scores `proposed` (a full map; a pixel still 255 counts as wrong) against `truth` (0/1) on the
 * uncertain pixels of `weakMask`. All three must have the same length.
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
  for (let i = 0; i < p.length; i++) {
    const pl = p[i] === LABEL_LESION ? 1 : 0
    const tl = t[i] === LABEL_LESION ? 1 : 0
    pCount += pl
    tCount += tl
    both += pl & tl
    const wv = w[i]
    if (wv === LABEL_UNCERTAIN) {
      uncertain++
      if (p[i] === t[i]) correct++
    } else if (wv !== t[i]) certainErrors++
  }
  return {
    uncertain,
    correct,
    accuracy: uncertain === 0 ? 1 : correct / uncertain,
    dice: pCount + tCount === 0 ? 1 : (2 * both) / (pCount + tCount),
    certainErrors,
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
  for (const s of scores) {
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
  }
}
