/**
 * Experiment (issue #12, session 7): the go/no-go measurement for an image-derived boundary
 * position blended with the band's middle. Per NORMAL LINE across the uncertain band (every 2nd
 * band pixel on the band's middle, |d_bg − d_lesion| ≤ 0.75; the line runs from the nearest certain
 * background pixel to the nearest certain lesion pixel, sampled every 0.5 px by bilinear
 * interpolation from 12 px outside the band on either side), every position is an offset in px
 * (1000 px long side) from the band's middle, positive towards the lesion. The TRUTH is where the
 * true mask's signed distance crosses 0 along the line (the crossing nearest the middle). The
 * estimates: `mid` the band's middle (0), `nl` where the nearest certain label flips along the line,
 * and, on three colour axes per sector (16 angular sectors around the lesion; the colours of the
 * certain rings 2–10 px from the band in that sector, 0 = skin median, 1 = lesion; `side` = the RGB
 * axis skin→lesion mean, `lum` = luminance, `mel` = log(R/B), a melanin-like channel), along the
 * line's colour profile smoothed by a Gaussian of σ 1 px and searched from 6 px outside the band
 * on the skin side to 6 px outside on the lesion side: the SKIN DEPARTURE (first point from the
 * skin side where the profile stays above a threshold for 1.5 px: `k1`/`k2`/`k3` = 1/2/3 robust sd
 * (1.4826·MAD) of the sector's skin ring, `f10`/`f20`/`f30` = 10/20/30 % of the skin→lesion
 * difference), `half` the half-way point (50 %), `grad` the steepest rise. Errors = estimate −
 * truth, minus ONE global bias per estimator (the median error on the three training folds; folds
 * by image, index of the sorted id mod 4), pooled over the held-out folds. "Per-sector median" gives
 * every normal of a (pair, sector) the sector's median estimate.
 *
 *   npx jiti bench/assist/edgeFoot.ts [--long 1000]   (~5 min the first time, then cached, ~1 min)
 *   npx jiti bench/assist/edgeFoot.ts --check          the same on 8 pairs with the image DRAWN from
 *                                                      the truth (edge at the true boundary, noise,
 *                                                      3×3 blur): checks that the measurement can say go
 *
 * Result (2026-12-07, 44 ISIC 2017 images × 8 weak-map families, 108,121 normals; mean |error| in
 * px, per normal → per-sector median; IQR in brackets; the best image estimates shown; missing =
 * no crossing in the window, 3–5 % for f10, 30–40 % for k2):
 *
 *   family     mid (band middle)  nl          lum:f10            side:grad          side:half          side:k1
 *   centred    0.62 (1.0)         0.63 (1.0)  3.57 → 2.19 (3.4)  5.57 → 3.34 (5.8)  5.16 → 4.16 (7.8)  4.65 → 3.46 (5.8)
 *   lean-in    2.94 (1.8)         2.70 (1.7)  3.71 → 2.41 (3.3)  6.03 → 4.14 (6.1)  5.40 → 4.29 (7.9)  4.96 → 4.18 (6.5)
 *   lean-out   1.87 (1.5)         2.10 (1.8)  4.00 → 2.70 (3.7)  5.35 → 3.36 (5.1)  5.28 → 4.54 (8.2)  5.11 → 3.77 (6.1)
 *   narrow     0.49 (1.0)         0.52 (1.0)  2.98 → 2.00 (2.8)  4.18 → 2.36 (3.8)  3.98 → 3.15 (5.9)  3.89 → 3.43 (4.2)
 *   wide       2.25 (4.5)         2.26 (4.4)  4.42 → 3.32 (5.3)  6.45 → 4.41 (7.3)  6.05 → 5.31 (10.1) 5.49 → 4.20 (7.0)
 *   stair      1.84 (3.0)         1.75 (2.9)  3.96 → 3.03 (4.5)  5.69 → 3.62 (5.8)  5.48 → 4.67 (8.6)  5.13 → 4.20 (7.0)
 *   blobs      1.40 (2.1)         1.47 (2.3)  3.73 → 2.40 (3.8)  5.40 → 3.30 (5.4)  5.08 → 4.08 (7.1)  4.77 → 3.66 (6.0)
 *   jitter     1.18 (2.0)         1.23 (2.1)  3.73 → 2.53 (4.1)  5.52 → 3.38 (5.8)  5.24 → 4.40 (8.4)  4.72 → 3.57 (6.2)
 *   pooled     1.58 (2.6)         1.59 (2.3)  3.77 → 2.57 (4.0)  5.53 → 3.50 (5.7)  5.22 → 4.33 (7.9)  4.85 → 3.80 (6.3)
 *
 * (lum and mel behave like side within 0.1–0.3 px; f20/f30, k2/k3 are worse than f10/k1.) By band
 * width (all families pooled, per-sector median): 0–4 px mid 0.59 vs lum:f10 1.88; 4–8 px 1.22 vs
 * 2.15; 8–12 px 1.93 vs 2.86; 12–20 px 2.58 vs 3.49; only at ≥ 20 px (298 normals, 0.3 %) is an
 * image estimate nearer (half 3.14, f10 3.19 vs 3.66; IQR 4.9 / 4.8 vs 4.7). By the sector's
 * skin→lesion contrast (terciles, bands ≥ 8 px) the middle stays ahead in every tercile (top:
 * 2.34 vs f10 2.90, half 3.69). The one family where an image estimate beats the middle, lean-in
 * (2.41 vs 2.94), cannot be told from the band itself, and there the middle is biased, not noisy.
 * The image estimates' errors correlate 0.24–0.35 with the middle's; along the boundary 93 % of
 * the middle's error variance is between (pair, sector) means (a smooth lean), but only 28–62 % of
 * the image estimates' (mostly normal-to-normal noise: sd 5.0–6.7 px against the middle's 2.1).
 * 14 % of half-way and 35 % of f10 estimates sit at the search window's skin end (the profile is
 * already past the threshold 6 px outside the band: low-contrast sectors, darker skin near the lesion).
 *
 * The measurement can say go: with an image drawn from the truth (`--check`), half and grad find
 * the truth with bias 0.00 and 0.10–0.15 px mean error, and the blend below takes w 1 in every fold
 * (held out: centred 0.16 vs 0.74 px, wide 0.18 vs 2.46).
 *
 * Blend preview (px, the go/no-go's own test): offset = w · clip(per-sector median estimate −
 * bias, ±half the band), only where the band is ≥ 0/6/10/14 px wide and the sector's contrast ≥
 * 0/40/80, w ∈ {0, .1, .2, .3, .5, .7, 1}, chosen per fold on the training folds by the worst
 * family's reduction of mean |error| (maximin): for side/lum f10, lum f20, lum k1, lum grad and side
 * half, w 0 in EVERY fold (held out = the band's middle in every family); for mel f10, w 0.2 (≥ 10
 * px, contrast ≥ 40) in one fold with a training margin of 0.000 px, held out ≤ 0.03 px better in 7
 * families and 0.02 px worse in jitter. Fixed blends on all folds help lean-in (−0.15 px at w 0.2)
 * and hurt centred (+0.08) and jitter (+0.03–0.05).
 *
 * NO-GO: no image estimate, in any family or band width that the band itself reveals (nor in any
 * contrast tercile), has a smaller spread than the band's middle, and the maximin blend keeps weight
 * 0; the pixel-level blend (step 2) was therefore not built. At 1000 px the colour ramp's foot, its
 * half-way point and its steepest rise each place the annotated edge 3–6 px (per line) or 2–4 px
 * (per sector) from the truth, against 0.5–3 px for the band's middle; the committed proposal
 * stays the nearest certain label (81.0 % pooled held-out, RESOLVE_PARAMS unchanged).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import v8 from 'node:v8'
import { nearestSite } from '../../shared/labels/assist/distance'
import { LABEL_BACKGROUND, LABEL_LESION } from '../../shared/labels/codes'
import { isicDevRoot, listIsicDev } from './isicDev'
import { loadDevCases } from './realEval'
import type { DevCase } from './realEval'
import { bandMask, correlation, lesionBandCentroid } from './sectorProfile'
import { FAMILIES, signedDistance } from './weakMaps'
import type { Family } from './weakMaps'

export const SECTORS = 16
const FOLDS = 4
/** Sampling step along a normal, px. */
const STEP = 0.5
/** The profile reaches this far (px) beyond each side of the band. */
const REACH = 12
/** Image estimates are searched this far (px) beyond each side of the band. */
const SEARCH = 6
/** Certain ring (distance to the band, px) whose colours describe a sector's skin and lesion. */
const RING: [number, number] = [2, 10]

