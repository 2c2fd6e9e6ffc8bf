/**
 * Weak maps (0/1/255) made from ground-truth masks, and the realistic errors triage must find.
 * Deterministic from a seed. A weak map here: an uncertain band along the true boundary, of varying
 * width and lean (more of it inside or outside), wobbling along the boundary, drawn at a lower
 * resolution and upscaled by nearest neighbour (stair steps), plus a few stray uncertain blobs.
 */
import { nearestSite } from '../../shared/labels/assist/distance'
import type { LabelMap } from '../../shared/labels/codes'
import type { TriageImage } from '../../shared/labels/triage/types'
import { mulberry32, uniform, type Rng } from '../../electron/services/demo/prng'
import type { Binary } from './devSet'

export type { Rng }
/** mulberry32, the demo's seeded generator: the same seed draws the same test cases everywhere. */
export const rngFrom = mulberry32

/** Signed distance to the mask's edge in pixels: negative inside, ±0.5 next to the edge. */
export function signedDistance(b: Binary): Float32Array {
  const { width, height, data } = b
  const n = width * height
  const out = new Float32Array(n)
  let any = 0
  for (let i = 0; i < n; i++) any += data[i]
  if (any === 0 || any === n) return out.fill(any === 0 ? 1e6 : -1e6)
  const notData = new Uint8Array(n)
  for (let i = 0; i < n; i++) notData[i] = data[i] ? 0 : 1
  const nearIn = nearestSite(width, height, data)
  const nearOut = nearestSite(width, height, notData)
  for (let i = 0; i < n; i++) {
    const j = data[i] ? nearOut[i] : nearIn[i]
    const y = (i / width) | 0
    const jy = (j / width) | 0
    const dx = i - y * width - (j - jy * width)
    const dy = y - jy
    const d = Math.sqrt(dx * dx + dy * dy) - 0.5
    out[i] = data[i] ? -d : d
  }
  return out
}

export function area(b: Binary): number {
  let s = 0
  for (let i = 0; i < b.data.length; i++) s += b.data[i]
  return s
}

/** A weak map of `truth` (see the file's comment). */
export function weakMap(truth: Binary, rng: Rng): LabelMap {
  const { width, height } = truth
  const sd = signedDistance(truth)
  const size = Math.max(width, height)
  const hw = size * uniform(rng, 0.006, 0.03)
  const lean = uniform(rng, -0.6, 0.6) * hw
  const coarse = [1, 2, 4, 8][Math.floor(rng() * 4)]
  const waves = Array.from({ length: 3 }, () => ({
    fx: uniform(rng, 1, 6) / size,
    fy: uniform(rng, 1, 6) / size,
    p: uniform(rng, 0, 2 * Math.PI),
    a: uniform(rng, 0, 0.35) * hw,
  }))
  const data = new Uint8Array(width * height)
  for (let cy = 0; cy < height; cy += coarse) {
    const sy = Math.min(height - 1, cy + (coarse >> 1))
    for (let cx = 0; cx < width; cx += coarse) {
      const sx = Math.min(width - 1, cx + (coarse >> 1))
      let wob = 0
      for (const w of waves) wob += w.a * Math.sin(2 * Math.PI * (w.fx * sx + w.fy * sy) + w.p)
      const v = sd[sy * width + sx] - lean + wob
      const label = v < -hw ? 1 : v > hw ? 0 : 255
      for (let y = cy; y < Math.min(height, cy + coarse); y++)
        data.fill(label, y * width + cx, y * width + Math.min(width, cx + coarse))
    }
  }
  const blobs = Math.floor(rng() * 4)
  for (let k = 0; k < blobs; k++) {
    const bx = rng() * width
    const by = rng() * height
    const r = size * uniform(rng, 0.004, 0.015)
    disc(data, width, height, bx, by, r, 255)
  }
  return { width, height, data }
}

function disc(
  data: Uint8Array,
  width: number,
  height: number,
  cx: number,
  cy: number,
  r: number,
  v: number,
): void {
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(height - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(width - 1, Math.ceil(cx + r)); x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) data[y * width + x] = v
    }
  }
}

export const CORRUPTIONS = [
  'other-mask',
  'shift',
  'erode',
  'dilate',
  'part-missing',
  'vignette',
  'ruler',
  'hair',
  'sticker',
  'swapped',
] as const
export type Corruption = (typeof CORRUPTIONS)[number]

/** A resized copy (nearest neighbour). */
export function resizeBinary(b: Binary, width: number, height: number): Binary {
  const data = new Uint8Array(width * height)
  for (let y = 0; y < height; y++) {
    const sy = Math.min(b.height - 1, Math.floor(((y + 0.5) * b.height) / height))
    for (let x = 0; x < width; x++) {
      const sx = Math.min(b.width - 1, Math.floor(((x + 0.5) * b.width) / width))
      data[y * width + x] = b.data[sy * b.width + sx]
    }
  }
  return { width, height, data }
}

