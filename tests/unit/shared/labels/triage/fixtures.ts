/**
 * Tiny generated pairs for the triage tests: a skin-coloured image with a dark round lesion (and a
 * little deterministic noise), and weak maps of it — right, or wrong in one way each.
 */
import type { LabelMap } from '../../../../../shared/labels/codes'
import type { TriageImage } from '../../../../../shared/labels/triage/types'

export const W = 120
export const H = 90
export const CX = 60
export const CY = 45
export const R = 20

const SKIN = [205, 165, 145]
const LESION = [95, 60, 45]

/** Deterministic noise in [-1, 1]. */
function noise(i: number): number {
  const s = Math.sin(i * 12.9898) * 43758.5453
  return (s - Math.floor(s)) * 2 - 1
}

export function lesionImage(opts: { cx?: number; cy?: number; r?: number } = {}): TriageImage {
  const { cx = CX, cy = CY, r = R } = opts
  const data = new Uint8Array(W * H * 3)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const d = Math.hypot(x - cx, y - cy)
      // A soft edge of about 2 px.
      const t = Math.min(1, Math.max(0, (r + 1 - d) / 2))
      for (let c = 0; c < 3; c++) {
        const v = SKIN[c] * (1 - t) + LESION[c] * t + 6 * noise((y * W + x) * 3 + c)
        data[(y * W + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)))
      }
    }
  }
  return { width: W, height: H, data }
}

/**
 * A weak map of the disc (cx, cy, r): lesion inside r − band, uncertain within ±band of r,
 * background outside; `extra` paints further pixels (x, y) → label.
 */
export function discMap(
  opts: {
    cx?: number
    cy?: number
    r?: number
    band?: number
    extra?: (x: number, y: number) => number | null
  } = {},
): LabelMap {
  const { cx = CX, cy = CY, r = R, band = 2, extra } = opts
  const data = new Uint8Array(W * H)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const d = Math.hypot(x - cx, y - cy)
      let v = d < r - band ? 1 : d <= r + band ? 255 : 0
      const e = extra?.(x, y)
      if (e !== null && e !== undefined) v = e
      data[y * W + x] = v
    }
  }
  return { width: W, height: H, data }
}

/** Scales a map up by an integer factor (nearest neighbour): the same map at a larger mask size. */
export function upscale(map: LabelMap, f: number): LabelMap {
  const width = map.width * f
  const height = map.height * f
  const data = new Uint8Array(width * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      data[y * width + x] = map.data[Math.floor(y / f) * map.width + Math.floor(x / f)]
  }
  return { width, height, data }
}

/**
 * Weak maps with what the mask-only measures look at: a lesion disc with its band, stray blobs of
 * lesion and uncertain, a hole, lesion along the frame, thin strokes (deterministic from `seed`).
 */
export function clutteredMap(seed: number): LabelMap {
  let s = seed * 2654435761
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24)
  const blobs = Array.from({ length: Math.floor(rnd() * 6) }, () => ({
    x: rnd() * 120,
    y: rnd() * 90,
    r: 1 + rnd() * 8,
    v: rnd() < 0.6 ? 1 : rnd() < 0.5 ? 255 : 0,
  }))
  const stroke = rnd() < 0.5 ? Math.floor(rnd() * 90) : -1
  const frameSide = rnd() < 0.4
  const cx = 30 + rnd() * 60
  const cy = 25 + rnd() * 40
  const r = 4 + rnd() * 30
  const hole = rnd() < 0.5 ? r / 3 : 0
  return discMap({
    cx,
    cy,
    r,
    band: 1 + rnd() * 5,
    extra: (x, y) => {
      if (Math.hypot(x - cx, y - cy) < hole) return 0
      for (const b of blobs) if (Math.hypot(x - b.x, y - b.y) < b.r) return b.v
      if (y === stroke || y === stroke + 1) return 1
      if (frameSide && x < 6 && y > 30) return 1
      return null
    },
  })
}
