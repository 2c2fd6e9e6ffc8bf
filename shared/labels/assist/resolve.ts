/**
 * Assisted resolution of the uncertain pixels (255) of a weak map from the image: every uncertain
 * pixel gets 0 or 1, certain pixels never change.
 *
 * Method (a GrabCut-style energy, minimised exactly by one graph cut per level):
 *
 * 1. Working grid. The bounding box of the uncertain pixels, plus a margin, is averaged into cells
 *    of s×s pixels (s = 1 up to `maxWorkPixels`, so a 1000×750 pair works at full resolution and a
 *    6000×4000 one at s = 4). A cell is certain when all its pixels carry the same certain label.
 * 2. Hair: cells darker than the grey-level closing of their neighbourhood (window wider than
 *    `hairWidth`) by far more than the noise are hair or ruler ticks. They get no data term and
 *    count as uniform colour in the smoothness term, so the cut passes through them as if they were
 *    skin or lesion like their surroundings; they teach the colour models nothing.
 * 3. Illumination: a quadratic fit of the log luminance of the background ring (below) is divided
 *    out of every colour, so a vignette or uneven lighting across the band does not move the
 *    half-way point between the two sides.
 * 4. Colour models, learnt from the certain cells within `ringWidth` of an uncertain one: local
 *    lesion and background means (sums over blocks, blurred, shrunk towards the global means where
 *    a class is absent nearby — stray blobs far from the lesion use the global lesion colour), and
 *    one pooled within-class covariance Σ. The data term of a cell is the linear discriminant
 *    LLR = (Ī − (μL + μB)/2)ᵀ Σ⁻¹ (μL − μB), in nats, of the mean colour Ī of its 3×3 window (the
 *    term is linear in the colour, so this averages the evidence, and a symmetric window keeps a
 *    straight edge's half-way crossing in place): the boundary sits half-way between the two local
 *    colours whatever the contrast, and directions the ring shows to be noisy weigh less.
 * 5. Smoothness: contrast-sensitive Potts on 8-neighbours, λ·exp(−‖ΔI‖²/2β) (β = mean ‖ΔI‖² over
 *    the band), with the certain neighbours as fixed labels. The minimum cut (Boykov–Kolmogorov
 *    max-flow, maxflow.ts) over the uncertain cells only gives the labels.
 * 6. When s > 1, refinement at full resolution: the uncertain pixels of the cells along the coarse
 *    cut are cut again with full-resolution colours (same models, data term rescaled to the pixel
 *    noise, hair pixels found against the cells' closed luminance), the rest keep their cell's label.
 *
 * Pure TypeScript on typed arrays; deterministic (no randomness, fixed iteration orders).
 */
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN } from '../codes'
import type { LabelMap } from '../codes'
import { nearestSite } from './distance'
import { MaxFlow } from './maxflow'
import { closing } from './morph'

/** An image in memory: row-major, 3 (RGB) or 4 (RGBA, alpha ignored) bytes per pixel. */
export interface AssistImage {
  width: number
  height: number
  data: Uint8Array | Uint8ClampedArray
  channels: 3 | 4
}

export interface ResolveOptions {
  /** Cell size of the working grid; default: the smallest that keeps it under maxWorkPixels. */
  scale?: number
  /** Largest working grid, in cells (default 1.2 M). */
  maxWorkPixels?: number
  /** Widest dark line to ignore as hair, in image pixels (default max(4, 0.006·min side)). */
  hairWidth?: number
  /** How far from the uncertain pixels certain pixels teach the colour models (default max(8, 0.03·min side)). */
  ringWidth?: number
  /** Weight λ of the smoothness term, in nats per unit of boundary (default 2). */
  smoothness?: number
  /** Radius of the window whose mean colour gives a cell's data term (default 1: 3×3). */
  dataRadius?: number
  /** Divide out a smooth illumination field fitted to the background near the band (default true). */
  flattenIllumination?: boolean
  /** Full-resolution refinement when the working grid is coarser than the image (default true). */
  refine?: boolean
}

export interface AssistRect {
  x: number
  y: number
  width: number
  height: number
}

export interface ResolveStats {
  /** Uncertain pixels in the input, and how they were resolved. */
  uncertain: number
  toLesion: number
  toBackground: number
  /** Working grid cell size (1 = full resolution). */
  scale: number
  /** Graph nodes of the coarse cut and of the refinement. */
  coarseNodes: number
  refineNodes: number
  /** Working-grid cells taken as hair. */
  hairCells: number
  /** Mean distance ‖μL − μB‖ between the local colour models over the uncertain cells (0..441). */
  contrast: number
  /** Milliseconds: total, and the grid + closing, models, coarse cut, refinement. */
  ms: { total: number; grid: number; models: number; cut: number; refine: number }
}

export interface Proposal {
  /** The full map: certain pixels unchanged, every formerly uncertain pixel 0 or 1. */
  labels: Uint8Array
  /** Bounding box of the formerly uncertain pixels (empty when there were none). */
  rect: AssistRect
  stats: ResolveStats
}

/** A rectangle patch: the bytes of `rect` before and after, row-major. */
export interface AssistPatch {
  rect: AssistRect
  before: Uint8Array
  after: Uint8Array
}

const DEFAULT_MAX_WORK_PIXELS = 1_200_000
const DEFAULT_SMOOTHNESS = 2
const SQRT1_2 = Math.SQRT1_2
/** Data terms are clipped to ±this many nats, so one outlier colour cannot outvote its neighbours. */
const LLR_CLIP = 60
/** Ridge weight per sample on the slope and curvature of the illumination fit (coordinates in [-1, 1]). */
const ILLUMINATION_RIDGE = 0.05
const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now())

/** An option's value when it is a finite number ≥ min, else the default. */
function option(v: number | undefined, def: number, min: number): number {
  return v !== undefined && Number.isFinite(v) && v >= min ? v : Math.max(min, def)
}

