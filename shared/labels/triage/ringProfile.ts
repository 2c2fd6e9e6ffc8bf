/**
 * The image's colour across the mask's boundary, in thin rings at fixed fractions of the lesion's
 * radius, made self-normalising per image (issue #13, the dilate and erode kinds). The colour
 * coordinate f (0 at the skin's mean colour, 1 at the lesion core's, features.ts) is rescaled to g:
 * 0 at the far skin (0.5–0.9 radius outside) and 1 at the deep core (beyond 0.45 radius inside),
 * both measured around this very map, so that how dark a lesion is, or how the skin is lit, does
 * not matter. A right map's boundary separates lesion from skin: its inner ring is lesion-coloured
 * and its outer ring skin-coloured. A dilated map's inner ring is skin (both rings ≈ 0); an eroded
 * one's outer ring is lesion (both rings ≈ 1). Each ring is measured per angular sector of the
 * boundary and summarised by the median over sectors (weighted by boundary length) or the share of
 * sectors that agree, so a halo or a dark patch on one side does not decide.
 */
import { boundarySector } from './edgeOffset'

export interface RingProfileInput {
  width: number
  height: number
  /** Signed distance to the region's boundary per cell (negative inside, ±0.5 next to it). */
  sd: Float32Array
  /** The nearest cell across the boundary per cell (its angle around the centre gives the sector). */
  across: Int32Array
  /** Per cell: 0 at the skin's mean colour, 1 at the lesion core's. */
  f: Float32Array
  /** Boundary cells (1): a sector's weight is its boundary length. */
  edge: Uint8Array
  /** Centre of the main component, in cells. */
  cx: number
  cy: number
  /** Equivalent radius of the region (√(area/π)), in cells. */
  rEq: number
}

/**
 * Rings are RING_WIDTH of the radius wide; "near" rings touch the boundary ([−0.1, 0) and [0, 0.1)
 * of the radius), "wide" ones lie next to them ([−0.2, −0.1) and [0.1, 0.2)). All values are in g
 * (0 far skin, 1 deep core) unless said otherwise; 0 when nothing was measured.
 */
export interface RingProfile {
  /** Median over sectors of inner minus outer near ring: ≈ 1 across a right boundary, ≈ 0 off it. */
  contrastNear: number
  /** The same for the wide rings. */
  contrastWide: number
  /** Median over sectors of the inner near ring (low: skin inside the boundary, dilated). */
  innerNear: number
  /** Median over sectors of the outer near ring (high: lesion outside the boundary, eroded). */
  outerNear: number
  /** Median over sectors of the outer wide ring. */
  outerWide: number
  /** Median over sectors of the mean of both near rings (≈ 0.5 right, low dilated, high eroded). */
  midNear: number
  /** Share of the boundary (sectors by length) whose inner wide ring is below 0.5 (more skin than lesion). */
  innerSkinShare: number
  /** Share of the boundary whose outer near ring is above 0.5 (more lesion than skin). */
  outerLesionShare: number
}

const SECTORS = 16
/** Profile bins, in units of the radius, from U0 outward to U1. */
const BIN = 0.05
const U0 = -0.7
const U1 = 0.9
const NB = Math.round((U1 - U0) / BIN)
/** The deep core (inside) and far skin (outside) the profile is normalised by, in radii. */
const CORE_U = -0.45
const FAR_U = 0.5
/** A ring's half width, in radii. */
export const RING_WIDTH = 0.1
/** Below this span (in f) the image's lesion/skin contrast is noise; the span is held at it. */
const MIN_SPAN = 0.25

const binOf = (u: number): number => Math.floor((u - U0) / BIN)

/** Weighted median of the finite values with positive weight; NaN when there are none. */
function weightedMedian(values: ArrayLike<number>, weights: ArrayLike<number>): number {
  const idx: number[] = []
  for (let i = 0; i < values.length; i++) if (weights[i] > 0 && Number.isFinite(values[i])) idx.push(i)
  if (idx.length === 0) return NaN
  idx.sort((a, b) => values[a] - values[b])
  let total = 0
  for (const i of idx) total += weights[i]
  let acc = 0
  for (const i of idx) {
    acc += weights[i]
    if (acc >= total / 2) return values[i]
  }
  return values[idx[idx.length - 1]]
}

export function ringProfile(inp: RingProfileInput): RingProfile {
  const { width, height, sd, across, f, edge, cx, cy } = inp
  const n = width * height
  const rEq = Math.max(1, inp.rEq)
  const sums = new Float64Array(SECTORS * NB)
  const counts = new Float64Array(SECTORS * NB)
  const weight = new Float64Array(SECTORS)
  let core = 0
  let coreN = 0
  let far = 0
  let farN = 0
  for (let i = 0; i < n; i++) {
    const u = sd[i] / rEq
    if (u < CORE_U) {
      core += f[i]
      coreN++
    } else if (u >= FAR_U && u < U1) {
      far += f[i]
      farN++
    }
    const k = binOf(u)
    if (k < 0 || k >= NB) continue
    const s = boundarySector(across[i], width, cx, cy, SECTORS)
    sums[s * NB + k] += f[i]
    counts[s * NB + k]++
    if (edge[i]) weight[s]++
  }
  const fCore = coreN > 0 ? core / coreN : 1
  const fFar = farN > 0 ? far / farN : 0
  const span = Math.max(MIN_SPAN, fCore - fFar)
  /** Sector s's mean g over [ua, ub) radii; NaN when empty or the sector has no boundary. */
  const ring = (ua: number, ub: number): Float64Array => {
    const out = new Float64Array(SECTORS)
    for (let s = 0; s < SECTORS; s++) {
      let a = 0
      let c = 0
      for (let k = Math.max(0, binOf(ua + 1e-9)); k < Math.min(NB, binOf(ub + 1e-9)); k++) {
        a += sums[s * NB + k]
        c += counts[s * NB + k]
      }
      out[s] = weight[s] > 0 && c > 0 ? (a / c - fFar) / span : NaN
    }
    return out
  }
  let wsum = 0
  for (let s = 0; s < SECTORS; s++) wsum += weight[s]
  const share = (v: Float64Array, pred: (x: number) => boolean): number => {
    let a = 0
    for (let s = 0; s < SECTORS; s++) if (Number.isFinite(v[s]) && pred(v[s])) a += weight[s]
    return wsum > 0 ? a / wsum : 0
  }
  const median = (v: Float64Array): number => {
    const m = weightedMedian(v, weight)
    return Number.isFinite(m) ? m : 0
  }
  const inNear = ring(-RING_WIDTH, 0)
  const outNear = ring(0, RING_WIDTH)
  const inWide = ring(-2 * RING_WIDTH, -RING_WIDTH)
  const outWide = ring(RING_WIDTH, 2 * RING_WIDTH)
  return {
    contrastNear: median(inNear.map((v, s) => v - outNear[s])),
    contrastWide: median(inWide.map((v, s) => v - outWide[s])),
    innerNear: median(inNear),
    outerNear: median(outNear),
    outerWide: median(outWide),
    midNear: median(inNear.map((v, s) => (v + outNear[s]) / 2)),
    innerSkinShare: share(inWide, (x) => x < 0.5),
    outerLesionShare: share(outNear, (x) => x > 0.5),
  }
}
