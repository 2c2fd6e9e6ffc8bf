/**
 * The decision on the working grid: a per-cell logistic classifier of lesion vs background that
 * combines the geometric prior with the image.
 *
 * Geometry: every uncertain cell of the band gets the band coordinate t = d_bg / (d_bg + d_lesion)
 * (0 on the certain background side, 1 on the certain lesion side; t > 0.5 is exactly the
 * nearest-certain-label answer). Image: its colour (3×3 hair-free mean) against the local colours
 * of the two sides (certain cells next to the band, taken at the cell's nearest certain cell of each
 * side), and its distance to the nearest pigment (certain lesion, or band cells nearer the lesion
 * colour than the skin colour), in resolution-independent units. The weights (params.ts) are fitted
 * on real dermoscopy by bench/assist/fit.ts, which also chooses how much the image may pull away
 * from the geometry (params.imageWeight and params.abstainBelow, by the worst family's margin over
 * the nearest label: the safety net, applied in resolve.ts). Hair cells get the geometric terms only.
 *
 * Uncertain components that touch no certain lesion (stray blobs on the skin) stay background unless
 * clearly lesion-coloured; components that touch no background stay lesion.
 */
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN } from '../codes'
import { boxSum } from './boxFilter'
import { nearestSite } from './distance'
import type { WorkGrid } from './grid'
import { closing } from './morph'
import type { ResolveParams } from './params'

export interface GridDecision {
  /** Per cell 2·P(lesion) − 1 (> 0: lesion; its magnitude is the confidence). Certain cells ±1. */
  f: Float32Array
  /**
   * Band cells (touching both sides): the image part of their log-odds (bias included, geometry
   * excluded) and their contrast feature, so the geometry can be redone at full resolution.
   */
  band: Uint8Array
  zImage: Float32Array
  contrast: Float32Array
  /** Band coordinate t of the uncertain cells (0 on the background side, 1 on the lesion side). */
  t: Float32Array
  /** Uncertain cells of stray blobs on the skin taken as lesion by their colour (params.strayTheta). */
  strayLesion: Uint8Array
  /** Per cell, the nearest certain lesion / background cell (null when a side has none). */
  nl: Int32Array | null
  nb: Int32Array | null
  hairCells: number
  /** Median band width, in cells. */
  bandWidth: number
  evidenceMs: number
}

/**
 * Features of a band cell: 0–6 colour (evidenceFeatures), 7–8 distance to the nearest pigment
 * (units of min side / 750, capped at 30: d/10 and √d), 9 t − 0.5, 10 (t − 0.5)·contrast/100.
 */
export const EVIDENCE_FEATURES = 11
/** Features 0..GEOMETRY_FROM−1 come from the image; the rest are geometric. */
export const GEOMETRY_FROM = 9

/** The geometric part of the log-odds at band coordinate t for a cell of this contrast feature. */
export function geometricLogOdds(params: ResolveParams, t: number, contrast: number): number {
  return params.weights[9] * (t - 0.5) + params.weights[10] * (t - 0.5) * contrast
}

/**
 * The size of the geometric log-odds at band coordinate t (≥ 0): |geometricLogOdds|, 0 where the
 * fitted slope would turn the geometry around (it then says nothing). Its sign is the nearest
 * certain label's (resolve.ts), so that without the image the answer IS the nearest label.
 */
export function geometricMagnitude(params: ResolveParams, t: number, contrast: number): number {
  return Math.max(0, params.weights[9] + params.weights[10] * contrast) * Math.abs(t - 0.5)
}

/**
 * Colour features of a cell of colour (r, g, b) between the local lesion colour mL and background
 * colour mB: position u along mB→mL (0 = background colour, 1 = lesion colour, clipped to
 * [-1, 2]), the signed distances along that direction from each side and across it, the contrast
 * ‖mL − mB‖, and the luminance differences to each side (all in units of 100 levels).
 */
export function evidenceFeatures(
  r: number,
  g: number,
  b: number,
  mL: readonly number[],
  mB: readonly number[],
  out: Float32Array,
): void {
  const d0 = mL[0] - mB[0]
  const d1 = mL[1] - mB[1]
  const d2 = mL[2] - mB[2]
  const dd = d0 * d0 + d1 * d1 + d2 * d2
  const dn = Math.sqrt(dd) + 1e-6
  const v0 = r - mB[0]
  const v1 = g - mB[1]
  const v2 = b - mB[2]
  const along = (v0 * d0 + v1 * d1 + v2 * d2) / dn
  const across = Math.sqrt(Math.max(0, v0 * v0 + v1 * v1 + v2 * v2 - along * along))
  out[0] = Math.max(-1, Math.min(2, along / dn))
  out[1] = along / 100
  out[2] = (dn - along) / 100
  out[3] = across / 100
  out[4] = dn / 100
  const lum = r + g + b
  out[5] = (mB[0] + mB[1] + mB[2] - lum) / 100
  out[6] = (lum - mL[0] - mL[1] - mL[2]) / 100
}