/** Checks sizes; throws RangeError on a mismatch. */
function validate(image: AssistImage, map: LabelMap): void {
  const { width, height } = map
  if (image.width !== width || image.height !== height) {
    throw new RangeError(`image is ${image.width}×${image.height}, mask is ${width}×${height}`)
  }
  if (image.channels !== 3 && image.channels !== 4)
    throw new RangeError(`image has ${image.channels} channels`)
  if (image.data.length !== width * height * image.channels) {
    throw new RangeError(
      `image data has ${image.data.length} bytes, expected ${width * height * image.channels}`,
    )
  }
  if (map.data.length !== width * height) {
    throw new RangeError(`mask data has ${map.data.length} bytes, expected ${width * height}`)
  }
}

/** Inverse of a symmetric 3×3 matrix [a b c; b d e; c e f] given as 6 values; returns 6 values. */
function invertSym3(m: number[]): number[] {
  const [a, b, c, d, e, f] = m
  const A = d * f - e * e
  const B = c * e - b * f
  const C = b * e - c * d
  const D = a * f - c * c
  const E = b * c - a * e
  const F = a * d - b * b
  const det = a * A + b * B + c * C
  return [A / det, B / det, C / det, D / det, E / det, F / det]
}

/**
 * Local colour models on a block grid: per block, blurred sums of the ring colours of each class,
 * read back with bilinear interpolation and shrunk towards the global class mean.
 */
class ColourModels {
  /** Per block: sumL r,g,b, cntL, sumB r,g,b, cntB. */
  private readonly grid: Float64Array
  readonly globalL: [number, number, number]
  readonly globalB: [number, number, number]
  /** Σ⁻¹ as 6 values (symmetric). */
  invCov: number[] = [1, 0, 0, 1, 0, 1]

  constructor(
    readonly bw: number,
    readonly bh: number,
    /** Cells per block. */
    readonly block: number,
    /** Prior weight of the global mean, in cells. */
    readonly prior: number,
    grid: Float64Array,
    globalL: [number, number, number],
    globalB: [number, number, number],
  ) {
    this.grid = grid
    this.globalL = globalL
    this.globalB = globalB
  }

  /** Writes μL and μB at cell coordinates (fx, fy) (cell centres at integers) into out[0..5]. */
  at(fx: number, fy: number, out: Float64Array): void {
    const { bw, bh, block, grid, prior } = this
    let gx = (fx + 0.5) / block - 0.5
    let gy = (fy + 0.5) / block - 0.5
    if (gx < 0) gx = 0
    else if (gx > bw - 1) gx = bw - 1
    if (gy < 0) gy = 0
    else if (gy > bh - 1) gy = bh - 1
    const x0 = Math.min(gx | 0, bw - 2 < 0 ? 0 : bw - 2)
    const y0 = Math.min(gy | 0, bh - 2 < 0 ? 0 : bh - 2)
    const x1 = bw > 1 ? x0 + 1 : x0
    const y1 = bh > 1 ? y0 + 1 : y0
    const ax = gx - x0
    const ay = gy - y0
    const w00 = (1 - ax) * (1 - ay)
    const w10 = ax * (1 - ay)
    const w01 = (1 - ax) * ay
    const w11 = ax * ay
    const i00 = (y0 * bw + x0) * 8
    const i10 = (y0 * bw + x1) * 8
    const i01 = (y1 * bw + x0) * 8
    const i11 = (y1 * bw + x1) * 8
    for (let k = 0; k < 8; k++) {
      out[k] = grid[i00 + k] * w00 + grid[i10 + k] * w10 + grid[i01 + k] * w01 + grid[i11 + k] * w11
    }
    const nL = out[3] + prior
    const nB = out[7] + prior
    const gL = this.globalL
    const gB = this.globalB
    // out[0..2] = μL, out[3..5] = μB
    const l0 = (out[0] + prior * gL[0]) / nL
    const l1 = (out[1] + prior * gL[1]) / nL
    const l2 = (out[2] + prior * gL[2]) / nL
    const b0 = (out[4] + prior * gB[0]) / nB
    const b1 = (out[5] + prior * gB[1]) / nB
    const b2 = (out[6] + prior * gB[2]) / nB
    out[0] = l0
    out[1] = l1
    out[2] = l2
    out[3] = b0
    out[4] = b1
    out[5] = b2
  }

  /** Log-likelihood ratio (lesion vs background) of colour c given models m (from `at`). */
  llr(c0: number, c1: number, c2: number, m: Float64Array): number {
    const u0 = m[0] - m[3]
    const u1 = m[1] - m[4]
    const u2 = m[2] - m[5]
    const d0 = c0 - 0.5 * (m[0] + m[3])
    const d1 = c1 - 0.5 * (m[1] + m[4])
    const d2 = c2 - 0.5 * (m[2] + m[5])
    const [a, b, c, d, e, f] = this.invCov
    const v0 = a * u0 + b * u1 + c * u2
    const v1 = b * u0 + d * u1 + e * u2
    const v2 = c * u0 + e * u1 + f * u2
    const r = d0 * v0 + d1 * v1 + d2 * v2
    return r > LLR_CLIP ? LLR_CLIP : r < -LLR_CLIP ? -LLR_CLIP : r
  }
}

/** Separable [1 2 1]/4 blur, `passes` times, on an interleaved grid of `ch` values per block. */
function blurBlocks(grid: Float64Array, bw: number, bh: number, ch: number, passes: number): void {
  const tmp = new Float64Array(grid.length)
  for (let p = 0; p < passes; p++) {
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        const xl = x > 0 ? x - 1 : x
        const xr = x < bw - 1 ? x + 1 : x
        const i = (y * bw + x) * ch
        const il = (y * bw + xl) * ch
        const ir = (y * bw + xr) * ch
        for (let k = 0; k < ch; k++)
          tmp[i + k] = 0.25 * grid[il + k] + 0.5 * grid[i + k] + 0.25 * grid[ir + k]
      }
    }
    for (let y = 0; y < bh; y++) {
      const yu = y > 0 ? y - 1 : y
      const yd = y < bh - 1 ? y + 1 : y
      for (let x = 0; x < bw; x++) {
        const i = (y * bw + x) * ch
        const iu = (yu * bw + x) * ch
        const id = (yd * bw + x) * ch
        for (let k = 0; k < ch; k++) grid[i + k] = 0.25 * tmp[iu + k] + 0.5 * tmp[i + k] + 0.25 * tmp[id + k]
      }
    }
  }
}