export const AXES = ['side', 'lum', 'mel'] as const
export type Axis = (typeof AXES)[number]
/** Image estimators per axis: skin departure at k robust sd, at a fraction of the contrast, half-way, steepest rise. */
export const KINDS = ['k1', 'k2', 'k3', 'f10', 'f20', 'f30', 'half', 'grad'] as const
export const ESTIMATORS: readonly string[] = [
  'mid',
  'nl',
  ...AXES.flatMap((a) => KINDS.map((k) => `${a}:${k}`)),
]
const NE = ESTIMATORS.length

/** One normal line across the band. */
export interface Normals {
  /** Per normal: case index, sector, band width (px), the truth's offset from the band middle (px). */
  caseOf: Int32Array
  sector: Uint8Array
  width: Float32Array
  truth: Float32Array
  /** Per normal × estimator: the estimate's offset from the band middle (px), NaN when none. */
  est: Float32Array
  /** Per normal: the sector's skin→lesion contrast (RGB distance). */
  contrast: Float32Array
}

interface CaseMeta {
  id: string
  family: Family
  fold: number
}

function median(v: number[]): number {
  if (v.length === 0) return NaN
  const s = v.slice().sort((a, b) => a - b)
  return s[s.length >> 1]
}

/** The three scalar channels of one RGB triple on each axis' raw scale (side handled separately). */
function lum(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b
}
function mel(r: number, b: number): number {
  return Math.log((r + 1) / (b + 1))
}

