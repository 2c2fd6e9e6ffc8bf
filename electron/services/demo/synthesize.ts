/**
 * Synthetic dermoscopy pairs for the demo dataset, benchmarks and evaluation: an RGB image, the
 * ISIC_WSM-style weak map (0 background, 1 lesion, 255 uncertain band) and the hidden true 0/1
 * segmentation. Pure and deterministic: the same spec gives the same bytes on every run.
 *
 * Geometry: the lesion boundary is the star-shaped curve r(θ) = R·(1 + Σ a_k sin(kθ + φ_k)) around
 * (cx, cy). Every angular function (r, band half-width, band offset, pigment sectors) is tabulated
 * on NB angle bins and read with linear interpolation, so a pixel costs one sqrt and one atan2 at
 * most. The truth is the full-resolution inside test `ρ < r(θ)`; the weak map is classified on a
 * coarse grid (LOW-RES factor 4–8) and upscaled by nearest neighbour, so all its edges are blocky.
 */
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN } from '../../../shared/labels/codes'
import type { LabelMap } from '../../../shared/labels/codes'
import { mulberry32, randInt, uniform, xorshiftSeed } from './prng'
import type { Rng } from './prng'

export interface DemoPairSpec {
  id: string
  width: number
  height: number
  seed: number
}

export interface SyntheticPair {
  /** Row-major RGB, 3 bytes per pixel. */
  image: { width: number; height: number; rgb: Uint8Array }
  /** The weak map: values 0, 1 and 255, blocky (see lowResFactor). */
  mask: LabelMap
  /** The true segmentation: values 0 and 1 only. */
  truth: LabelMap
}

/** Largest accepted side; keeps a bad spec from allocating gigabytes. */
export const MAX_SYNTHETIC_SIDE = 8192

const NB = 2048
const TWO_PI = Math.PI * 2
const BIN_SCALE = NB / TWO_PI
const TEX_WAVES = 4

/**
 * Block size of the weak map's low-res grid for an image: 4 for small images up to 8 for large
 * ones. The mask is constant over every f×f block aligned at (0, 0) (partial at the right/bottom).
 */
export function lowResFactor(width: number, height: number): number {
  return Math.min(8, Math.max(4, Math.round(Math.min(width, height) / 250)))
}

/** Everything a pair is drawn from, decided up front in a fixed draw order. */
interface Scene {
  W: number
  H: number
  S: number
  cx: number
  cy: number
  /** r(θ) in pixels, NB + 2 entries (wrapped) for interpolation without a branch. */
  rTab: Float64Array
  rMin: number
  rMax: number
  /** Weak-map band half-width and centre offset along the boundary, in low-res cells. */
  hwTab: Float64Array
  offTab: Float64Array
  /** Where the dark core ends, as a fraction of r(θ). */
  coreTab: Float64Array
  /** Blue-grey veil weight by angle, 0..1. */
  blueTab: Float64Array
  /** Half-width of the soft lesion edge, in pixels. */
  edge: number
  contrast: number
  skin: [number, number, number]
  lesionEdge: [number, number, number]
  lesionCore: [number, number, number]
  blueGrey: [number, number, number]
  hairColour: [number, number, number]
  noiseAmp: number
  noiseSeed: number
  /** Overlay coverage (hairs, ruler), 0..255 per pixel. */
  overlay: Uint8Array
  /** Points on hairs and on the ruler, for stray uncertain blobs. */
  hairPoints: [number, number][]
  rulerPoint: [number, number]
  /** Low-frequency skin variation: per-column tables times per-row factors. */
  skinCols: Float64Array[]
  skinRowFreq: number[]
  skinRowPhase: number[]
  /** Pigment mottling inside the lesion (plane waves, see buildScene). */
  texCos: Float64Array[]
  texSin: Float64Array[]
  texRowFreq: number[]
  texRowPhase: number[]
  texAmp: number
  vigRadius: number
  vigSoft: number
}