/** Bounding box of the uncertain pixels and their count. */
function uncertainBox(map: LabelMap): { rect: AssistRect; count: number } {
  const { width, height, data } = map
  let x0 = width
  let y0 = height
  let x1 = -1
  let y1 = -1
  let count = 0
  for (let y = 0; y < height; y++) {
    const row = y * width
    let first = -1
    let last = -1
    for (let x = 0; x < width; x++) {
      if (data[row + x] === LABEL_UNCERTAIN) {
        if (first < 0) first = x
        last = x
        count++
      }
    }
    if (first >= 0) {
      if (first < x0) x0 = first
      if (last > x1) x1 = last
      if (y < y0) y0 = y
      y1 = y
    }
  }
  if (count === 0) return { rect: { x: 0, y: 0, width: 0, height: 0 }, count }
  return { rect: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }, count }
}

/**
 * Threshold on the black-hat (closed − raw luminance) above which a cell is hair: well above the
 * spread the noise gives it (median + 4 × (90th percentile − median), at least 30 levels of the
 * 0..765 channel sum).
 */
function blackHatThreshold(lum: Float32Array, closedLum: Float32Array): number {
  const n = lum.length
  const step = Math.max(1, Math.floor(n / 20000))
  const sample = new Float32Array(Math.ceil(n / step))
  for (let c = 0, k = 0; c < n; c += step, k++) sample[k] = closedLum[c] - lum[c]
  sample.sort()
  const med = sample[sample.length >> 1]
  const q90 = sample[Math.floor(sample.length * 0.9)]
  return med + Math.max(30, 4 * (q90 - med))
}

/** The working grid: cell colours, luminance and labels over the region [rx0, rx0+rw) × [ry0, ry0+rh). */
interface WorkGrid {
  rx0: number
  ry0: number
  rw: number
  rh: number
  s: number
  cw: number
  ch: number
  /** Mean colour per cell, 3 values. */
  col: Float32Array
  /** Channel sum of the mean colour (0..765). */
  lum: Float32Array
  /** 0, 1, or 255 for cells holding uncertain pixels (or both certain labels). */
  lab: Uint8Array
  /** Cell column of each region column. */
  cellOfCol: Int32Array
}

function buildGrid(
  image: AssistImage,
  map: LabelMap,
  rx0: number,
  ry0: number,
  rw: number,
  rh: number,
  s: number,
): WorkGrid {
  const W = map.width
  const src = map.data
  const cw = Math.ceil(rw / s)
  const ch = Math.ceil(rh / s)
  const nc = cw * ch
  const col = new Float32Array(nc * 3)
  const lum = new Float32Array(nc)
  /** bit 0 background, bit 1 lesion, bit 2 uncertain. */
  const flags = new Uint8Array(nc)
  const cellOfCol = new Int32Array(rw)
  for (let x = 0; x < rw; x++) cellOfCol[x] = Math.floor(x / s)
  const img = image.data
  const C = image.channels
  if (s === 1) {
    for (let y = 0; y < rh; y++) {
      let p = ((ry0 + y) * W + rx0) * C
      let m = (ry0 + y) * W + rx0
      for (let c = y * cw, e = c + rw; c < e; c++, p += C, m++) {
        const r = img[p]
        const g = img[p + 1]
        const b = img[p + 2]
        col[3 * c] = r
        col[3 * c + 1] = g
        col[3 * c + 2] = b
        lum[c] = r + g + b
        const v = src[m]
        flags[c] = v === LABEL_UNCERTAIN ? 4 : v === LABEL_LESION ? 2 : 1
      }
    }
  } else {
    // Row by row: each cell's s pixels of the row are summed in registers, then added once.
    for (let y = 0; y < rh; y++) {
      const cy = Math.floor(y / s) * cw
      const p0 = ((ry0 + y) * W + rx0) * C
      const m0 = (ry0 + y) * W + rx0
      for (let cx = 0; cx < cw; cx++) {
        const x0 = cx * s
        const x1 = Math.min(rw, x0 + s)
        let r = 0
        let g = 0
        let b = 0
        let f = 0
        for (let x = x0, p = p0 + x0 * C; x < x1; x++, p += C) {
          r += img[p]
          g += img[p + 1]
          b += img[p + 2]
          const v = src[m0 + x]
          f |= v === LABEL_UNCERTAIN ? 4 : v === LABEL_LESION ? 2 : 1
        }
        const c = cy + cx
        col[3 * c] += r
        col[3 * c + 1] += g
        col[3 * c + 2] += b
        flags[c] |= f
      }
    }
    for (let cy = 0; cy < ch; cy++) {
      const hy = Math.min(rh, (cy + 1) * s) - cy * s
      for (let cx = 0; cx < cw; cx++) {
        const c = cy * cw + cx
        const k = 1 / (hy * (Math.min(rw, (cx + 1) * s) - cx * s))
        const r = col[3 * c] * k
        const g = col[3 * c + 1] * k
        const b = col[3 * c + 2] * k
        col[3 * c] = r
        col[3 * c + 1] = g
        col[3 * c + 2] = b
        lum[c] = r + g + b
      }
    }
  }
  const lab = new Uint8Array(nc)
  for (let c = 0; c < nc; c++) {
    const f = flags[c]
    lab[c] = f === 1 ? LABEL_BACKGROUND : f === 2 ? LABEL_LESION : LABEL_UNCERTAIN
  }
  return { rx0, ry0, rw, rh, s, cw, ch, col, lum, lab, cellOfCol }
}

/** A smooth multiplicative illumination field over the working grid (cell coordinates). */
interface Illumination {
  gain(fx: number, fy: number): number
}