/** Euclidean length (Math.hypot is several times slower in V8). */
function dist(dx: number, dy: number): number {
  return Math.sqrt(dx * dx + dy * dy)
}

/** Threshold on the black-hat above which a cell is hair: median + 4 × (p90 − median), ≥ 30. */
function blackHatThreshold(bh: Float32Array): number {
  const hist = new Uint32Array(800)
  for (let i = 0; i < bh.length; i++) hist[Math.max(0, Math.min(799, Math.round(bh[i])))]++
  const q = (p: number): number => {
    const target = p * bh.length
    let acc = 0
    for (let v = 0; v < 800; v++) {
      acc += hist[v]
      if (acc >= target) return v
    }
    return 799
  }
  const med = q(0.5)
  return Math.max(30, med + 4 * (q(0.9) - med))
}

/** Labels the 4-connected uncertain components: bit 1 = touches certain lesion, bit 2 = background. */
function componentContacts(lab: Uint8Array, cw: number, ch: number): Uint8Array {
  const n = cw * ch
  const comp = new Int32Array(n).fill(-1)
  const contact = new Uint8Array(n)
  const stack = new Int32Array(n)
  // The cells of the component being filled, in visiting order (members[0..count)).
  const members = new Int32Array(n)
  for (let seed = 0; seed < n; seed++) {
    if (lab[seed] !== LABEL_UNCERTAIN || comp[seed] >= 0) continue
    let top = 0
    stack[top++] = seed
    comp[seed] = seed
    let count = 0
    let bits = 0
    while (top > 0) {
      const i = stack[--top]
      members[count++] = i
      const y = Math.floor(i / cw)
      const x = i - y * cw
      for (let k = 0; k < 4; k++) {
        let j: number
        if (k === 0) j = x > 0 ? i - 1 : -1
        else if (k === 1) j = x + 1 < cw ? i + 1 : -1
        else if (k === 2) j = y > 0 ? i - cw : -1
        else j = y + 1 < ch ? i + cw : -1
        if (j < 0) continue
        const v = lab[j]
        if (v === LABEL_LESION) bits |= 1
        else if (v === LABEL_BACKGROUND) bits |= 2
        else if (comp[j] < 0) {
          comp[j] = seed
          stack[top++] = j
        }
      }
    }
    for (let m = 0; m < count; m++) contact[members[m]] = bits
  }
  return contact
}

/**
 * Decides every uncertain cell of the grid. `hairCells` = widest hair in cells, `ringCells` = how far
 * from the band the side colours are learnt.
 *
 * `geometryOnly` (the image weight is 0, resolve.ts): only what the geometric terms and the fixed
 * answers need — band flags, t, contrast (the side colours, hence the hair), the stray-blob colour
 * rule — bit for bit as in the full decision; the band cells' own colours, the pigment transform and
 * the image log-odds are skipped (zImage stays 0, and a band cell's f is its geometric part alone).
 */