function angularTable(fill: (theta: number) => number): Float64Array {
  const tab = new Float64Array(NB + 2)
  for (let b = 0; b < NB; b++) tab[b] = fill(-Math.PI + b / BIN_SCALE)
  tab[NB] = tab[0]
  tab[NB + 1] = tab[1]
  return tab
}

/** A smooth periodic function of θ with values in [-1, 1], from a few low harmonics. */
function smoothPeriodic(rng: Rng, harmonics: number): (theta: number) => number {
  const amps: number[] = []
  const phases: number[] = []
  let total = 0
  for (let k = 1; k <= harmonics; k++) {
    const a = uniform(rng, 0.2, 1) / k
    amps.push(a)
    phases.push(uniform(rng, 0, TWO_PI))
    total += a
  }
  return (theta) => {
    let v = 0
    for (let k = 1; k <= harmonics; k++) v += amps[k - 1] * Math.sin(k * theta + phases[k - 1])
    return v / total
  }
}

/** Throws a RangeError for a size outside [64, MAX_SYNTHETIC_SIDE] or a non-integer seed. */
export function validatePairSpec(spec: DemoPairSpec): void {
  const { width, height, seed } = spec
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 64 || v > MAX_SYNTHETIC_SIDE) {
      throw new RangeError(`${spec.id}: ${name} must be an integer in [64, ${MAX_SYNTHETIC_SIDE}], got ${v}`)
    }
  }
  if (!Number.isInteger(seed)) throw new RangeError(`${spec.id}: seed must be an integer, got ${seed}`)
}

/**
 * Anti-aliased disc of radius `radius` stamped into a buffer with a max blend: 0–255 strengths into
 * the overlay here, 0–1 coverages for the assist's eval set (bench/assist/evalSet.ts).
 */
export function stampDisc(
  buf: Uint8Array | Float32Array,
  W: number,
  H: number,
  px: number,
  py: number,
  radius: number,
  strength: number,
): void {
  const x0 = Math.max(0, Math.floor(px - radius - 1))
  const x1 = Math.min(W - 1, Math.ceil(px + radius + 1))
  const y0 = Math.max(0, Math.floor(py - radius - 1))
  const y1 = Math.min(H - 1, Math.ceil(py + radius + 1))
  const reach = radius + 0.5
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - py
    const row = y * W
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - px
      const c = reach - Math.sqrt(dx * dx + dy * dy)
      if (c <= 0) continue
      const v = (c >= 1 ? 1 : c) * strength
      if (v > buf[row + x]) buf[row + x] = v
    }
  }
}

function stampSegment(
  buf: Uint8Array,
  W: number,
  H: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  radius: number,
  strength: number,
): void {
  const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 0.5))
  for (let i = 0; i <= n; i++) {
    const u = i / n
    stampDisc(buf, W, H, x0 + (x1 - x0) * u, y0 + (y1 - y0) * u, radius, strength)
  }
}