/**
 * Least-squares fit of log(luminance) of the background ring cells by a quadratic in the cell
 * position; the gain is its exponential, normalised to mean 1 over the samples and clamped to
 * [e^-1.5, e^1.5]. Null when there are too few samples.
 */
function fitIllumination(grid: WorkGrid, ring: Uint8Array): Illumination | null {
  const { cw, ch, lum, lab } = grid
  const hx = cw / 2
  const hy = ch / 2
  const ata = new Float64Array(36)
  const atb = new Float64Array(6)
  const f = new Float64Array(6)
  let n = 0
  const step = Math.max(1, Math.floor(Math.sqrt((cw * ch) / 250000)))
  for (let y = 0; y < ch; y += step) {
    for (let x = 0; x < cw; x += step) {
      const c = y * cw + x
      if (ring[c] === 0 || lab[c] !== LABEL_BACKGROUND) continue
      const u = (x - hx) / hx
      const v = (y - hy) / hy
      f[0] = 1
      f[1] = u
      f[2] = v
      f[3] = u * u
      f[4] = u * v
      f[5] = v * v
      const t = Math.log(lum[c] + 1)
      for (let i = 0; i < 6; i++) {
        atb[i] += f[i] * t
        for (let j = 0; j < 6; j++) ata[6 * i + j] += f[i] * f[j]
      }
      n++
    }
  }
  if (n < 60) return null
  // The fit's mean over the samples is the samples' mean (least squares with an intercept).
  const mean = atb[0] / n
  // Ridge on the non-constant terms: where the samples span little of the grid (a narrow strip),
  // the slope and curvature shrink to 0 instead of extrapolating wildly.
  for (let i = 1; i < 6; i++) ata[7 * i] += ILLUMINATION_RIDGE * n
  const coef = solve6(ata, atb)
  if (!coef) return null
  const poly = (u: number, v: number): number =>
    coef[0] + coef[1] * u + coef[2] * v + coef[3] * u * u + coef[4] * u * v + coef[5] * v * v
  return {
    gain(fx: number, fy: number): number {
      let e = poly((fx - hx) / hx, (fy - hy) / hy) - mean
      if (e > 1.5) e = 1.5
      else if (e < -1.5) e = -1.5
      return Math.exp(e)
    },
  }
}

/** Solves the 6×6 system a·x = b by Gaussian elimination with partial pivoting (a, b are overwritten). */
function solve6(a: Float64Array, b: Float64Array): Float64Array | null {
  const n = 6
  for (let k = 0; k < n; k++) {
    let p = k
    for (let i = k + 1; i < n; i++) if (Math.abs(a[6 * i + k]) > Math.abs(a[6 * p + k])) p = i
    if (Math.abs(a[6 * p + k]) < 1e-12) return null
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[6 * k + j]
        a[6 * k + j] = a[6 * p + j]
        a[6 * p + j] = t
      }
      const t = b[k]
      b[k] = b[p]
      b[p] = t
    }
    for (let i = k + 1; i < n; i++) {
      const m = a[6 * i + k] / a[6 * k + k]
      for (let j = k; j < n; j++) a[6 * i + j] -= m * a[6 * k + j]
      b[i] -= m * b[k]
    }
  }
  const x = new Float64Array(n)
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]
    for (let j = i + 1; j < n; j++) s -= a[6 * i + j] * x[j]
    x[i] = s / a[6 * i + i]
  }
  return x
}

/**
 * Colour models from the certain, hair-free cells within `ringC` cells of an uncertain one: local
 * means on blocks of about ringC cells and the pooled within-class covariance.
 */
