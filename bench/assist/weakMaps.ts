/**
 * Weak maps (0 / 1 / 255) made from a true lesion mask the way ISIC_WSM's look: an uncertain band
 * along the true boundary whose width and lean vary along it, in several families. Each family is a
 * distribution (width, lean, jitter and drawing resolution drawn per pair within the family's
 * ranges, and a smooth random field along the boundary), so a method cannot learn one fixed
 * geometry. Widths are given in full-resolution pixels and scaled to the grid of the map.
 * Deterministic: the same truth, family and seed give the same map.
 */
import { nearestSite } from '../../shared/labels/assist/distance'
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN } from '../../shared/labels/codes'
import type { LabelMap } from '../../shared/labels/codes'
import { mulberry32, uniform, randInt } from '../../electron/services/demo/prng'
import type { Rng } from '../../electron/services/demo/prng'

export const FAMILIES = [
  'centred',
  'lean-in',
  'lean-out',
  'narrow',
  'wide',
  'stair',
  'blobs',
  'jitter',
] as const
export type Family = (typeof FAMILIES)[number]

interface FamilySpec {
  /** Mean band width, full-resolution px. */
  width: [number, number]
  /** Fraction of the band inside the lesion. */
  lean: [number, number]
  /** Drawn at 1/f resolution (full-resolution px per cell) and upscaled by nearest neighbour. */
  stair?: [number, number]
  blobs?: [number, number]
  /** Amplitude (full-resolution px) of a smooth displacement of the boundary the band follows. */
  jitter?: [number, number]
}

const SPECS: Record<Family, FamilySpec> = {
  centred: { width: [8, 40], lean: [0.38, 0.62] },
  'lean-in': { width: [8, 40], lean: [0.65, 0.95] },
  'lean-out': { width: [8, 40], lean: [0.05, 0.35] },
  narrow: { width: [3, 12], lean: [0.15, 0.85] },
  wide: { width: [24, 48], lean: [0.15, 0.85] },
  stair: { width: [8, 40], lean: [0.15, 0.85], stair: [8, 28] },
  blobs: { width: [8, 40], lean: [0.15, 0.85], blobs: [3, 9] },
  jitter: { width: [10, 40], lean: [0.25, 0.75], jitter: [3, 14] },
}

/** A smooth random field in [-1, 1]: random values on a coarse grid, bilinear in between. */
function smoothField(rng: Rng, W: number, H: number, cells: number): Float32Array {
  const gw = cells + 1
  const gh = Math.max(2, Math.round((cells * H) / W) + 1)
  const g = new Float32Array(gw * gh)
  for (let i = 0; i < g.length; i++) g[i] = uniform(rng, -1, 1)
  const out = new Float32Array(W * H)
  for (let y = 0; y < H; y++) {
    const fy = (y / Math.max(1, H - 1)) * (gh - 1)
    const y0 = Math.min(gh - 2, Math.floor(fy))
    const ay = fy - y0
    for (let x = 0; x < W; x++) {
      const fx = (x / Math.max(1, W - 1)) * (gw - 1)
      const x0 = Math.min(gw - 2, Math.floor(fx))
      const ax = fx - x0
      const a = g[y0 * gw + x0] * (1 - ax) + g[y0 * gw + x0 + 1] * ax
      const b = g[(y0 + 1) * gw + x0] * (1 - ax) + g[(y0 + 1) * gw + x0 + 1] * ax
      out[y * W + x] = a * (1 - ay) + b * ay
    }
  }
  return out
}

/** Signed distance to the boundary of `truth` (0/1): positive inside the lesion, in pixels. */
export function signedDistance(truth: LabelMap): Float32Array {
  const { width: W, height: H, data } = truth
  const n = W * H
  const les = new Uint8Array(n)
  const bg = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    if (data[i] === LABEL_LESION) les[i] = 1
    else bg[i] = 1
  }
  const nl = nearestSite(W, H, les)
  const nb = nearestSite(W, H, bg)
  const s = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const other = data[i] === LABEL_LESION ? nb[i] : nl[i]
    if (other < 0) {
      s[i] = data[i] === LABEL_LESION ? 1e6 : -1e6
      continue
    }
    const y = Math.floor(i / W)
    const oy = Math.floor(other / W)
    const d = Math.hypot(i - y * W - (other - oy * W), y - oy) - 0.5
    s[i] = data[i] === LABEL_LESION ? d : -d
  }
  return s
}