function buildScene(spec: DemoPairSpec): Scene {
  const W = spec.width
  const H = spec.height
  const S = Math.min(W, H)
  const rng = mulberry32(spec.seed ^ 0x5eed1e55)

  // Lesion outline.
  const cx = W * (0.5 + uniform(rng, -0.06, 0.06))
  const cy = H * (0.5 + uniform(rng, -0.06, 0.06))
  const R = S * uniform(rng, 0.2, 0.32)
  const nHarm = randInt(rng, 3, 5)
  const ks: number[] = []
  const as: number[] = []
  const phis: number[] = []
  for (let i = 0; i < nHarm; i++) {
    ks.push(randInt(rng, 2, 9))
    as.push(uniform(rng, 0.02, 0.11))
    phis.push(uniform(rng, 0, TWO_PI))
  }
  // Keep r(θ) ≥ 0.7 R and the outline's slope |r'/r| < 1, so the radial distance stays a fair
  // stand-in for the Euclidean one (the weak map's band relies on it).
  const sumA = as.reduce((s, a) => s + a, 0)
  const sumKA = as.reduce((s, a, i) => s + a * ks[i], 0)
  const ampScale = Math.min(1, 0.3 / sumA, 0.6 / sumKA)
  const rTab = angularTable((t) => {
    let v = 1
    for (let i = 0; i < nHarm; i++) v += as[i] * ampScale * Math.sin(ks[i] * t + phis[i])
    return R * v
  })
  let rMin = Infinity
  let rMax = 0
  for (let b = 0; b < NB; b++) {
    rMin = Math.min(rMin, rTab[b])
    rMax = Math.max(rMax, rTab[b])
  }

  // Weak-map band: half-width between hwLo and hwHi cells, centre offset within ±(hw − 1)/2.
  const hwLo = uniform(rng, 1, 2.5)
  const hwHi = uniform(rng, 4.5, 7)
  const hwShape = smoothPeriodic(rng, 3)
  const offShape = smoothPeriodic(rng, 2)
  const hwTab = angularTable((t) => hwLo + (hwHi - hwLo) * (0.5 + 0.5 * hwShape(t)))
  const offTab = angularTable((t) => {
    const hw = hwLo + (hwHi - hwLo) * (0.5 + 0.5 * hwShape(t))
    return 0.5 * (hw - 1) * offShape(t)
  })

  // Pigment: dark core with an irregular outline, a blue-grey veil in one sector.
  const coreShape = smoothPeriodic(rng, 4)
  const coreMid = uniform(rng, 0.5, 0.75)
  const coreTab = angularTable((t) => coreMid + 0.18 * coreShape(t))
  const blueAmt = rng() < 0.6 ? uniform(rng, 0.25, 0.6) : 0
  const blueDir = uniform(rng, 0, TWO_PI)
  const blueTab = angularTable((t) => {
    const c = Math.cos(t - blueDir)
    return c > 0 ? blueAmt * c * c : 0
  })

  // Colours. About a third of the pairs have a faint lesion.
  const lowContrast = rng() < 0.35
  const contrast = lowContrast ? uniform(rng, 0.3, 0.45) : uniform(rng, 0.8, 1)
  const sr = uniform(rng, 200, 238)
  const skin: [number, number, number] = [sr, sr * uniform(rng, 0.72, 0.8), sr * uniform(rng, 0.6, 0.7)]
  const lesionEdge: [number, number, number] = [
    uniform(rng, 145, 175),
    uniform(rng, 92, 112),
    uniform(rng, 68, 88),
  ]
  const lesionCore: [number, number, number] = [
    uniform(rng, 65, 100),
    uniform(rng, 40, 60),
    uniform(rng, 30, 46),
  ]
  const blueGrey: [number, number, number] = [
    uniform(rng, 100, 120),
    uniform(rng, 105, 125),
    uniform(rng, 125, 145),
  ]
  const hairColour: [number, number, number] = [
    uniform(rng, 30, 55),
    uniform(rng, 22, 40),
    uniform(rng, 18, 32),
  ]
  const noiseAmp = uniform(rng, 6, 12)
  const noiseSeed = xorshiftSeed(rng)
  const edge = 1.2 + S * uniform(rng, 0.0015, 0.0025)

  // Low-frequency skin shading: three separable cosine products (≈ 0.5–2 cycles per image).
  const skinCols: Float64Array[] = []
  const skinRowFreq: number[] = []
  const skinRowPhase: number[] = []
  for (let i = 0; i < 3; i++) {
    const amp = i === 2 ? uniform(rng, 4, 8) : uniform(rng, 5, 11)
    const fx = (TWO_PI * uniform(rng, 0.4, 2)) / W
    const px = uniform(rng, 0, TWO_PI)
    const col = new Float64Array(W)
    for (let x = 0; x < W; x++) col[x] = amp * Math.cos(fx * x + px)
    skinCols.push(col)
    skinRowFreq.push((TWO_PI * uniform(rng, 0.4, 2)) / H)
    skinRowPhase.push(uniform(rng, 0, TWO_PI))
  }

  // Pigment mottling: a few plane waves in random directions, cos(fx·x + fy·y + p) expanded into
  // per-column cos/sin tables times per-row cos/sin, so the sum is irregular rather than a grid.
  const texCos: Float64Array[] = []
  const texSin: Float64Array[] = []
  const texRowFreq: number[] = []
  const texRowPhase: number[] = []
  for (let i = 0; i < TEX_WAVES; i++) {
    const f = TWO_PI / (S / uniform(rng, 15, 50))
    const angle = uniform(rng, 0, Math.PI)
    const fx = f * Math.cos(angle)
    const px = uniform(rng, 0, TWO_PI)
    const c = new Float64Array(W)
    const sn = new Float64Array(W)
    for (let x = 0; x < W; x++) {
      c[x] = Math.cos(fx * x + px)
      sn[x] = Math.sin(fx * x + px)
    }
    texCos.push(c)
    texSin.push(sn)
    texRowFreq.push(f * Math.sin(angle))
    texRowPhase.push(uniform(rng, 0, TWO_PI))
  }
  const texAmp = uniform(rng, 3, 6)

  const halfDiag = 0.5 * Math.hypot(W, H)
  const vigRadius = halfDiag * uniform(rng, 0.9, 0.98)
  const vigSoft = S * uniform(rng, 0.02, 0.04)

  // Hairs and ruler go into one overlay coverage buffer.
  const overlay = new Uint8Array(W * H)
  const hairPoints: [number, number][] = []
  const nHairs = randInt(rng, 3, 9)
  const hairScale = Math.max(1, S / 600)
  for (let h = 0; h < nHairs; h++) {
    const len = S * uniform(rng, 0.25, 0.8)
    const dir = uniform(rng, 0, TWO_PI)
    const ux = Math.cos(dir)
    const uy = Math.sin(dir)
    let mx: number
    let my: number
    if (h < 2) {
      // The first two hairs cross the lesion boundary near their middle.
      const t = uniform(rng, -Math.PI, Math.PI)
      const r = rTab[Math.floor((t + Math.PI) * BIN_SCALE) % NB]
      mx = cx + r * Math.cos(t)
      my = cy + r * Math.sin(t)
    } else {
      mx = uniform(rng, 0, W)
      my = uniform(rng, 0, H)
    }
    const bend = len * uniform(rng, -0.25, 0.25)
    const p0x = mx - (ux * len) / 2
    const p0y = my - (uy * len) / 2
    const p2x = mx + (ux * len) / 2
    const p2y = my + (uy * len) / 2
    const c1x = mx - uy * bend
    const c1y = my + ux * bend
    const radius = uniform(rng, 0.5, 1.2) * hairScale
    const strength = 255 * uniform(rng, 0.65, 0.95)
    const n = Math.ceil((len * 1.3) / 0.5)
    for (let i = 0; i <= n; i++) {
      const u = i / n
      const a = (1 - u) * (1 - u)
      const b = 2 * u * (1 - u)
      const c = u * u
      const taper = Math.min(1, 5 * u, 5 * (1 - u))
      stampDisc(
        overlay,
        W,
        H,
        a * p0x + b * c1x + c * p2x,
        a * p0y + b * c1y + c * p2y,
        Math.max(0.35, radius * taper),
        strength,
      )
    }
    const u = uniform(rng, 0.3, 0.7)
    hairPoints.push([
      (1 - u) * (1 - u) * p0x + 2 * u * (1 - u) * c1x + u * u * p2x,
      (1 - u) * (1 - u) * p0y + 2 * u * (1 - u) * c1y + u * u * p2y,
    ])
  }

  // Ruler: a straight line near one edge with ticks towards the interior, every fifth longer.
  const side = randInt(rng, 0, 3)
  const along = side < 2 ? W : H
  const inset = S * uniform(rng, 0.04, 0.07)
  const spacing = S / uniform(rng, 28, 40)
  const tick = S / 70
  const lineRadius = 0.6 * hairScale
  const rulerStrength = 255 * 0.85
  const a0 = along * 0.25
  const a1 = along * 0.75
  // Map (position along the edge, depth into the image) to pixel coordinates.
  const toXY = (s: number, d: number): [number, number] => {
    switch (side) {
      case 0:
        return [s, inset + d]
      case 1:
        return [s, H - inset - d]
      case 2:
        return [inset + d, s]
      default:
        return [W - inset - d, s]
    }
  }
  {
    const [x0, y0] = toXY(a0, 0)
    const [x1, y1] = toXY(a1, 0)
    stampSegment(overlay, W, H, x0, y0, x1, y1, lineRadius, rulerStrength)
  }
  for (let i = 0, s = a0; s <= a1; i++, s += spacing) {
    const [x0, y0] = toXY(s, 0)
    const [x1, y1] = toXY(s, i % 5 === 0 ? 2 * tick : tick)
    stampSegment(overlay, W, H, x0, y0, x1, y1, lineRadius, rulerStrength)
  }
  const rulerPoint = toXY(uniform(rng, a0, a1), tick / 2)

  return {
    W,
    H,
    S,
    cx,
    cy,
    rTab,
    rMin,
    rMax,
    hwTab,
    offTab,
    coreTab,
    blueTab,
    edge,
    contrast,
    skin,
    lesionEdge,
    lesionCore,
    blueGrey,
    hairColour,
    noiseAmp,
    noiseSeed,
    overlay,
    hairPoints,
    rulerPoint,
    skinCols,
    skinRowFreq,
    skinRowPhase,
    texCos,
    texSin,
    texRowFreq,
    texRowPhase,
    texAmp,
    vigRadius,
    vigSoft,
  }
}