function learnModels(
  grid: WorkGrid,
  hair: Uint8Array,
  ringC: number,
  flatten: boolean,
  /** Radius around the uncertain cells whose colours are read later (data window, smoothness). */
  reach: number,
): { models: ColourModels; ring: Uint8Array; light: Illumination | null } {
  const { cw, ch, col, lum, lab } = grid
  const nc = cw * ch
  const unknownSite = new Uint8Array(nc)
  for (let c = 0; c < nc; c++) if (lab[c] === LABEL_UNCERTAIN) unknownSite[c] = 1
  const nearestUnknown = nearestSite(cw, ch, unknownSite)
  const ring2 = ringC * ringC
  const ring = new Uint8Array(nc)
  const block = Math.max(4, Math.round(ringC))
  const bw = Math.ceil(cw / block)
  const bh = Math.ceil(ch / block)
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const c = y * cw + x
      if (lab[c] === LABEL_UNCERTAIN || hair[c] !== 0) continue
      const q = nearestUnknown[c]
      const qy = Math.floor(q / cw)
      const dx = q - qy * cw - x
      const dy = qy - y
      if (dx * dx + dy * dy <= ring2) ring[c] = 1
    }
  }
  // Flatten the illumination (vignette, uneven lighting): a quadratic fit of the log luminance of
  // the background ring, divided out of every cell colour.
  const light = flatten ? fitIllumination(grid, ring) : null
  if (light) {
    // Only the cells read later: the ring, and the uncertain cells with their window neighbours.
    const done = new Uint8Array(nc)
    const apply = (x: number, y: number): void => {
      const c = y * cw + x
      if (done[c] !== 0) return
      done[c] = 1
      const k = 1 / light.gain(x, y)
      col[3 * c] *= k
      col[3 * c + 1] *= k
      col[3 * c + 2] *= k
      lum[c] *= k
    }
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        const c = y * cw + x
        if (ring[c] !== 0) apply(x, y)
        else if (unknownSite[c] !== 0) {
          for (let yy = Math.max(0, y - reach); yy <= Math.min(ch - 1, y + reach); yy++) {
            for (let xx = Math.max(0, x - reach); xx <= Math.min(cw - 1, x + reach); xx++) apply(xx, yy)
          }
        }
      }
    }
  }
  const sums = new Float64Array(bw * bh * 8)
  const gl = [0, 0, 0, 0]
  const gb = [0, 0, 0, 0]
  for (let y = 0; y < ch; y++) {
    const by = Math.floor(y / block) * bw
    for (let x = 0; x < cw; x++) {
      const c = y * cw + x
      if (ring[c] === 0) continue
      const l = lab[c]
      const o = (by + Math.floor(x / block)) * 8 + (l === LABEL_LESION ? 0 : 4)
      const r0 = col[3 * c]
      const r1 = col[3 * c + 1]
      const r2 = col[3 * c + 2]
      sums[o] += r0
      sums[o + 1] += r1
      sums[o + 2] += r2
      sums[o + 3] += 1
      const acc = l === LABEL_LESION ? gl : gb
      acc[0] += r0
      acc[1] += r1
      acc[2] += r2
      acc[3] += 1
    }
  }
  // A class without any certain sample (a map with no lesion, say) falls back on the darker or the
  // brighter half of the uncertain cells.
  const fallback = (dark: boolean): [number, number, number] => {
    const l: number[] = []
    for (let c = 0; c < nc; c++) if (lab[c] === LABEL_UNCERTAIN) l.push(lum[c])
    const sorted = Float64Array.from(l).sort()
    const med = sorted[sorted.length >> 1]
    const acc = [0, 0, 0, 0]
    for (let c = 0; c < nc; c++) {
      if (lab[c] !== LABEL_UNCERTAIN || (dark ? lum[c] > med : lum[c] < med)) continue
      acc[0] += col[3 * c]
      acc[1] += col[3 * c + 1]
      acc[2] += col[3 * c + 2]
      acc[3]++
    }
    return [acc[0] / acc[3], acc[1] / acc[3], acc[2] / acc[3]]
  }
  const globalL: [number, number, number] =
    gl[3] > 0 ? [gl[0] / gl[3], gl[1] / gl[3], gl[2] / gl[3]] : fallback(true)
  const globalB: [number, number, number] =
    gb[3] > 0 ? [gb[0] / gb[3], gb[1] / gb[3], gb[2] / gb[3]] : fallback(false)
  blurBlocks(sums, bw, bh, 8, 2)
  const models = new ColourModels(bw, bh, block, 0.1 * block * block, sums, globalL, globalB)

  // Pooled within-class covariance around the local means (+1 on the diagonal: quantisation).
  const m = new Float64Array(8)
  const cov = [0, 0, 0, 0, 0, 0]
  let n = 0
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const c = y * cw + x
      if (ring[c] === 0) continue
      models.at(x, y, m)
      const o = lab[c] === LABEL_LESION ? 0 : 3
      const d0 = col[3 * c] - m[o]
      const d1 = col[3 * c + 1] - m[o + 1]
      const d2 = col[3 * c + 2] - m[o + 2]
      cov[0] += d0 * d0
      cov[1] += d0 * d1
      cov[2] += d0 * d2
      cov[3] += d1 * d1
      cov[4] += d1 * d2
      cov[5] += d2 * d2
      n++
    }
  }
  const k = n > 0 ? 1 / n : 0
  models.invCov = invertSym3([
    cov[0] * k + 1,
    cov[1] * k,
    cov[2] * k,
    cov[3] * k + 1,
    cov[4] * k,
    cov[5] * k + 1,
  ])
  return { models, ring, light }
}

/**
 * Proposes a label for every uncertain pixel of `map` from `image`. Certain pixels are copied
 * unchanged; the result holds only 0 and 1 where the map held 255. Throws RangeError when the
 * image and the map do not match.
 */