/** Normals of one case (every 2nd band-middle pixel). */
function caseNormals(c: DevCase, sdTruth: Float32Array, ci: number, acc: number[][]): void {
  const { width: W, height: H, data } = c.map
  const n = W * H
  const rgb = c.image.data
  const band = bandMask(W, H, data)
  const siteL = new Uint8Array(n)
  const siteB = new Uint8Array(n)
  let any = false
  for (let i = 0; i < n; i++) {
    if (data[i] === LABEL_LESION) siteL[i] = 1
    else if (data[i] === LABEL_BACKGROUND) siteB[i] = 1
    if (band[i]) any = true
  }
  if (!any) return
  const nl = nearestSite(W, H, siteL)
  const nb = nearestSite(W, H, siteB)
  const nband = nearestSite(W, H, band)
  // Centre: mean of the certain lesion and band pixels.
  const { cx, cy } = lesionBandCentroid(W, data, band)
  const sectorAt = (x: number, y: number): number => {
    const a = Math.atan2(y - cy, x - cx) + Math.PI
    return Math.min(SECTORS - 1, Math.floor((a / (2 * Math.PI)) * SECTORS))
  }
  // Ring colours per sector (index SECTORS = the whole image): raw RGB sums, lum and mel values.
  const sums = Array.from({ length: SECTORS + 1 }, () => ({
    skin: [0, 0, 0, 0],
    les: [0, 0, 0, 0],
    skinPix: [] as number[],
    lesLum: [] as number[],
    lesMel: [] as number[],
  }))
  for (let i = 0; i < n; i++) {
    const v = data[i]
    if (v !== LABEL_LESION && v !== LABEL_BACKGROUND) continue
    const q = nband[i]
    const y = Math.floor(i / W)
    const x = i - y * W
    const qy = Math.floor(q / W)
    const d = Math.hypot(q - qy * W - x, qy - y)
    if (d < RING[0] || d > RING[1]) continue
    const s = sectorAt(x, y)
    for (const k of [s, SECTORS]) {
      const t = sums[k]
      const a = v === LABEL_LESION ? t.les : t.skin
      a[0] += rgb[3 * i]
      a[1] += rgb[3 * i + 1]
      a[2] += rgb[3 * i + 2]
      a[3]++
      if (v === LABEL_BACKGROUND) t.skinPix.push(i)
      else {
        t.lesLum.push(lum(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]))
        t.lesMel.push(mel(rgb[3 * i], rgb[3 * i + 2]))
      }
    }
  }
  // Per sector and axis: a projection u(rgb) with 0 = skin median, 1 = lesion, and the skin's robust sd.
  interface AxisStat {
    proj: (r: number, g: number, b: number) => number
    rsd: number
  }
  const stats: { axes: AxisStat[]; contrast: number }[] = []
  for (let s = 0; s <= SECTORS; s++) {
    const t = sums[s].skin[3] >= 20 && sums[s].les[3] >= 20 ? sums[s] : sums[SECTORS]
    if (t.skin[3] === 0 || t.les[3] === 0) {
      stats.push({ axes: [], contrast: 0 })
      continue
    }
    const sk = [t.skin[0] / t.skin[3], t.skin[1] / t.skin[3], t.skin[2] / t.skin[3]]
    const ax = [t.les[0] / t.les[3] - sk[0], t.les[1] / t.les[3] - sk[1], t.les[2] / t.les[3] - sk[2]]
    const aa = ax[0] ** 2 + ax[1] ** 2 + ax[2] ** 2 + 1e-9
    const skinLum = t.skinPix.map((i) => lum(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]))
    const skinMel = t.skinPix.map((i) => mel(rgb[3 * i], rgb[3 * i + 2]))
    const mkRaw = (
      raw: (r: number, g: number, b: number) => number,
      skinVals: number[],
      lesVals: number[],
    ): AxisStat => {
      const m0 = median(skinVals)
      const m1 = median(lesVals)
      const den = Math.abs(m1 - m0) < 1e-6 ? 1e-6 : m1 - m0
      const proj = (r: number, g: number, b: number): number => (raw(r, g, b) - m0) / den
      const dev = skinVals.map((v) => Math.abs((v - m0) / den))
      return { proj, rsd: 1.4826 * median(dev) }
    }
    const sideRaw = (r: number, g: number, b: number): number =>
      ((r - sk[0]) * ax[0] + (g - sk[1]) * ax[1] + (b - sk[2]) * ax[2]) / aa
    const skinSide = t.skinPix.map((i) => sideRaw(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]))
    // The side axis: 0 = skin mean, 1 = lesion mean already; re-centred on the skin median.
    const sideStat = mkRaw(sideRaw, skinSide, [1])
    stats.push({
      axes: [sideStat, mkRaw(lum, skinLum, t.lesLum), mkRaw((r, _g, b) => mel(r, b), skinMel, t.lesMel)],
      contrast: Math.sqrt(aa),
    })
  }
  const sampleRgb = (x: number, y: number, out: number[]): boolean => {
    if (x < 0 || y < 0 || x > W - 1.001 || y > H - 1.001) return false
    const x0 = Math.floor(x)
    const y0 = Math.floor(y)
    const ax = x - x0
    const ay = y - y0
    for (let ch = 0; ch < 3; ch++) {
      const p = (yy: number, xx: number): number => rgb[3 * (yy * W + xx) + ch]
      out[ch] =
        (p(y0, x0) * (1 - ax) + p(y0, x0 + 1) * ax) * (1 - ay) +
        (p(y0 + 1, x0) * (1 - ax) + p(y0 + 1, x0 + 1) * ax) * ay
    }
    return true
  }
  const sampleSd = (x: number, y: number): number => {
    const x0 = Math.floor(x)
    const y0 = Math.floor(y)
    const ax = x - x0
    const ay = y - y0
    const p = (yy: number, xx: number): number => Math.max(-50, Math.min(50, sdTruth[yy * W + xx]))
    return (
      (p(y0, x0) * (1 - ax) + p(y0, x0 + 1) * ax) * (1 - ay) +
      (p(y0 + 1, x0) * (1 - ax) + p(y0 + 1, x0 + 1) * ax) * ay
    )
  }
  const KR = 4
  const kern = Array.from({ length: 2 * KR + 1 }, (_, k) => Math.exp(-(((k - KR) * STEP) ** 2) / 2))
  let midCount = 0
  const c3 = [0, 0, 0]
  for (let i = 0; i < n; i++) {
    if (!band[i]) continue
    const l = nl[i]
    const b = nb[i]
    const y = Math.floor(i / W)
    const x = i - y * W
    const ly = Math.floor(l / W)
    const lx = l - ly * W
    const by = Math.floor(b / W)
    const bx = b - by * W
    const dL = Math.hypot(lx - x, ly - y)
    const dB = Math.hypot(bx - x, by - y)
    if (Math.abs(dB - dL) > 0.75) continue
    if (midCount++ % 2 !== 0) continue
    const vx = lx - bx
    const vy = ly - by
    const len = Math.hypot(vx, vy)
    if (len < 1) continue
    const ux = vx / len
    const uy = vy / len
    const mx = (lx + bx) / 2
    const my = (ly + by) / 2
    const h = len / 2
    const s0 = -h - REACH
    const S = Math.floor((2 * h + 2 * REACH) / STEP) + 1
    // Truth offset: the zero crossing of the true signed distance nearest the middle.
    let ok = true
    const sdv = new Float64Array(S)
    const raw: number[][] = []
    for (let k = 0; k < S; k++) {
      const s = s0 + k * STEP
      const px = mx + s * ux
      const py = my + s * uy
      if (!sampleRgb(px, py, c3)) {
        ok = false
        break
      }
      raw.push([c3[0], c3[1], c3[2]])
      sdv[k] = sampleSd(px, py)
    }
    if (!ok) continue
    let truthOff = NaN
    for (let k = 0; k + 1 < S; k++) {
      if (sdv[k] <= 0 && sdv[k + 1] > 0) {
        const s = s0 + (k + (0 - sdv[k]) / (sdv[k + 1] - sdv[k])) * STEP
        if (Number.isNaN(truthOff) || Math.abs(s) < Math.abs(truthOff)) truthOff = s
      }
    }
    if (Number.isNaN(truthOff)) continue
    // Nearest-label boundary along the normal: the crossing of "nearer the lesion side" nearest the middle.
    let nlOff = NaN
    let prev = -1
    for (let k = 0; k < S; k++) {
      const s = s0 + k * STEP
      const px = Math.round(mx + s * ux)
      const py = Math.round(my + s * uy)
      const j = py * W + px
      const v = data[j]
      let les: number
      if (v === LABEL_LESION) les = 1
      else if (v === LABEL_BACKGROUND) les = 0
      else les = indexD2(W, j, nl[j]) < indexD2(W, j, nb[j]) ? 1 : 0
      if (prev === 0 && les === 1) {
        const sc = s - STEP / 2
        if (Number.isNaN(nlOff) || Math.abs(sc) < Math.abs(nlOff)) nlOff = sc
      }
      prev = les
    }
    const sec = sectorAt(mx, my)
    const st = stats[sec]
    const row = new Array<number>(NE).fill(NaN)
    row[0] = 0
    row[1] = nlOff
    if (st.axes.length > 0) {
      const lo = Math.max(0, Math.round((REACH - SEARCH) / STEP))
      const hi = Math.min(S - 1, Math.round((2 * h + REACH + SEARCH) / STEP))
      for (let a = 0; a < AXES.length; a++) {
        const ax = st.axes[a]
        const u0 = raw.map((p) => ax.proj(p[0], p[1], p[2]))
        const u = new Float64Array(S)
        for (let k = 0; k < S; k++) {
          let sw = 0
          let sv = 0
          for (let d = -KR; d <= KR; d++) {
            const kk = k + d
            if (kk < 0 || kk >= S) continue
            sw += kern[d + KR]
            sv += kern[d + KR] * u0[kk]
          }
          u[k] = sv / sw
        }
        const cross = (thr: number): number => {
          // First point from the skin side where u stays above thr for 1.5 px.
          const run = Math.round(1.5 / STEP)
          for (let k = lo; k <= hi; k++) {
            let stays = true
            for (let r = 0; r <= run && k + r < S; r++) if (u[k + r] <= thr) stays = false
            if (stays) {
              if (k === lo || u[k - 1] >= thr) return s0 + k * STEP
              return s0 + (k - 1 + (thr - u[k - 1]) / (u[k] - u[k - 1])) * STEP
            }
          }
          return NaN
        }
        const base = 2 + a * KINDS.length
        row[base + 0] = cross(1 * ax.rsd)
        row[base + 1] = cross(2 * ax.rsd)
        row[base + 2] = cross(3 * ax.rsd)
        row[base + 3] = cross(0.1)
        row[base + 4] = cross(0.2)
        row[base + 5] = cross(0.3)
        row[base + 6] = cross(0.5)
        let best = -Infinity
        let bestK = -1
        for (let k = Math.max(1, lo); k <= Math.min(S - 2, hi); k++) {
          const g = u[k + 1] - u[k - 1]
          if (g > best) {
            best = g
            bestK = k
          }
        }
        row[base + 7] = bestK >= 0 ? s0 + bestK * STEP : NaN
      }
    }
    acc[0].push(ci)
    acc[1].push(sec)
    acc[2].push(2 * h - 1)
    acc[3].push(truthOff)
    acc[4].push(st.contrast)
    acc[5].push(...row)
  }
}

