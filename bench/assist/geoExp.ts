/**
 * Experiment (issue #12): can the band's GEOMETRY alone beat the nearest certain label on the real
 * development set? Real lesion boundaries are smooth, weak bands are stair-stepped and jittered, so
 * the idea was to smooth the band's medial axis: a signed field across the band, Gaussian-smoothed,
 * thresholded at 0 (uncertain pixels only; certain pixels never change). No image, nothing fitted
 * (every variant is listed, none chosen), so every figure is already "held-out".
 *
 * - phi = d_bg − d_lesion (px; 0 on the band's medial axis = the nearest-label boundary, up to ties);
 *   a Gaussian on it moves its zero set like a short curvature flow;
 * - psi = phi / (d_bg + d_lesion) = 2t − 1 (width-normalised, so a locally wide band counts as
 *   much as a narrow one);
 * - sigma fixed in px at the evaluation's resolution (s1…s8), or half the pair's median band width
 *   (w.5); phi>0 / phi>=0 are the unsmoothed field with exact ties to background / to lesion.
 *
 * Result (2026-12-07; 44 ISIC 2017 pairs × 8 families at 1000 px long side; % of uncertain px right):
 *
 *   variant   centred lean-in lean-out narrow  wide   stair  blobs  jitter pooled
 *   nearest    92.73   69.88   69.68  84.78  79.67  84.50  83.05  84.91  81.01
 *   phi>0      92.91   68.52   71.65  85.54  79.72  84.46  83.55  85.17  81.22
 *   phi>=0     92.63   71.23   67.82  84.08  79.49  84.53  82.74  84.64  80.84
 *   phi s1     92.34   69.30   70.45  83.85  79.50  84.60  83.34  84.72  80.94
 *   phi s2     91.38   69.25   70.09  79.11  79.22  84.64  82.97  84.20  80.44
 *   phi s4     89.60   68.68   69.89  74.10  78.66  84.42  82.35  83.17  79.58
 *   phi s8     87.10   66.57   70.58  69.62  77.82  83.37  81.29  81.46  78.22
 *   psi s2     91.44   69.30   70.23  79.51  79.26  84.65  83.07  84.26  80.51
 *   phi w.5    89.57   68.42   70.45  82.14  78.28  84.12  82.46  83.09  79.81
 *   psi w.5    89.64   68.65   70.71  82.44  78.44  84.20  82.69  83.22  79.97
 *
 * Smoothing does not help: the stair family gains at most 0.15 point (s2), every other family
 * loses, most where the band is 1–4 px wide (narrow: −5.7 points at s2), whose pixel-level edges
 * are information, not stairs. The error left to nearest label is the band's LEAN (where across it
 * the edge sits), which the band's shape does not carry in these maps; tie-breaking alone trades
 * lean-in against lean-out (phi>0 vs phi>=0). So the product method stays as it is.
 *
 *   npx jiti bench/assist/geoExp.ts [--long 1000]   (~10 min on one core)
 */
import path from 'node:path'
import { resolveNearestLabel } from '../../shared/labels/assist/baselines'
import { boxSum } from '../../shared/labels/assist/boxFilter'
import { nearestSite } from '../../shared/labels/assist/distance'
import { uncertainBox } from '../../shared/labels/assist/grid'
import { evaluate } from '../../shared/labels/assist/evaluate'
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN } from '../../shared/labels/codes'
import type { LabelMap } from '../../shared/labels/codes'
import { isicDevRoot, listIsicDev } from './isicDev'
import { loadDevCases } from './realEval'
import { FAMILIES } from './weakMaps'

/**
 * A copy of `src` blurred by about a Gaussian of `sigma` px: three normalised box passes of radius
 * r, r(r + 1) ≈ sigma² (the window is cut at the borders). sigma ≤ 0: a plain copy.
 */
function gauss(src: Float32Array, W: number, H: number, sigma: number): Float32Array {
  if (sigma <= 0) return src.slice()
  const r = Math.max(1, Math.round((-1 + Math.sqrt(1 + 4 * sigma * sigma)) / 2))
  const k = boxSum(new Float32Array(W * H).fill(1), W, H, r)
  let a = src
  for (let p = 0; p < 3; p++) {
    a = boxSum(a, W, H, r)
    for (let i = 0; i < a.length; i++) a[i] /= k[i]
  }
  return a
}

function fields(map: LabelMap): { dL: Float32Array; dB: Float32Array } {
  const { width: W, height: H, data } = map
  const n = W * H
  const sl = new Uint8Array(n)
  const sb = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    if (data[i] === LABEL_LESION) sl[i] = 1
    else if (data[i] === LABEL_BACKGROUND) sb[i] = 1
  }
  const nl = nearestSite(W, H, sl)
  const nb = nearestSite(W, H, sb)
  const dL = new Float32Array(n)
  const dB = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const y = Math.floor(i / W)
    const x = i - y * W
    const a = nl[i]
    const b = nb[i]
    dL[i] = a < 0 ? 1e4 : Math.hypot(x - (a % W), y - Math.floor(a / W))
    dB[i] = b < 0 ? 1e4 : Math.hypot(x - (b % W), y - Math.floor(b / W))
  }
  return { dL, dB }
}