/**
 * A corrupted pair: the truth altered (and the image, for artefacts drawn on it), then made weak;
 * `swapped` swaps 0 and 1 of a right weak map.
 */
export function corruptPair(
  kind: Corruption,
  truth: Binary,
  image: TriageImage,
  others: Binary[],
  rng: Rng,
): { map: LabelMap; image: TriageImage } {
  const { width, height } = truth
  const n = width * height
  let t: Binary = truth
  let img = image
  let artefactCore: Float32Array | null = null
  const lesionArea = Math.max(1, area(truth))
  const rEq = Math.sqrt(lesionArea / Math.PI)
  switch (kind) {
    case 'other-mask': {
      const o = others[Math.floor(rng() * others.length)]
      t = resizeBinary(o, width, height)
      break
    }
    case 'shift': {
      const mag = uniform(rng, 0.05, 0.15)
      const a = uniform(rng, 0, 2 * Math.PI)
      const dx = Math.round(Math.cos(a) * mag * width)
      const dy = Math.round(Math.sin(a) * mag * height)
      const data = new Uint8Array(n)
      for (let y = 0; y < height; y++) {
        const sy = y - dy
        if (sy < 0 || sy >= height) continue
        for (let x = 0; x < width; x++) {
          const sx = x - dx
          if (sx >= 0 && sx < width) data[y * width + x] = truth.data[sy * width + sx]
        }
      }
      t = { width, height, data }
      break
    }
    case 'erode':
    case 'dilate': {
      const sd = signedDistance(truth)
      const amount = uniform(rng, 0.1, 0.3) * rEq * (kind === 'erode' ? -1 : 1)
      const data = new Uint8Array(n)
      for (let i = 0; i < n; i++) data[i] = sd[i] < amount ? 1 : 0
      t = { width, height, data }
      break
    }
    case 'part-missing': {
      // A straight cut removing 25–50 % of the lesion's area.
      const a = uniform(rng, 0, 2 * Math.PI)
      const nx = Math.cos(a)
      const ny = Math.sin(a)
      const proj: number[] = []
      for (let i = 0; i < n; i++) if (truth.data[i]) proj.push((i % width) * nx + Math.floor(i / width) * ny)
      proj.sort((p, q) => p - q)
      const cut = proj[Math.floor(proj.length * uniform(rng, 0.25, 0.5))] ?? 0
      const data = new Uint8Array(n)
      for (let i = 0; i < n; i++)
        data[i] = truth.data[i] && (i % width) * nx + Math.floor(i / width) * ny >= cut ? 1 : 0
      t = { width, height, data }
      break
    }
    case 'vignette':
    case 'ruler':
    case 'hair':
    case 'sticker': {
      const art = artefact(kind, truth, rng)
      const inside = art.raster(width, height)
      artefactCore = inside
      const data = Uint8Array.from(truth.data)
      for (let i = 0; i < n; i++) if (inside[i] >= 0.5) data[i] = 1
      t = { width, height, data }
      const alpha = art.raster(image.width, image.height, true)
      const out = Uint8Array.from(image.data)
      for (let i = 0; i < alpha.length; i++) {
        const a = alpha[i]
        if (a <= 0) continue
        for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(out[i * 3 + c] * (1 - a) + art.colour[c] * a)
      }
      img = { width: image.width, height: image.height, data: out }
      break
    }
    case 'swapped':
      break
  }
  const map = weakMap(t, rng)
  if (artefactCore) {
    // The artefact itself is labelled lesion with certainty, as a weakly supervised map would.
    for (let i = 0; i < n; i++) if (artefactCore[i] >= 0.5) map.data[i] = 1
  }
  if (kind === 'swapped') {
    for (let i = 0; i < n; i++) {
      const v = map.data[i]
      if (v === 0) map.data[i] = 1
      else if (v === 1) map.data[i] = 0
    }
  }
  return { map, image: img }
}

interface Artefact {
  /** Per pixel of a width×height raster: the drawing's opacity (`draw`), or ≥ 0.5 where it is labelled. */
  raster: (width: number, height: number, draw?: boolean) => Float32Array
  colour: [number, number, number]
}

/** An artefact given by closures in normalised coordinates. */
function byClosures(
  inside: (u: number, v: number) => boolean,
  alpha: (u: number, v: number) => number,
  colour: [number, number, number],
): Artefact {
  return {
    colour,
    raster: (width, height, draw = false) => {
      const out = new Float32Array(width * height)
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const u = (x + 0.5) / width
          const v = (y + 0.5) / height
          out[y * width + x] = draw ? alpha(u, v) : inside(u, v) ? 1 : 0
        }
      }
      return out
    },
  }
}

