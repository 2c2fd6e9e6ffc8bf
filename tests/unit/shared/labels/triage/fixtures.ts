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
