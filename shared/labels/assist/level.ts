/**
 * The proposal at another boundary level: where across the uncertain band the edge sits.
 *
 * The band "leans" into the lesion or out into the skin, and the image often cannot tell which; a
 * curator sees it at a glance. The proposal keeps each resolved pixel's signed decision d (−127…127,
 * d > 0 ⇔ lesion at the method's own level), so another level is a re-threshold of d, with no
 * recomputation: label = d > bias·127.5 ? lesion : background, for bias in [−1, 1].
 *
 * - bias 0 is the method's own answer (labels and unsure flags exactly as proposed);
 * - bias → +1 leans out to the skin (1 gives background over the whole band), → −1 into the lesion
 *   (−1 gives lesion everywhere); the lesion pixels never decrease as bias decreases;
 * - a pixel is unsure when its decision is within UNSURE_DECISION of the threshold.
 *
 * Pure, on the run-length patch's per-pixel arrays (the band pixels only, in the patch's order).
 */
import { LABEL_BACKGROUND, LABEL_LESION } from '../codes'
import { UNSURE_DECISION } from './types'

/** The decision-scale threshold of a level (half a step past the ends, so ±1 are exclusive). */
export function levelThreshold(bias: number): number {
  const b = Number.isFinite(bias) ? Math.max(-1, Math.min(1, bias)) : 0
  return b * 127.5
}

export interface Rethresholded {
  /** 0 or 1 per band pixel (same order as the decisions). */
  after: Uint8Array
  /** 1 per band pixel that is unsure at this level. */
  unsure: Uint8Array
  toLesion: number
  unsureCount: number
}

/**
 * Labels and unsure flags of the band pixels at level `bias` (see the module comment). `into`
 * reuses arrays of the right length (the editor re-thresholds on every slider step).
 */
export function rethreshold(
  decision: Int8Array,
  bias: number,
  into?: { after: Uint8Array; unsure: Uint8Array },
): Rethresholded {
  const n = decision.length
  const after = into && into.after.length === n ? into.after : new Uint8Array(n)
  const unsure = into && into.unsure.length === n ? into.unsure : new Uint8Array(n)
  const t = levelThreshold(bias)
  let toLesion = 0
  let unsureCount = 0
  for (let i = 0; i < n; i++) {
    const d = decision[i]
    const l = d > t ? LABEL_LESION : LABEL_BACKGROUND
    after[i] = l
    toLesion += l
    const u = Math.abs(d - t) < UNSURE_DECISION ? 1 : 0
    unsure[i] = u
    unsureCount += u
  }
  return { after, unsure, toLesion, unsureCount }
}

/** A run-length proposal patch (proposalRunPatch) with its per-pixel decisions. */
export interface LevelledRunPatch {
  width: number
  rect: { x: number; y: number; width: number; height: number }
  runs: Uint32Array
  before: Uint8Array
  after: Uint8Array
  unsure: Uint8Array
  decision: Int8Array
}

/**
 * The same patch (same runs, same `before`) at level `bias`: new `after` and `unsure` arrays, the
 * certain pixels untouched because they are not in it. Applying it over the original map writes
 * only 0 or 1 where the map held 255.
 */
export function rethresholdRunPatch(
  patch: LevelledRunPatch,
  bias: number,
): LevelledRunPatch & { toLesion: number; unsureCount: number } {
  const r = rethreshold(patch.decision, bias)
  return {
    ...patch,
    rect: { ...patch.rect },
    after: r.after,
    unsure: r.unsure,
    toLesion: r.toLesion,
    unsureCount: r.unsureCount,
  }
}