export function proposeResolution(image: AssistImage, map: LabelMap, opts: ResolveOptions = {}): Proposal {
  const t0 = now()
  validate(image, map)
  const { width: W, height: H } = map
  const src = map.data
  const labels = src.slice()
  const { rect, count } = uncertainBox(map)
  const stats: ResolveStats = {
    uncertain: count,
    toLesion: 0,
    toBackground: 0,
    scale: 1,
    coarseNodes: 0,
    refineNodes: 0,
    hairCells: 0,
    contrast: 0,
    ms: { total: 0, grid: 0, models: 0, cut: 0, refine: 0 },
  }
  if (count === 0) {
    stats.ms.total = now() - t0
    return { labels, rect, stats }
  }

  const S = Math.min(W, H)
  const hairWidth = option(opts.hairWidth, Math.max(4, 0.006 * S), 0)
  const ringWidth = option(opts.ringWidth, Math.max(8, 0.03 * S), 1)
  const lambda = option(opts.smoothness, DEFAULT_SMOOTHNESS, 0)
  const maxWork = option(opts.maxWorkPixels, DEFAULT_MAX_WORK_PIXELS, 1)
  const dataRadius = Math.floor(option(opts.dataRadius, 1, 0))

  // ---- 1. Working grid over the uncertain box plus a margin.
  const margin = Math.ceil(ringWidth + hairWidth)
  const rx0 = Math.max(0, rect.x - margin)
  const ry0 = Math.max(0, rect.y - margin)
  const rw = Math.min(W, rect.x + rect.width + margin) - rx0
  const rh = Math.min(H, rect.y + rect.height + margin) - ry0
  const s = Math.floor(option(opts.scale, Math.ceil(Math.sqrt((rw * rh) / maxWork)), 1))
  stats.scale = s
  const grid = buildGrid(image, map, rx0, ry0, rw, rh, s)
  const { cw, ch, col, lum, lab } = grid
  const nc = cw * ch

  // ---- 2. Hair: cells much darker than the closing of their neighbourhood (black-hat). They get no
  // data term and weigh as uniform colour in the smoothness term: the cut goes through them as if
  // they were not there.
  const hw = hairWidth / s
  const rClose = s === 1 ? Math.ceil(hw / 2) : Math.ceil((hw + 1) / 2)
  const closedLum = closing(lum, cw, ch, 1, rClose)
  const hairThreshold = blackHatThreshold(lum, closedLum)
  const hair = new Uint8Array(nc)
  for (let c = 0; c < nc; c++) {
    if (closedLum[c] - lum[c] > hairThreshold) {
      hair[c] = 1
      stats.hairCells++
    }
  }
  const t1 = now()
  stats.ms.grid = t1 - t0

  // ---- 3. Colour models and data terms.
  const { models, ring, light } = learnModels(
    grid,
    hair,
    ringWidth / s,
    opts.flattenIllumination !== false,
    Math.max(1, dataRadius),
  )
  const node = new Int32Array(nc).fill(-1)
  let nn = 0
  for (let c = 0; c < nc; c++) if (lab[c] === LABEL_UNCERTAIN) node[c] = nn++
  const cells = new Int32Array(nn)
  for (let c = 0; c < nc; c++) if (node[c] >= 0) cells[node[c]] = c
  stats.coarseNodes = nn
  const llr = new Float32Array(nn)
  const m = new Float64Array(8)
  let contrastSum = 0
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const c = y * cw + x
      const v = node[c]
      if (v < 0) continue
      models.at(x, y, m)
      if (hair[c] === 0) {
        // Mean colour of the hair-free cells in a (2·dataRadius+1)² window: the data term is linear in
        // the colour, so this averages the pixels' evidence; a symmetric window keeps a straight
        // edge's half-way crossing in place.
        let r0 = 0
        let r1 = 0
        let r2 = 0
        let k = 0
        for (let yy = Math.max(0, y - dataRadius); yy <= Math.min(ch - 1, y + dataRadius); yy++) {
          for (let xx = Math.max(0, x - dataRadius); xx <= Math.min(cw - 1, x + dataRadius); xx++) {
            const q = yy * cw + xx
            if (hair[q] !== 0) continue
            r0 += col[3 * q]
            r1 += col[3 * q + 1]
            r2 += col[3 * q + 2]
            k++
          }
        }
        llr[v] = models.llr(r0 / k, r1 / k, r2 / k, m)
      }
      contrastSum += Math.hypot(m[0] - m[3], m[1] - m[4], m[2] - m[5])
    }
  }
  stats.contrast = contrastSum / nn
  const t2 = now()
  stats.ms.models = t2 - t1

  // ---- 4. Coarse graph cut.
  const cutLab = cutGrid(grid, hair, node, cells, llr, lambda)
  const t3 = now()
  stats.ms.cut = t3 - t2

  // ---- 5. Write back; refine along the cut at full resolution.
  let toLesion = 0
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const cy = Math.floor((y - ry0) / s) * cw
    for (let x = rect.x, i = y * W + rect.x; x < rect.x + rect.width; x++, i++) {
      if (src[i] !== LABEL_UNCERTAIN) continue
      const l = cutLab[cy + grid.cellOfCol[x - rx0]]
      labels[i] = l
      toLesion += l
    }
  }
  if (s > 1 && opts.refine !== false) {
    const r = refine(
      image,
      map,
      labels,
      grid,
      cutLab,
      closedLum,
      ring,
      models,
      hairThreshold,
      lambda,
      dataRadius,
      light,
    )
    stats.refineNodes = r.nodes
    toLesion += r.toLesion
  }
  stats.toLesion = toLesion
  stats.toBackground = count - toLesion
  stats.ms.refine = now() - t3
  stats.ms.total = now() - t0
  return { labels, rect, stats }
}

/** The 8-neighbourhood as dx, dy: the forward half (E, S, SE, SW), then the backward half. */
const ALL_DX = [1, 0, 1, -1, -1, 0, -1, 1]
const ALL_DY = [0, 1, 1, 1, 0, -1, -1, -1]

/**
 * Min cut over the uncertain cells of the grid. Returns the cell labels with every uncertain cell
 * resolved to 0 or 1.
 */
function cutGrid(
  grid: WorkGrid,
  hair: Uint8Array,
  node: Int32Array,
  cells: Int32Array,
  llr: Float32Array,
  lambda: number,
): Uint8Array {
  const { cw, ch, col, lab } = grid
  const nn = cells.length
  const out = lab.slice()
  // β: mean squared colour difference over the hair-free pairs from an uncertain cell to its right
  // and lower neighbours.
  let sum = 0
  let pairs = 0
  for (let v = 0; v < nn; v++) {
    const c = cells[v]
    if (hair[c] !== 0) continue
    const x = c % cw
    if (x + 1 < cw && hair[c + 1] === 0) {
      sum += diff2(col, c, c + 1)
      pairs++
    }
    if (c + cw < cw * ch && hair[c + cw] === 0) {
      sum += diff2(col, c, c + cw)
      pairs++
    }
  }
  const inv2Beta = pairs > 0 && sum > 0 ? pairs / (2 * sum) : 0
  const g = new MaxFlow(nn, nn * 4)
  for (let v = 0; v < nn; v++) {
    const d = llr[v]
    if (d > 0) g.addTerminal(v, d, 0)
    else if (d < 0) g.addTerminal(v, 0, -d)
  }
  for (let v = 0; v < nn; v++) {
    const c = cells[v]
    const y = Math.floor(c / cw)
    const x = c - y * cw
    // Edges to other nodes once (forward half), pins to certain cells on all 8 sides.
    for (let k = 0; k < 8; k++) {
      const nx = x + ALL_DX[k]
      const ny = y + ALL_DY[k]
      if (nx < 0 || nx >= cw || ny < 0 || ny >= ch) continue
      const q = ny * cw + nx
      const vq = node[q]
      if (vq >= 0 && k >= 4) continue
      const contrast = hair[c] !== 0 || hair[q] !== 0 ? 1 : Math.exp(-diff2(col, c, q) * inv2Beta)
      const w = lambda * (k === 0 || k === 1 || k === 4 || k === 5 ? 1 : SQRT1_2) * contrast
      if (vq >= 0) g.addEdge(v, vq, w, w)
      else pinTo(g, v, lab[q], w)
    }
  }
  g.maxflow()
  for (let v = 0; v < nn; v++) {
    out[cells[v]] = g.isSource(v, llr[v] > 0 ? 'source' : 'sink') ? LABEL_LESION : LABEL_BACKGROUND
  }
  return out
}