function threshold(map: LabelMap, phi: Float32Array): Uint8Array {
  const out = map.data.slice()
  for (let i = 0; i < out.length; i++) if (out[i] === LABEL_UNCERTAIN) out[i] = phi[i] > 0 ? 1 : 0
  return out
}

function medianWidth(map: LabelMap, dL: Float32Array, dB: Float32Array): number {
  const w: number[] = []
  for (let i = 0; i < dL.length; i += 7) if (map.data[i] === LABEL_UNCERTAIN) w.push(dL[i] + dB[i])
  w.sort((p, q) => p - q)
  return w.length ? w[w.length >> 1] : 1
}

function crop(map: LabelMap, truth: LabelMap, m: number): { map: LabelMap; truth: LabelMap } {
  const box = uncertainBox(map).rect
  const x0 = Math.max(0, box.x - m)
  const y0 = Math.max(0, box.y - m)
  const x1 = Math.min(map.width, box.x + box.width + m)
  const y1 = Math.min(map.height, box.y + box.height + m)
  const w = x1 - x0
  const h = y1 - y0
  const a = new Uint8Array(w * h)
  const b = new Uint8Array(w * h)
  for (let y = 0; y < h; y++) {
    a.set(map.data.subarray((y0 + y) * map.width + x0, (y0 + y) * map.width + x1), y * w)
    b.set(truth.data.subarray((y0 + y) * map.width + x0, (y0 + y) * map.width + x1), y * w)
  }
  return { map: { width: w, height: h, data: a }, truth: { width: w, height: h, data: b } }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const li = args.indexOf('--long')
  const longSide = li >= 0 ? Number(args[li + 1]) : 1000
  const repo = path.resolve(import.meta.dirname, '..', '..')
  const root = isicDevRoot(repo)
  const ids = await listIsicDev(root)
  const variants: string[] = ['nearest']
  const acc = new Map<string, { u: number; c: number }>()
  const add = (v: string, fam: string, u: number, c: number): void => {
    for (const key of [`${v}|${fam}`, `${v}|pooled`]) {
      const e = acc.get(key) ?? { u: 0, c: 0 }
      e.u += u
      e.c += c
      acc.set(key, e)
    }
  }
  // Each variant: a field, its Gaussian scale (px at this resolution, or × the pair's median band
  // width), and how ties (field exactly 0) go.
  const VARIANTS: { name: string; field: 'phi' | 'psi'; sigma: number; perWidth?: boolean; tie: number }[] = [
    { name: 'phi>0', field: 'phi', sigma: 0, tie: 0 },
    { name: 'phi>=0', field: 'phi', sigma: 0, tie: 1e-3 },
    { name: 'phi s1', field: 'phi', sigma: 1, tie: 0 },
    { name: 'phi s2', field: 'phi', sigma: 2, tie: 0 },
    { name: 'phi s4', field: 'phi', sigma: 4, tie: 0 },
    { name: 'phi s8', field: 'phi', sigma: 8, tie: 0 },
    { name: 'psi s2', field: 'psi', sigma: 2, tie: 0 },
    { name: 'phi w.5', field: 'phi', sigma: 0.5, perWidth: true, tie: 0 },
    { name: 'psi w.5', field: 'psi', sigma: 0.5, perWidth: true, tie: 0 },
  ]
  for (const v of VARIANTS) variants.push(v.name)
  for (const id of ids) {
    for (const c0 of await loadDevCases(root, [id], longSide)) {
      const c = crop(c0.map, c0.truth, 40)
      const { width: W, height: H } = c.map
      const n = W * H
      const ev = (labels: Uint8Array): { u: number; c: number } => {
        const e = evaluate(labels, c.truth, c.map)
        return { u: e.uncertain, c: e.correct }
      }
      const e0 = ev(resolveNearestLabel(c.map))
      add('nearest', c0.family, e0.u, e0.c)
      const { dL, dB } = fields(c.map)
      // phi: dB − dL in px (0 on the band's medial axis); psi: the same normalised by the local band
      // width (2t − 1 in the band, ±1-ish outside).
      const phi = new Float32Array(n)
      const psi = new Float32Array(n)
      for (let i = 0; i < n; i++) {
        phi[i] = Math.max(-200, Math.min(200, dB[i] - dL[i]))
        psi[i] = (dB[i] - dL[i]) / Math.max(1e-6, dB[i] + dL[i])
      }
      const wm = medianWidth(c.map, dL, dB)
      for (const v of VARIANTS) {
        const sigma = v.perWidth ? Math.max(0.5, v.sigma * wm) : v.sigma
        const g = gauss(v.field === 'phi' ? phi : psi, W, H, sigma)
        if (v.tie !== 0) for (let i = 0; i < n; i++) if (g[i] === 0) g[i] = v.tie
        const e = ev(threshold(c.map, g))
        add(v.name, c0.family, e.u, e.c)
      }
    }
    process.stderr.write('.')
  }
  process.stderr.write('\n')
  const groups = [...FAMILIES, 'pooled']
  process.stdout.write('variant'.padEnd(12) + groups.map((g) => g.slice(0, 8).padStart(9)).join('') + '\n')
  for (const v of variants) {
    process.stdout.write(
      v.padEnd(12) +
        groups
          .map((g) => {
            const e = acc.get(`${v}|${g}`)
            return (e ? ((100 * e.c) / e.u).toFixed(2) : '-').padStart(9)
          })
          .join('') +
        '\n',
    )
  }
}

await main()