/** A dark artefact in normalised coordinates (u, v in [0, 1]); `truth` steers stickers off the lesion. */
function artefact(kind: 'vignette' | 'ruler' | 'hair' | 'sticker', truth: Binary, rng: Rng): Artefact {
  const aspect = truth.width / truth.height
  const dark: [number, number, number] = [
    Math.round(uniform(rng, 10, 45)),
    Math.round(uniform(rng, 8, 35)),
    Math.round(uniform(rng, 8, 35)),
  ]
  switch (kind) {
    case 'vignette': {
      const cu = rng() < 0.5 ? 0 : 1
      const cv = rng() < 0.5 ? 0 : 1
      const R = uniform(rng, 0.78, 0.92)
      const rad = (u: number, v: number): number =>
        Math.hypot((u - 0.5) * aspect, v - 0.5) / Math.hypot(0.5 * aspect, 0.5)
      const quadrant = (u: number, v: number): boolean => u < 0.5 === (cu === 0) && v < 0.5 === (cv === 0)
      return byClosures(
        (u, v) => quadrant(u, v) && rad(u, v) > R,
        (u, v) => (quadrant(u, v) ? Math.min(1, Math.max(0, (rad(u, v) - R + 0.03) / 0.08)) : 0),
        dark,
      )
    }
    case 'ruler': {
      const side = Math.floor(rng() * 4)
      const thick = uniform(rng, 0.03, 0.07)
      const off = uniform(rng, 0, 0.03)
      const s0 = uniform(rng, 0, 0.5)
      const s1 = s0 + uniform(rng, 0.4, 0.5)
      const ticks = uniform(rng, 0.015, 0.03)
      const at = (u: number, v: number): { across: number; along: number } =>
        side === 0
          ? { across: v, along: u }
          : side === 1
            ? { across: 1 - v, along: u }
            : side === 2
              ? { across: u, along: v }
              : { across: 1 - u, along: v }
      const inside = (u: number, v: number): boolean => {
        const p = at(u, v)
        return p.across >= off && p.across <= off + thick && p.along >= s0 && p.along <= s1
      }
      return byClosures(
        inside,
        (u, v) => {
          if (!inside(u, v)) return 0
          const p = at(u, v)
          // Light tick marks on the outer half of the ruler.
          return p.across > off + thick / 2 && Math.floor(p.along / ticks) % 2 === 0 ? 0.35 : 0.95
        },
        dark,
      )
    }
    case 'hair': {
      const cx = uniform(rng, 0.1, 0.9)
      const cy = uniform(rng, 0.1, 0.9)
      const strokes = Array.from({ length: 6 + Math.floor(rng() * 9) }, () => {
        const a = uniform(rng, 0, 2 * Math.PI)
        const len = uniform(rng, 0.1, 0.25)
        const bend = uniform(rng, -0.08, 0.08)
        const x0 = cx + uniform(rng, -0.08, 0.08)
        const y0 = cy + uniform(rng, -0.08, 0.08)
        return { x0, y0, dx: Math.cos(a) * len, dy: Math.sin(a) * len * aspect, bend }
      })
      const thick = uniform(rng, 0.004, 0.007)
      return {
        colour: dark,
        // Discs stamped along each stroke: opacity falls off over the last third of the radius.
        raster: (w, h, draw = false) => {
          const out = new Float32Array(w * h)
          const r = thick * 1.5 * h
          for (const s of strokes) {
            const steps = Math.ceil((Math.hypot(s.dx * w, s.dy * h) / Math.max(0.5, r)) * 2) + 1
            for (let k = 0; k <= steps; k++) {
              const t = k / steps
              const px = (s.x0 + s.dx * t - s.dy * s.bend * 4 * t * (1 - t)) * w
              const py = (s.y0 + s.dy * t + s.dx * s.bend * 4 * t * (1 - t)) * h
              for (let y = Math.max(0, Math.floor(py - r)); y <= Math.min(h - 1, Math.ceil(py + r)); y++) {
                for (let x = Math.max(0, Math.floor(px - r)); x <= Math.min(w - 1, Math.ceil(px + r)); x++) {
                  const d = Math.hypot(x + 0.5 - px, y + 0.5 - py) / r
                  const a = draw ? Math.max(0, Math.min(1, (1 - d) * 3)) : d <= 1 ? 1 : 0
                  if (a > out[y * w + x]) out[y * w + x] = a
                }
              }
            }
          }
          return out
        },
      }
    }
    case 'sticker': {
      const r = uniform(rng, 0.04, 0.08)
      let cx = 0.5
      let cy = 0.5
      for (let tries = 0; tries < 30; tries++) {
        cx = uniform(rng, r, 1 - r / aspect)
        cy = uniform(rng, r * aspect, 1 - r * aspect)
        const px = Math.min(truth.width - 1, Math.floor(cx * truth.width))
        const py = Math.min(truth.height - 1, Math.floor(cy * truth.height))
        if (!truth.data[py * truth.width + px]) break
      }
      const colours: Array<[number, number, number]> = [dark, [25, 45, 130], [120, 25, 30], [30, 90, 40]]
      const colour = colours[Math.floor(rng() * colours.length)]
      const d = (u: number, v: number): number => Math.hypot(u - cx, (v - cy) / aspect)
      return byClosures(
        (u, v) => d(u, v) <= r,
        (u, v) => (d(u, v) <= r ? 1 : 0),
        colour,
      )
    }
  }
}