/** A fixed neighbour of label `lab` across an edge of weight w: cost w if v takes the other label. */
function pinTo(g: MaxFlow, v: number, lab: number, w: number): void {
  if (lab === LABEL_LESION) g.addTerminal(v, w, 0)
  else g.addTerminal(v, 0, w)
}

function diff2(col: Float32Array, a: number, b: number): number {
  const d0 = col[3 * a] - col[3 * b]
  const d1 = col[3 * a + 1] - col[3 * b + 1]
  const d2 = col[3 * a + 2] - col[3 * b + 2]
  return d0 * d0 + d1 * d1 + d2 * d2
}

/**
 * Full-resolution cut over the uncertain pixels of the cells next to a label change of the coarse
 * result; every other pixel is fixed (certain, or resolved with its cell). Returns the number of
 * refined pixels.
 */
function refine(
  image: AssistImage,
  map: LabelMap,
  labels: Uint8Array,
  grid: WorkGrid,
  cutLab: Uint8Array,
  closedLum: Float32Array,
  ring: Uint8Array,
  models: ColourModels,
  hairThreshold: number,
  lambda: number,
  dataRadius: number,
  light: Illumination | null,
): { nodes: number; toLesion: number } {
  const { rx0, ry0, rw, rh, s, cw, ch, col, lab } = grid
  const { width: W, height: H, data: src } = map
  // Cells to refine: uncertain cells with a differently labelled cell among their 8 neighbours.
  const edgeIdx = new Int32Array(cw * ch).fill(-1)
  let edgeCells = 0
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const c = y * cw + x
      if (lab[c] !== LABEL_UNCERTAIN) continue
      const l = cutLab[c]
      for (let k = 0; k < 8; k++) {
        const xx = x + ALL_DX[k]
        const yy = y + ALL_DY[k]
        if (xx >= 0 && xx < cw && yy >= 0 && yy < ch && cutLab[yy * cw + xx] !== l) {
          edgeIdx[c] = edgeCells++
          break
        }
      }
    }
  }
  if (edgeCells === 0) return { nodes: 0, toLesion: 0 }

  // Nodes: the uncertain pixels of the edge cells, indexed through a per-cell s×s table.
  const ss = s * s
  const table = new Int32Array(edgeCells * ss).fill(-1)
  const pix: number[] = []
  for (let cy = 0; cy < ch; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      const e = edgeIdx[cy * cw + cx]
      if (e < 0) continue
      const yEnd = Math.min(rh, (cy + 1) * s)
      const xEnd = Math.min(rw, (cx + 1) * s)
      for (let y = cy * s; y < yEnd; y++) {
        for (let x = cx * s; x < xEnd; x++) {
          const i = (ry0 + y) * W + rx0 + x
          if (src[i] !== LABEL_UNCERTAIN) continue
          table[e * ss + (y - cy * s) * s + (x - cx * s)] = pix.length
          pix.push(i)
        }
      }
    }
  }
  const n = pix.length
  /** Node of pixel (px, py), or -1. */
  const nodeAt = (px: number, py: number): number => {
    const x = px - rx0
    const y = py - ry0
    if (x < 0 || y < 0 || x >= rw || y >= rh) return -1
    const cx = grid.cellOfCol[x]
    const cy = Math.floor(y / s)
    const e = edgeIdx[cy * cw + cx]
    return e < 0 ? -1 : table[e * ss + (y - cy * s) * s + (x - cx * s)]
  }

  const img = image.data
  const C = image.channels
  const m = new Float64Array(8)
  const mean = new Float64Array(3)
  /**
   * Hair test of pixel j: darker than its cell's closed luminance by more than the local
   * lesion–background contrast (from m) plus the hair threshold.
   */
  const isHairPixel = (j: number): boolean => {
    const y = Math.floor(j / W)
    const x = j - y * W - rx0
    const yy = y - ry0
    if (x < 0 || yy < 0 || x >= rw || yy >= rh) return false
    const q = j * C
    const contrast = Math.abs(m[0] + m[1] + m[2] - m[3] - m[4] - m[5])
    return (
      closedLum[Math.floor(yy / s) * cw + grid.cellOfCol[x]] - (img[q] + img[q + 1] + img[q + 2]) >
      contrast + hairThreshold
    )
  }
  /** Mean colour of the hair-free pixels in the (2·dataRadius+1)² window around (px, py), into `mean`. */
  const windowMean = (px: number, py: number): void => {
    let r0 = 0
    let r1 = 0
    let r2 = 0
    let k = 0
    for (let y = Math.max(0, py - dataRadius); y <= Math.min(H - 1, py + dataRadius); y++) {
      for (let x = Math.max(0, px - dataRadius); x <= Math.min(W - 1, px + dataRadius); x++) {
        const j = y * W + x
        if (isHairPixel(j)) continue
        const q = j * C
        r0 += img[q]
        r1 += img[q + 1]
        r2 += img[q + 2]
        k++
      }
    }
    if (k === 0) {
      const q = (py * W + px) * C
      mean[0] = img[q]
      mean[1] = img[q + 1]
      mean[2] = img[q + 2]
    } else {
      mean[0] = r0 / k
      mean[1] = r1 / k
      mean[2] = r2 / k
    }
    if (light) {
      const g = 1 / light.gain((px - rx0 + 0.5) / s - 0.5, (py - ry0 + 0.5) / s - 0.5)
      mean[0] *= g
      mean[1] *= g
      mean[2] *= g
    }
  }
  // Noise of the pixel data term relative to the cells' (from one pixel window per ring cell):
  // rescales the data term, learnt on cell means, to pixel windows.
  let varFull = 0
  let varCell = 0
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const c = y * cw + x
      if (ring[c] === 0) continue
      const px = rx0 + Math.min(rw - 1, x * s + (s >> 1))
      const py = ry0 + Math.min(rh - 1, y * s + (s >> 1))
      models.at(x, y, m)
      windowMean(px, py)
      const own = lab[c] === LABEL_LESION ? 0 : 3
      const centre = models.llr(m[own], m[own + 1], m[own + 2], m)
      const a = models.llr(mean[0], mean[1], mean[2], m) - centre
      const b = models.llr(col[3 * c], col[3 * c + 1], col[3 * c + 2], m) - centre
      varFull += a * a
      varCell += b * b
    }
  }
  const dataScale = varFull > 0 ? Math.min(1, Math.max(varCell / varFull, 1 / ss)) : 1 / ss

  // Colours, hair flags and data terms.
  const rgb = new Float32Array(n * 3)
  const isHair = new Uint8Array(n)
  const data = new Float32Array(n)
  for (let v = 0; v < n; v++) {
    const i = pix[v]
    const py = Math.floor(i / W)
    const px = i - py * W
    models.at((px - rx0 + 0.5) / s - 0.5, (py - ry0 + 0.5) / s - 0.5, m)
    const q = i * C
    rgb[3 * v] = img[q]
    rgb[3 * v + 1] = img[q + 1]
    rgb[3 * v + 2] = img[q + 2]
    if (isHairPixel(i)) {
      isHair[v] = 1
      continue
    }
    windowMean(px, py)
    data[v] = models.llr(mean[0], mean[1], mean[2], m) * dataScale
  }

  let sum = 0
  let pairs = 0
  for (let v = 0; v < n; v++) {
    if (isHair[v] !== 0) continue
    const i = pix[v]
    const py = Math.floor(i / W)
    const u = nodeAt(i - py * W + 1, py)
    if (u >= 0 && isHair[u] === 0) {
      const d0 = rgb[3 * v] - rgb[3 * u]
      const d1 = rgb[3 * v + 1] - rgb[3 * u + 1]
      const d2 = rgb[3 * v + 2] - rgb[3 * u + 2]
      sum += d0 * d0 + d1 * d1 + d2 * d2
      pairs++
    }
  }
  const inv2Beta = pairs > 0 && sum > 0 ? pairs / (2 * sum) : 0

  const g = new MaxFlow(n, n * 4)
  for (let v = 0; v < n; v++) {
    const d = data[v]
    if (d > 0) g.addTerminal(v, d, 0)
    else if (d < 0) g.addTerminal(v, 0, -d)
  }
  for (let v = 0; v < n; v++) {
    const i = pix[v]
    const y = Math.floor(i / W)
    const x = i - y * W
    // Edges to other nodes once (forward half), pins to fixed pixels on all 8 sides.
    for (let k = 0; k < 8; k++) {
      const nx = x + ALL_DX[k]
      const ny = y + ALL_DY[k]
      if (nx < 0 || nx >= W || ny < 0 || ny >= H) continue
      const u = nodeAt(nx, ny)
      if (u >= 0 && k >= 4) continue
      const j = ny * W + nx
      let contrast = 1
      if (isHair[v] === 0 && (u < 0 || isHair[u] === 0)) {
        const q = j * C
        const d0 = rgb[3 * v] - img[q]
        const d1 = rgb[3 * v + 1] - img[q + 1]
        const d2 = rgb[3 * v + 2] - img[q + 2]
        contrast = Math.exp(-(d0 * d0 + d1 * d1 + d2 * d2) * inv2Beta)
      }
      const w = lambda * (k === 0 || k === 1 || k === 4 || k === 5 ? 1 : SQRT1_2) * contrast
      if (u >= 0) g.addEdge(v, u, w, w)
      else pinTo(g, v, labels[j], w)
    }
  }
  g.maxflow()
  let toLesion = 0
  for (let v = 0; v < n; v++) {
    const i = pix[v]
    const before = labels[i]
    const after = g.isSource(v, before === LABEL_LESION ? 'source' : 'sink') ? LABEL_LESION : LABEL_BACKGROUND
    labels[i] = after
    toLesion += after - before
  }
  return { nodes: n, toLesion }
}