function indexD2(W: number, a: number, b: number): number {
  const ay = Math.floor(a / W)
  const by = Math.floor(b / W)
  return (a - ay * W - (b - by * W)) ** 2 + (ay - by) ** 2
}

const CACHE = path.join(os.tmpdir(), 'wsm-edge-foot-v1.bin')

/**
 * The check of the measurement itself: the real image replaced by one drawn from the truth (skin
 * and lesion colours with pixel noise, the edge AT the true boundary, blurred by a 3×3 box), so every
 * image estimate should find the truth to about a pixel once its bias is removed.
 */
function drawnImage(truth: Uint8Array, W: number, H: number): Uint8Array {
  const skin = [205, 160, 140]
  const les = [120, 80, 65]
  const raw = new Float32Array(3 * W * H)
  let seed = 12345
  const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5) * 16
  for (let i = 0; i < W * H; i++)
    for (let c = 0; c < 3; c++) raw[3 * i + c] = (truth[i] ? les : skin)[c] + rnd()
  const out = new Uint8Array(3 * W * H)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0
        let k = 0
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy
            const xx = x + dx
            if (yy < 0 || xx < 0 || yy >= H || xx >= W) continue
            s += raw[3 * (yy * W + xx) + c]
            k++
          }
        }
        out[3 * (y * W + x) + c] = Math.round(s / k)
      }
    }
  }
  return out
}

