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
import { boundarySector, weightedMedian, type EdgeOffsetInput } from './edgeOffset'

/**
 * The rings read the same per-cell fields as the edge offset (see EdgeOffsetInput): the signed
 * distance, the nearest cell across the boundary, the skin→core value, the boundary cells (a
 * sector's weight is its boundary length), the centre and the equivalent radius.
 */
export type RingProfileInput = Pick<
  EdgeOffsetInput,
  'width' | 'height' | 'sd' | 'across' | 'f' | 'edge' | 'cx' | 'cy' | 'rEq'
>

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
  /**
   * Median over sectors of the lesion→skin drop of f across the boundary itself over the steepest
   * drop along the normal (DROP_U0…DROP_U1): ≈ 1 where the boundary is the image's edge, low where
   * the edge lies elsewhere (a dilated map: well inside); 1 when nothing was measured.
   */
  edgeDropRatio: number
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

/**
 * The normal profile for edgeDropRatio: the rings' bins from DROP_U0 to DROP_U1 radii; a drop across
 * the edge between two bins is the mean of the DROP_SIDE bins before it minus that of the DROP_SIDE
 * bins after it (0.1 radius on each side).
 */
const DROP_U0 = -0.6
const DROP_U1 = 0.4
const DROP_K0 = Math.round((DROP_U0 - U0) / BIN)
const DROP_K1 = Math.round((DROP_U1 - U0) / BIN)
const DROP_SIDE = 2

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
    const m = weightedMedian(v, weight, NaN)
    return Number.isFinite(m) ? m : 0
  }
  // Per sector, the profile over [DROP_U0, DROP_U1) (an empty bin takes the previous one's, leading
  // empty bins the first filled one's), the drop across each bin edge, and the drop across the
  // boundary (u = 0) over the largest. Measured on the rings' bins: no further pass over the cells.
  const ratio = new Float64Array(SECTORS).fill(NaN)
  const nb = DROP_K1 - DROP_K0
  const p = new Float64Array(nb)
  const atBoundary = binOf(0 + 1e-9) - DROP_K0
  for (let s = 0; s < SECTORS; s++) {
    if (weight[s] === 0) continue
    const base = s * NB + DROP_K0
    let last = NaN
    for (let k = 0; k < nb && !Number.isFinite(last); k++)
      if (counts[base + k] > 0) last = sums[base + k] / counts[base + k]
    if (!Number.isFinite(last)) continue
    for (let k = 0; k < nb; k++) {
      const c = counts[base + k]
      p[k] = c > 0 ? sums[base + k] / c : last
      last = p[k]
    }
    let best = -Infinity
    let atB = 0
    for (let j = DROP_SIDE; j <= nb - DROP_SIDE; j++) {
      let d = 0
      for (let q = 1; q <= DROP_SIDE; q++) d += p[j - q] - p[j + q - 1]
      if (d > best) best = d
      if (j === atBoundary) atB = d
    }
    if (best > 0) ratio[s] = Math.max(0, atB) / best
  }
  const dropMedian = weightedMedian(ratio, weight, NaN)
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
    edgeDropRatio: Number.isFinite(dropMedian) ? dropMedian : 1,
  }
}