/** Seed of a (pair, family) combination: a string hash mixed with the base seed. */
export function pairSeed(id: string, family: string, base: number): number {
  let h = base >>> 0
  for (const ch of `${id}/${family}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x9e3779b1) >>> 0
  return h
}

export interface WeakMapInfo {
  family: Family
  /** Mean band width and lean drawn for this pair (full-resolution px, fraction inside). */
  width: number
  lean: number
}

/**
 * A weak map of `family` from `truth` (0/1). `scale` = map pixels per full-resolution pixel
 * (1 at full resolution, ~0.3 for a 3000-px image reduced to 1000).
 */
export function makeWeakMap(
  truth: LabelMap,
  family: Family,
  seed: number,
  scale = 1,
  sd: Float32Array = signedDistance(truth),
): { map: LabelMap; info: WeakMapInfo } {
  const { width: W, height: H } = truth
  const n = W * H
  const spec = SPECS[family]
  const rng = mulberry32(seed)
  const width = uniform(rng, spec.width[0], spec.width[1])
  const lean = uniform(rng, spec.lean[0], spec.lean[1])
  const fw = smoothField(rng, W, H, randInt(rng, 4, 10))
  const fl = smoothField(rng, W, H, randInt(rng, 4, 10))
  const wVar = uniform(rng, 0.15, 0.45)
  const lVar = uniform(rng, 0.03, 0.12)
  let s = sd
  if (spec.jitter) {
    const amp = uniform(rng, spec.jitter[0], spec.jitter[1]) * scale
    const f1 = smoothField(rng, W, H, randInt(rng, 8, 24))
    const f2 = smoothField(rng, W, H, randInt(rng, 30, 60))
    s = new Float32Array(n)
    for (let i = 0; i < n; i++) s[i] = sd[i] + amp * (0.75 * f1[i] + 0.25 * f2[i])
  }
  const data = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const w = Math.max(1, width * scale * (1 + wVar * fw[i]))
    const l = Math.min(0.98, Math.max(0.02, lean + lVar * fl[i]))
    const v = s[i]
    data[i] = v >= w * l ? LABEL_LESION : v <= -w * (1 - l) ? LABEL_BACKGROUND : LABEL_UNCERTAIN
  }
  if (spec.stair) {
    const f = Math.max(2, Math.round(uniform(rng, spec.stair[0], spec.stair[1]) * scale))
    const ox = randInt(rng, 0, f - 1)
    const oy = randInt(rng, 0, f - 1)
    const out = new Uint8Array(n)
    for (let cy = -oy; cy < H; cy += f) {
      for (let cx = -ox; cx < W; cx += f) {
        let unc = 0
        let les = 0
        let tot = 0
        for (let y = Math.max(0, cy); y < Math.min(H, cy + f); y++) {
          for (let x = Math.max(0, cx); x < Math.min(W, cx + f); x++) {
            const v = data[y * W + x]
            if (v === LABEL_UNCERTAIN) unc++
            else if (v === LABEL_LESION) les++
            tot++
          }
        }
        const lab = unc * 4 >= tot ? LABEL_UNCERTAIN : les * 2 > tot - unc ? LABEL_LESION : LABEL_BACKGROUND
        for (let y = Math.max(0, cy); y < Math.min(H, cy + f); y++) {
          out.fill(lab, y * W + Math.max(0, cx), y * W + Math.min(W, cx + f))
        }
      }
    }
    data.set(out)
  }
  if (spec.blobs) {
    const count = randInt(rng, spec.blobs[0], spec.blobs[1])
    for (let b = 0, tries = 0; b < count && tries < 200; tries++) {
      const cx = randInt(rng, 0, W - 1)
      const cy = randInt(rng, 0, H - 1)
      const inside = rng() < 0.3
      const v = sd[cy * W + cx]
      const rx = uniform(rng, 5, 40) * scale + 1
      const ry = rx * uniform(rng, 0.5, 1.5)
      // Away from the band: the blob's centre at least its radius plus the widest band from the edge.
      const clear = Math.max(rx, ry) + width * scale
      if (inside ? v < clear : v > -clear) continue
      const ang = uniform(rng, 0, Math.PI)
      const c = Math.cos(ang)
      const sn = Math.sin(ang)
      const R = Math.ceil(Math.max(rx, ry))
      for (let y = Math.max(0, cy - R); y <= Math.min(H - 1, cy + R); y++) {
        for (let x = Math.max(0, cx - R); x <= Math.min(W - 1, cx + R); x++) {
          const u = ((x - cx) * c + (y - cy) * sn) / rx
          const w = (-(x - cx) * sn + (y - cy) * c) / ry
          if (u * u + w * w <= 1) data[y * W + x] = LABEL_UNCERTAIN
        }
      }
      b++
    }
  }
  return { map: { width: W, height: H, data }, info: { family, width, lean } }
}