export async function loadNormals(
  longSide: number,
  check = false,
): Promise<{ metas: CaseMeta[]; nm: Normals }> {
  if (!check && fs.existsSync(CACHE))
    return v8.deserialize(fs.readFileSync(CACHE)) as { metas: CaseMeta[]; nm: Normals }
  const root = isicDevRoot(path.resolve(import.meta.dirname, '..', '..'))
  const all = await listIsicDev(root)
  if (all.length === 0)
    throw new Error(`no development pairs in ${root} (skipped: the real dev set is absent)`)
  const ids = check ? all.slice(0, 8) : all
  const metas: CaseMeta[] = []
  const acc: number[][] = [[], [], [], [], [], []]
  for (const id of ids) {
    const cases = await loadDevCases(root, [id], longSide)
    const sd = signedDistance(cases[0].truth)
    if (check) {
      const { width: W, height: H, data } = cases[0].truth
      const img = drawnImage(data, W, H)
      for (const c of cases) c.image = { ...c.image, data: img }
    }
    for (const c of cases) {
      caseNormals(c, sd, metas.length, acc)
      metas.push({ id: c.id, family: c.family, fold: ids.indexOf(c.id) % FOLDS })
    }
    process.stderr.write(`${id} ${acc[0].length} normals\n`)
  }
  const nm: Normals = {
    caseOf: Int32Array.from(acc[0]),
    sector: Uint8Array.from(acc[1]),
    width: Float32Array.from(acc[2]),
    truth: Float32Array.from(acc[3]),
    contrast: Float32Array.from(acc[4]),
    est: Float32Array.from(acc[5]),
  }
  if (!check) fs.writeFileSync(CACHE, v8.serialize({ metas, nm }))
  return { metas, nm }
}