/** Draws the RGB image and the full-resolution truth in one pass. */
function renderImageAndTruth(sc: Scene): { rgb: Uint8Array; truth: Uint8Array } {
  const { W, H, cx, cy, rTab, coreTab, blueTab, edge, contrast, overlay } = sc
  const out = new Uint8ClampedArray(W * H * 3)
  const truth = new Uint8Array(W * H)
  const [skR, skG, skB] = sc.skin
  const [leR, leG, leB] = sc.lesionEdge
  const [coR, coG, coB] = sc.lesionCore
  const [blR, blG, blB] = sc.blueGrey
  const [haR, haG, haB] = sc.hairColour
  const [sc0, sc1, sc2] = sc.skinCols
  const [tc0, tc1, tc2, tc3] = sc.texCos
  const [ts0, ts1, ts2, ts3] = sc.texSin
  const texAmp = sc.texAmp
  const noiseAmp = sc.noiseAmp
  const outer = sc.rMax + 2 * edge
  const outer2 = outer * outer
  const invEdge2 = 1 / (2 * edge)
  const vcx = W / 2
  const vcy = H / 2
  const vR = sc.vigRadius
  const vIn = vR - sc.vigSoft
  const vIn2 = vIn * vIn
  const vSpan = 2 * sc.vigSoft
  const vFall = 0.15 / (vR * vR)
  let noise = sc.noiseSeed | 0

  for (let y = 0; y < H; y++) {
    const py = y + 0.5
    const dy = py - cy
    const dy2 = dy * dy
    const vdy = py - vcy
    const vdy2 = vdy * vdy
    const s0 = Math.cos(sc.skinRowFreq[0] * y + sc.skinRowPhase[0])
    const s1 = Math.cos(sc.skinRowFreq[1] * y + sc.skinRowPhase[1])
    const s2 = Math.cos(sc.skinRowFreq[2] * y + sc.skinRowPhase[2])
    const rc0 = Math.cos(sc.texRowFreq[0] * y + sc.texRowPhase[0])
    const rs0 = Math.sin(sc.texRowFreq[0] * y + sc.texRowPhase[0])
    const rc1 = Math.cos(sc.texRowFreq[1] * y + sc.texRowPhase[1])
    const rs1 = Math.sin(sc.texRowFreq[1] * y + sc.texRowPhase[1])
    const rc2 = Math.cos(sc.texRowFreq[2] * y + sc.texRowPhase[2])
    const rs2 = Math.sin(sc.texRowFreq[2] * y + sc.texRowPhase[2])
    const rc3 = Math.cos(sc.texRowFreq[3] * y + sc.texRowPhase[3])
    const rs3 = Math.sin(sc.texRowFreq[3] * y + sc.texRowPhase[3])
    const lesionRow = dy2 < outer2
    let o = y * W * 3
    let i = y * W
    for (let x = 0; x < W; x++, i++, o += 3) {
      // Skin: base tone, broad shading (brightness + a redness term).
      const lum = sc0[x] * s0 + sc1[x] * s1
      const red = sc2[x] * s2
      let r = skR + lum + red
      let g = skG + lum - 0.4 * red
      let b = skB + lum - 0.3 * red

      if (lesionRow) {
        const dx = x + 0.5 - cx
        const d2 = dx * dx + dy2
        if (d2 < outer2) {
          const rho = Math.sqrt(d2)
          const u = (Math.atan2(dy, dx) + Math.PI) * BIN_SCALE
          const k = u | 0
          const fr = u - k
          const rr = rTab[k] + (rTab[k + 1] - rTab[k]) * fr
          const s = rho - rr
          if (s < 0) truth[i] = LABEL_LESION
          let alpha = 0.5 - s * invEdge2
          if (alpha > 0) {
            if (alpha > 1) alpha = 1
            alpha = alpha * alpha * (3 - 2 * alpha) * contrast
            const t = rho < rr ? rho / rr : 1
            const core = coreTab[k] + (coreTab[k + 1] - coreTab[k]) * fr
            let cw = (core - t) / core + 0.25
            cw = cw <= 0 ? 0 : cw >= 1 ? 1 : cw * cw * (3 - 2 * cw)
            const waves =
              tc0[x] * rc0 -
              ts0[x] * rs0 +
              tc1[x] * rc1 -
              ts1[x] * rs1 +
              tc2[x] * rc2 -
              ts2[x] * rs2 +
              tc3[x] * rc3 -
              ts3[x] * rs3
            const tex = waves * texAmp * (1 - 0.5 * t)
            const bw = (blueTab[k] + (blueTab[k + 1] - blueTab[k]) * fr) * (1.1 - t)
            let lr = leR + (coR - leR) * cw
            let lg = leG + (coG - leG) * cw
            let lb = leB + (coB - leB) * cw
            lr += (blR - lr) * bw + tex
            lg += (blG - lg) * bw + tex
            lb += (blB - lb) * bw + tex * 0.8
            r += (lr - r) * alpha
            g += (lg - g) * alpha
            b += (lb - b) * alpha
          }
        }
      }

      // Fine sensor/skin-texture noise (xorshift32, one draw per pixel).
      noise ^= noise << 13
      noise ^= noise >>> 17
      noise ^= noise << 5
      const n = ((noise >>> 0) / 4294967296 - 0.5) * noiseAmp
      r += n
      g += n
      b += n

      const ov = overlay[i]
      if (ov !== 0) {
        const a = ov / 255
        r += (haR - r) * a
        g += (haG - g) * a
        b += (haB - b) * a
      }

      // Dermoscope vignette: gentle falloff, then a dark surround outside the lens circle.
      const vdx = x + 0.5 - vcx
      const v2 = vdx * vdx + vdy2
      let vig = 1 - v2 * vFall
      if (v2 > vIn2) {
        let a = (Math.sqrt(v2) - vIn) / vSpan
        if (a > 1) a = 1
        a = a * a * (3 - 2 * a)
        vig *= 1 - 0.94 * a
      }
      out[o] = r * vig
      out[o + 1] = g * vig
      out[o + 2] = b * vig
    }
  }
  return { rgb: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), truth }
}