/**
 * The proposal as one undoable patch over its rectangle: `before` from the current map, `after`
 * from the proposal (both row-major, rect.width × rect.height).
 */
export function proposalPatch(map: LabelMap, proposal: Proposal): AssistPatch {
  const { rect, labels } = proposal
  const size = rect.width * rect.height
  const before = new Uint8Array(size)
  const after = new Uint8Array(size)
  for (let y = 0; y < rect.height; y++) {
    const from = (rect.y + y) * map.width + rect.x
    before.set(map.data.subarray(from, from + rect.width), y * rect.width)
    after.set(labels.subarray(from, from + rect.width), y * rect.width)
  }
  return { rect: { ...rect }, before, after }
}

/**
 * The proposal as a run-length patch: `runs` holds [start, length, …] (start = y·width + x, one row
 * per run, sorted, disjoint) over exactly the formerly uncertain pixels, with their values before
 * (all 255) and after (0 or 1), run after run. Every listed pixel changes, so the patch is minimal;
 * `rect` is the runs' bounding box. Structurally the editor's Patch of shared/labels/patch.ts.
 */
export function proposalRunPatch(
  map: LabelMap,
  proposal: Proposal,
): { width: number; rect: AssistRect; runs: Uint32Array; before: Uint8Array; after: Uint8Array } {
  const { width, data } = map
  const { rect, labels } = proposal
  const runs: number[] = []
  const before = new Uint8Array(proposal.stats.uncertain).fill(LABEL_UNCERTAIN)
  const after = new Uint8Array(proposal.stats.uncertain)
  let k = 0
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const row = y * width
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      if (data[row + x] !== LABEL_UNCERTAIN) continue
      const start = row + x
      while (x + 1 < rect.x + rect.width && data[row + x + 1] === LABEL_UNCERTAIN) x++
      const end = row + x + 1
      runs.push(start, end - start)
      after.set(labels.subarray(start, end), k)
      k += end - start
    }
  }
  return { width, rect: { ...rect }, runs: Uint32Array.from(runs), before, after }
}