function quantile(sorted: Float64Array | number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const i = args.indexOf('--long')
  const longSide = i >= 0 ? Number(args[i + 1]) : 1000
  const check = args.includes('--check')
  const { metas, nm } = await loadNormals(longSide, check)
  const N = nm.caseOf.length
  const out = (s: string): void => void process.stdout.write(s + '\n')
  out(`${N} normals over ${metas.length} cases`)
  const fam = (k: number): Family => metas[nm.caseOf[k]].family
  const fold = (k: number): number => metas[nm.caseOf[k]].fold
  // Per-normal error of estimator e (offset − truth); bias per held-out fold = median over the training folds.
  const bias = new Float64Array(FOLDS * NE)
  for (let f = 0; f < FOLDS; f++) {
    for (let e = 0; e < NE; e++) {
      const v: number[] = []
      for (let k = 0; k < N; k++) {
        const x = nm.est[k * NE + e]
        if (fold(k) !== f && Number.isFinite(x)) v.push(x - nm.truth[k])
      }
      bias[f * NE + e] = median(v)
    }
  }
  const err = new Float32Array(N * NE)
  for (let k = 0; k < N; k++) {
    for (let e = 0; e < NE; e++) err[k * NE + e] = nm.est[k * NE + e] - bias[fold(k) * NE + e] - nm.truth[k]
  }
  // Per-sector median: every normal of a (case, sector) gets the sector's median estimate.
  const sectorErr = new Float32Array(N * NE).fill(NaN)
  {
    const groups = new Map<number, number[]>()
    for (let k = 0; k < N; k++) {
      const key = nm.caseOf[k] * SECTORS + nm.sector[k]
      let g = groups.get(key)
      if (g === undefined) groups.set(key, (g = []))
      g.push(k)
    }
    for (const g of groups.values()) {
      for (let e = 0; e < NE; e++) {
        const v = g.map((k) => nm.est[k * NE + e]).filter(Number.isFinite)
        if (v.length === 0) continue
        const m = median(v)
        for (const k of g) sectorErr[k * NE + e] = m - bias[fold(k) * NE + e] - nm.truth[k]
      }
    }
  }
  const spread = (sel: (k: number) => boolean, e: number, src: Float32Array): string => {
    const v: number[] = []
    let miss = 0
    let tot = 0
    for (let k = 0; k < N; k++) {
      if (!sel(k)) continue
      tot++
      const x = src[k * NE + e]
      if (Number.isFinite(x)) v.push(x)
      else miss++
    }
    if (v.length === 0) return 'n/a'.padEnd(18)
    v.sort((a, b) => a - b)
    const iqr = quantile(v, 0.75) - quantile(v, 0.25)
    const mae = v.reduce((s, x) => s + Math.abs(x), 0) / v.length
    return `${iqr.toFixed(1).padStart(5)} ${mae.toFixed(2).padStart(5)}${miss > 0.005 * tot ? ` ${((100 * miss) / tot).toFixed(0)}%` : ''}`.padEnd(
      18,
    )
  }
  // Pooled table of every estimator.
  out(
    '\nPOOLED, held-out bias: IQR / mean|e| px (per normal) | per-sector median | missing | corr with mid error',
  )
  for (let e = 0; e < NE; e++) {
    const a: number[] = []
    const b: number[] = []
    for (let k = 0; k < N; k++) {
      const x = err[k * NE + e]
      if (Number.isFinite(x)) {
        a.push(x)
        b.push(err[k * NE])
      }
    }
    out(
      `${ESTIMATORS[e].padEnd(10)} ${spread(() => true, e, err)} ${spread(() => true, e, sectorErr)} corr ${correlation(a, b).toFixed(2)}  bias(f0) ${bias[e].toFixed(2)}`,
    )
  }
  // Per family, for every estimator: per-normal IQR / mean|e|.
  const show = ESTIMATORS.map((_, e) => e)
  out('\nPER FAMILY, per normal: IQR mean|e| (px) — columns: ' + FAMILIES.join(' '))
  for (const e of show) {
    out(`${ESTIMATORS[e].padEnd(10)} ${FAMILIES.map((f) => spread((k) => fam(k) === f, e, err)).join('')}`)
  }
  out('\nPER FAMILY, per-sector median: IQR mean|e| (px)')
  for (const e of show) {
    out(
      `${ESTIMATORS[e].padEnd(10)} ${FAMILIES.map((f) => spread((k) => fam(k) === f, e, sectorErr)).join('')}`,
    )
  }
  const WB: [number, number][] = [
    [0, 4],
    [4, 8],
    [8, 12],
    [12, 20],
    [20, 99],
  ]
  out('\nBY BAND WIDTH (px at 1000 px, all families pooled): per normal | per-sector median; normals in bin')
  for (const [lo, hi] of WB) {
    const sel = (k: number): boolean => nm.width[k] >= lo && nm.width[k] < hi
    let cnt = 0
    for (let k = 0; k < N; k++) if (sel(k)) cnt++
    out(`width ${lo}–${hi} px: ${cnt} normals`)
    for (const e of show)
      out(`  ${ESTIMATORS[e].padEnd(10)} ${spread(sel, e, err)} ${spread(sel, e, sectorErr)}`)
  }
  // By the sector's skin→lesion contrast (RGB distance between its certain rings), terciles.
  {
    const cs = Array.from(nm.contrast).sort((a, b) => a - b)
    const cuts = [0, quantile(cs, 1 / 3), quantile(cs, 2 / 3), Infinity]
    out(
      `\nBY SECTOR CONTRAST (terciles, RGB distance cuts ${cuts[1].toFixed(0)} / ${cuts[2].toFixed(0)}), width ≥ 8 px only: per normal | per-sector median`,
    )
    for (let t = 0; t < 3; t++) {
      const sel = (k: number): boolean =>
        nm.contrast[k] >= cuts[t] && nm.contrast[k] < cuts[t + 1] && nm.width[k] >= 8
      out(`contrast tercile ${t + 1}`)
      for (const name of [
        'mid',
        'side:f10',
        'side:f20',
        'side:k2',
        'side:half',
        'side:grad',
        'lum:f10',
        'mel:f10',
      ]) {
        const e = ESTIMATORS.indexOf(name)
        out(`  ${name.padEnd(10)} ${spread(sel, e, err)} ${spread(sel, e, sectorErr)}`)
      }
    }
  }
  out('\nBLEND PREVIEW (px): per-sector median estimate, bias-corrected, clipped to the band')
  for (const name of ['side:f10', 'lum:f10', 'lum:f20', 'lum:k1', 'lum:grad', 'mel:f10', 'side:half']) {
    const e = ESTIMATORS.indexOf(name)
    const se = new Float32Array(N)
    for (let k = 0; k < N; k++) se[k] = sectorErr[k * NE + e] + nm.truth[k]
    blendPreview(metas, nm, se, e, out)
  }
  // Share of normals whose estimate sits at the search window's skin end (clamped, not measured).
  {
    const atStart = ESTIMATORS.map(() => 0)
    for (let k = 0; k < N; k++) {
      const start = -nm.width[k] / 2 - 0.5 - SEARCH
      for (let e = 2; e < NE; e++) if (Math.abs(nm.est[k * NE + e] - start) < 0.3) atStart[e]++
    }
    out(
      '\nAT THE SEARCH START (skin end of the window), % of normals: ' +
        ESTIMATORS.slice(2)
          .map((n, e) => `${n} ${((100 * atStart[e + 2]) / N).toFixed(0)}`)
          .join(', '),
    )
  }
  // Correlation along the boundary: share of the per-normal error variance that is between sectors.
  out('\nALONG THE BOUNDARY: variance of per-normal error, share between (case, sector) means')
  for (const e of show) {
    const groups = new Map<number, number[]>()
    for (let k = 0; k < N; k++) {
      const x = err[k * NE + e]
      if (!Number.isFinite(x) || Math.abs(x) > 30) continue
      const key = nm.caseOf[k] * SECTORS + nm.sector[k]
      let g = groups.get(key)
      if (g === undefined) groups.set(key, (g = []))
      g.push(x)
    }
    let tot = 0
    let within = 0
    let cnt = 0
    let mean = 0
    for (const g of groups.values()) {
      for (const x of g) mean += x
      cnt += g.length
    }
    mean /= cnt
    for (const g of groups.values()) {
      const m = g.reduce((s, x) => s + x, 0) / g.length
      for (const x of g) {
        tot += (x - mean) ** 2
        within += (x - m) ** 2
      }
    }
    out(
      `  ${ESTIMATORS[e].padEnd(10)} sd ${Math.sqrt(tot / cnt).toFixed(2)}  between-sector share ${(1 - within / tot).toFixed(2)}`,
    )
  }
}