export function decideGrid(
  grid: WorkGrid,
  params: ResolveParams,
  hairCells: number,
  ringCells: number,
  unitCells: number,
  collect?: (cell: number, features: Float32Array, t: number) => void,
  geometryOnly = false,
): GridDecision {
  if (geometryOnly && collect) throw new RangeError('collect needs the image features: not geometry-only')
  const t0 = performance.now()
  const { cw, ch, lab, r, g, b } = grid
  const n = cw * ch
  const f = new Float32Array(n)
  const siteL = new Uint8Array(n)
  const siteB = new Uint8Array(n)
  let anyL = false
  let anyB = false
  for (let c = 0; c < n; c++) {
    if (lab[c] === LABEL_LESION) {
      siteL[c] = 1
      anyL = true
      f[c] = 1
    } else if (lab[c] === LABEL_BACKGROUND) {
      siteB[c] = 1
      anyB = true
      f[c] = -1
    }
  }
  const zImage = new Float32Array(n)
  const contrast = new Float32Array(n)
  const bandFlag = new Uint8Array(n)
  const result: GridDecision = {
    f,
    band: bandFlag,
    zImage,
    contrast,
    t: new Float32Array(n),
    strayLesion: new Uint8Array(n),
    nl: null,
    nb: null,
    hairCells: 0,
    bandWidth: 0,
    evidenceMs: 0,
  }
  if (!anyL || !anyB) {
    // Nothing to weigh one side against: the geometric answer (all one label; background without any).
    const v = anyL ? 1 : -1
    for (let c = 0; c < n; c++) if (lab[c] === LABEL_UNCERTAIN) f[c] = v * 0.5
    return result
  }
  const nl = nearestSite(cw, ch, siteL)
  const nb = nearestSite(cw, ch, siteB)
  result.nl = nl
  result.nb = nb

  // Hair: cells much darker than the grey-level closing of their neighbourhood.
  const lum = new Float32Array(n)
  for (let c = 0; c < n; c++) lum[c] = r[c] + g[c] + b[c]
  const rClose = Math.max(1, Math.ceil((hairCells + 1) / 2))
  const closed = closing(lum, cw, ch, 1, rClose)
  const bh = new Float32Array(n)
  for (let c = 0; c < n; c++) bh[c] = closed[c] - lum[c]
  const hairThr = blackHatThreshold(bh)
  const hair = new Uint8Array(n)
  for (let c = 0; c < n; c++) {
    if (bh[c] > hairThr) {
      hair[c] = 1
      result.hairCells++
    }
  }

  // Cells within ringCells of the band: the only ones whose colour is read.
  const unc = new Float32Array(n)
  for (let c = 0; c < n; c++) unc[c] = lab[c] === LABEL_UNCERTAIN ? 1 : 0
  const near = boxSum(unc, cw, ch, ringCells)

  // Uncertain components: bit 1 = touches certain lesion, bit 2 = background (3: the band).
  const contact = componentContacts(lab, cw, ch)

  // Colours smoothed over 3×3 hair-free cells (the cell's own when all 9 are hair), near the band
  // (geometry-only: not the band cells', which only the image terms read).
  const sr = new Float32Array(n)
  const sg = new Float32Array(n)
  const sb = new Float32Array(n)
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const c = y * cw + x
      if (near[c] <= 0) continue
      if (geometryOnly && lab[c] === LABEL_UNCERTAIN && contact[c] === 3) continue
      let a0 = 0
      let a1 = 0
      let a2 = 0
      let k = 0
      for (let yy = Math.max(0, y - 1); yy <= Math.min(ch - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1), q = yy * cw + xx; xx <= Math.min(cw - 1, x + 1); xx++, q++) {
          if (hair[q]) continue
          a0 += r[q]
          a1 += g[q]
          a2 += b[q]
          k++
        }
      }
      if (k > 0) {
        sr[c] = a0 / k
        sg[c] = a1 / k
        sb[c] = a2 / k
      } else {
        sr[c] = r[c]
        sg[c] = g[c]
        sb[c] = b[c]
      }
    }
  }

  // Side colours: means of the hair-free certain cells within ringCells of the band, per class,
  // over a window of the same radius.
  const side = (label: number): { m: Float32Array[]; k: Float32Array; global: number[] } => {
    const w = new Float32Array(n)
    const pr = new Float32Array(n)
    const pg = new Float32Array(n)
    const pb = new Float32Array(n)
    const gl = [0, 0, 0, 0]
    for (let c = 0; c < n; c++) {
      if (lab[c] !== label || hair[c] || near[c] <= 0) continue
      w[c] = 1
      pr[c] = sr[c]
      pg[c] = sg[c]
      pb[c] = sb[c]
      gl[0] += sr[c]
      gl[1] += sg[c]
      gl[2] += sb[c]
      gl[3]++
    }
    if (gl[3] === 0) {
      // No cell of this class next to the band (stray blobs only): its colour over the whole grid.
      for (let c = 0; c < n; c++) {
        if (lab[c] !== label || hair[c]) continue
        gl[0] += r[c]
        gl[1] += g[c]
        gl[2] += b[c]
        gl[3]++
      }
    }
    const k = boxSum(w, cw, ch, ringCells)
    const global = gl[3] > 0 ? [gl[0] / gl[3], gl[1] / gl[3], gl[2] / gl[3]] : [128, 128, 128]
    return {
      m: [boxSum(pr, cw, ch, ringCells), boxSum(pg, cw, ch, ringCells), boxSum(pb, cw, ch, ringCells)],
      k,
      global,
    }
  }
  const L = side(LABEL_LESION)
  const B = side(LABEL_BACKGROUND)
  const mean = (S: typeof L, site: number, out: number[]): void => {
    const k = S.k[site]
    if (k > 0.5) {
      out[0] = S.m[0][site] / k
      out[1] = S.m[1][site] / k
      out[2] = S.m[2][site] / k
    } else {
      out[0] = S.global[0]
      out[1] = S.global[1]
      out[2] = S.global[2]
    }
  }

  const { t } = result
  const band = new Float32Array(n)
  const uu = new Float32Array(n)
  const sideL = new Float32Array(3 * n)
  const sideB = new Float32Array(3 * n)
  const widths: number[] = []
  const mL = [0, 0, 0]
  const mB = [0, 0, 0]
  const feat = new Float32Array(EVIDENCE_FEATURES)
  // Pigment: certain lesion, and band cells whose colour is nearer the lesion side than the skin side.
  const pig = new Uint8Array(n)
  for (let c = 0; c < n; c++) {
    if (lab[c] === LABEL_LESION) pig[c] = 1
    if (lab[c] !== LABEL_UNCERTAIN) continue
    const y = Math.floor(c / cw)
    const x = c - y * cw
    const ql = nl[c]
    const qb = nb[c]
    const yl = Math.floor(ql / cw)
    const yb = Math.floor(qb / cw)
    const dL = dist(ql - yl * cw - x, yl - y)
    const dB = dist(qb - yb * cw - x, yb - y)
    t[c] = dB / (dB + dL)
    mean(L, ql, mL)
    mean(B, qb, mB)
    const bits = contact[c]
    if (geometryOnly && bits === 3) {
      // The contrast as the full decision computes it (evidenceFeatures' feature 4, from the side
      // colours stored as float32), and the geometric part of the log-odds.
      const e0 = Math.fround(mL[0]) - Math.fround(mB[0])
      const e1 = Math.fround(mL[1]) - Math.fround(mB[1])
      const e2 = Math.fround(mL[2]) - Math.fround(mB[2])
      contrast[c] = (Math.sqrt(e0 * e0 + e1 * e1 + e2 * e2) + 1e-6) / 100
      bandFlag[c] = 1
      widths.push(dB + dL)
      f[c] = Math.tanh(geometricLogOdds(params, t[c], contrast[c]) / 2)
      continue
    }
    for (let j = 0; j < 3; j++) {
      sideL[3 * c + j] = mL[j]
      sideB[3 * c + j] = mB[j]
    }
    const d0 = mL[0] - mB[0]
    const d1 = mL[1] - mB[1]
    const d2 = mL[2] - mB[2]
    const dd = d0 * d0 + d1 * d1 + d2 * d2
    const u = dd > 1e-6 ? ((sr[c] - mB[0]) * d0 + (sg[c] - mB[1]) * d1 + (sb[c] - mB[2]) * d2) / dd : 0.5
    uu[c] = u
    if (bits === 3) {
      band[c] = 1
      bandFlag[c] = 1
      widths.push(dB + dL)
      if (!hair[c] && u > 0.5) pig[c] = 1
    } else if (bits === 1) {
      f[c] = 0.5
    } else {
      // A stray blob on the skin (or a component touching neither side): background unless clearly lesion.
      const stray = !hair[c] && u > params.strayTheta
      f[c] = stray ? 0.25 : -0.5
      if (stray) result.strayLesion[c] = 1
    }
  }
  const np = geometryOnly ? null : nearestSite(cw, ch, pig)
  for (let c = 0; np !== null && c < n; c++) {
    if (!band[c]) continue
    const y = Math.floor(c / cw)
    const x = c - y * cw
    const q = np[c]
    const yq = Math.floor(q / cw)
    const dp = dist(q - yq * cw - x, yq - y) / unitCells
    for (let j = 0; j < 3; j++) {
      mL[j] = sideL[3 * c + j]
      mB[j] = sideB[3 * c + j]
    }
    evidenceFeatures(sr[c], sg[c], sb[c], mL, mB, feat)
    feat[7] = Math.min(dp, 30) / 10
    feat[8] = Math.sqrt(Math.min(dp, 30))
    feat[9] = t[c] - 0.5
    feat[10] = (t[c] - 0.5) * feat[4]
    if (collect) collect(c, feat, t[c])
    let z = params.bias
    for (let j = hair[c] ? GEOMETRY_FROM : 0; j < GEOMETRY_FROM; j++) z += params.weights[j] * feat[j]
    zImage[c] = z
    contrast[c] = feat[4]
    for (let j = GEOMETRY_FROM; j < EVIDENCE_FEATURES; j++) z += params.weights[j] * feat[j]
    // tanh(z/2) = 2·P(lesion) − 1: the sign decides, the magnitude is the confidence.
    f[c] = Math.tanh(z / 2)
  }
  const t1 = performance.now()
  result.evidenceMs = t1 - t0
  if (widths.length > 0) {
    widths.sort((p, q) => p - q)
    result.bandWidth = widths[widths.length >> 1]
  }
  return result
}