/** Sets an irregular blob of low-res cells to uncertain. */
function addBlob(grid: Uint8Array, gw: number, gh: number, bx: number, by: number, rng: Rng): void {
  const radius = uniform(rng, 1.2, 3.5)
  const a2 = uniform(rng, 0.15, 0.35)
  const p2 = uniform(rng, 0, TWO_PI)
  const a3 = uniform(rng, 0.05, 0.2)
  const p3 = uniform(rng, 0, TWO_PI)
  const reach = radius * (1 + a2 + a3) + 1
  const x0 = Math.max(0, Math.floor(bx - reach))
  const x1 = Math.min(gw - 1, Math.ceil(bx + reach))
  const y0 = Math.max(0, Math.floor(by - reach))
  const y1 = Math.min(gh - 1, Math.ceil(by + reach))
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - bx
      const dy = y + 0.5 - by
      const phi = Math.atan2(dy, dx)
      const lim = radius * (1 + a2 * Math.sin(2 * phi + p2) + a3 * Math.sin(3 * phi + p3))
      if (dx * dx + dy * dy <= lim * lim) grid[y * gw + x] = LABEL_UNCERTAIN
    }
  }
}

/** Classifies the low-res grid, adds stray blobs, and upscales by nearest neighbour. */
function renderWeakMap(sc: Scene, spec: DemoPairSpec): Uint8Array {
  const { W, H, cx, cy, rTab, hwTab, offTab } = sc
  const f = lowResFactor(W, H)
  const gw = Math.ceil(W / f)
  const gh = Math.ceil(H / f)
  const grid = new Uint8Array(gw * gh)
  const invF = 1 / f
  for (let gy = 0; gy < gh; gy++) {
    const dy = (gy + 0.5) * f - cy
    for (let gx = 0; gx < gw; gx++) {
      const dx = (gx + 0.5) * f - cx
      const rho = Math.sqrt(dx * dx + dy * dy)
      const u = (Math.atan2(dy, dx) + Math.PI) * BIN_SCALE
      const k = u | 0
      const fr = u - k
      const rr = rTab[k] + (rTab[k + 1] - rTab[k]) * fr
      const hw = hwTab[k] + (hwTab[k + 1] - hwTab[k]) * fr
      const off = offTab[k] + (offTab[k + 1] - offTab[k]) * fr
      const c = (rho - rr) * invF - off
      grid[gy * gw + gx] = c < -hw ? LABEL_LESION : c > hw ? LABEL_BACKGROUND : LABEL_UNCERTAIN
    }
  }

  // Stray uncertain blobs: on hairs, on the ruler, one inside the lesion, a few anywhere.
  const rng = mulberry32(spec.seed ^ 0x0b10b5)
  const nHairBlobs = Math.min(sc.hairPoints.length, randInt(rng, 1, 2))
  for (let i = 0; i < nHairBlobs; i++) {
    const [px, py] = sc.hairPoints[(i * 3 + 2) % sc.hairPoints.length]
    addBlob(grid, gw, gh, px * invF, py * invF, rng)
  }
  addBlob(grid, gw, gh, sc.rulerPoint[0] * invF, sc.rulerPoint[1] * invF, rng)
  {
    const t = uniform(rng, 0, TWO_PI)
    const d = sc.rMin * uniform(rng, 0.1, 0.4)
    addBlob(grid, gw, gh, (cx + d * Math.cos(t)) * invF, (cy + d * Math.sin(t)) * invF, rng)
  }
  const nFree = randInt(rng, 1, 3)
  for (let i = 0; i < nFree; i++) addBlob(grid, gw, gh, uniform(rng, 0, gw), uniform(rng, 0, gh), rng)

  const data = new Uint8Array(W * H)
  const colCell = new Int32Array(W)
  for (let x = 0; x < W; x++) colCell[x] = Math.floor(x / f)
  const row = new Uint8Array(W)
  for (let gy = 0; gy < gh; gy++) {
    const g0 = gy * gw
    for (let x = 0; x < W; x++) row[x] = grid[g0 + colCell[x]]
    const yEnd = Math.min(H, (gy + 1) * f)
    for (let y = gy * f; y < yEnd; y++) data.set(row, y * W)
  }
  return data
}

/**
 * One synthetic dermoscopy pair: image, weak map and truth. Pure and deterministic in the spec
 * (the id is not used for drawing, only the size and the seed).
 */
export function synthesizePair(spec: DemoPairSpec): SyntheticPair {
  validatePairSpec(spec)
  const scene = buildScene(spec)
  const { rgb, truth } = renderImageAndTruth(scene)
  const mask = renderWeakMap(scene, spec)
  const { W: width, H: height } = scene
  return {
    image: { width, height, rgb },
    mask: { width, height, data: mask },
    truth: { width, height, data: truth },
  }
}