/**
 * The blend in px: per normal, offset = w·clip(sector median of the bias-corrected estimate, band)
 * (+ 0·(1 − w), the band middle), applied only where the band is at least `gate` px wide; mean |error|
 * per family. w and gate chosen per held-out fold on the training folds by the worst family's
 * improvement over the band middle (maximin), then scored on the held-out fold.
 */
function blendPreview(
  metas: CaseMeta[],
  nm: Normals,
  sectorEst: Float32Array,
  e: number,
  out: (s: string) => void,
): void {
  const N = nm.caseOf.length
  const WS = [0, 0.1, 0.2, 0.3, 0.5, 0.7, 1]
  const GATES = [0, 6, 10, 14]
  /** Contrast gates (RGB distance of the sector's rings): the image estimate only above it. */
  const CGATES = [0, 40, 80]
  const fi = new Map(FAMILIES.map((f, k) => [f, k]))
  // sums[fold][family][variant] of |err|, counts per fold and family.
  const GC = GATES.length * CGATES.length
  const V = WS.length * GC
  const abs = new Float64Array(FOLDS * FAMILIES.length * V)
  const cnt = new Float64Array(FOLDS * FAMILIES.length)
  for (let k = 0; k < N; k++) {
    const m = metas[nm.caseOf[k]]
    const f = fi.get(m.family) as number
    const row = m.fold * FAMILIES.length + f
    cnt[row]++
    const h = nm.width[k] / 2
    const x = sectorEst[k]
    const est = Number.isFinite(x) ? Math.max(-h, Math.min(h, x)) : 0
    for (let a = 0; a < WS.length; a++) {
      for (let g = 0; g < GC; g++) {
        const on =
          nm.width[k] >= GATES[g % GATES.length] && nm.contrast[k] >= CGATES[Math.floor(g / GATES.length)]
        const w = on ? WS[a] : 0
        abs[row * V + a * GC + g] += Math.abs(w * est - nm.truth[k])
      }
    }
  }
  const famMae = (folds: (f: number) => boolean, f: number, v: number): number => {
    let s = 0
    let c = 0
    for (let fo = 0; fo < FOLDS; fo++) {
      if (!folds(fo)) continue
      s += abs[(fo * FAMILIES.length + f) * V + v]
      c += cnt[fo * FAMILIES.length + f]
    }
    return s / c
  }
  const held = new Float64Array(FAMILIES.length)
  const heldMid = new Float64Array(FAMILIES.length)
  const chosen: string[] = []
  for (let fo = 0; fo < FOLDS; fo++) {
    let best = 0
    let bestWorst = -Infinity
    for (let v = 0; v < V; v++) {
      let worst = Infinity
      for (let f = 0; f < FAMILIES.length; f++) {
        const train = (x: number): boolean => x !== fo
        worst = Math.min(worst, famMae(train, f, 0) - famMae(train, f, v))
      }
      if (worst > bestWorst + 1e-9) {
        bestWorst = worst
        best = v
      }
    }
    const g = best % GC
    chosen.push(
      `w ${WS[Math.floor(best / GC)]} gate ${GATES[g % GATES.length]} px, contrast ≥ ${CGATES[Math.floor(g / GATES.length)]} (train worst ${bestWorst.toFixed(3)} px)`,
    )
    for (let f = 0; f < FAMILIES.length; f++) {
      held[f] += abs[(fo * FAMILIES.length + f) * V + best]
      heldMid[f] += abs[(fo * FAMILIES.length + f) * V]
    }
  }
  const tot = FAMILIES.map((_, f) => {
    let c = 0
    for (let fo = 0; fo < FOLDS; fo++) c += cnt[fo * FAMILIES.length + f]
    return c
  })
  out(
    `  ${ESTIMATORS[e].padEnd(10)} held-out mean|e| blend/mid: ` +
      FAMILIES.map(
        (f, k) => `${f} ${(held[k] / tot[k]).toFixed(2)}/${(heldMid[k] / tot[k]).toFixed(2)}`,
      ).join(', '),
  )
  out(`             chosen per fold: ${chosen.join('; ')}`)
  // The best fixed variant on ALL data for reference (an optimistic bound): pooled and per family.
  const all = (): boolean => true
  for (const [wi, gi, ci] of [
    [2, 0, 0],
    [3, 2, 0],
    [4, 3, 0],
    [3, 0, 2],
    [5, 2, 2],
  ]) {
    const v = wi * GC + ci * GATES.length + gi
    out(
      `             fixed w ${WS[wi]} gate ${GATES[gi]} contrast ≥ ${CGATES[ci]}: ` +
        FAMILIES.map((f, k) => `${(famMae(all, k, v) - famMae(all, k, 0)).toFixed(2)}`).join(' ') +
        ' (px change of mean|e| per family, all folds)',
    )
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  await main()
}
