/**
 * The working grid of the assisted resolution: the region around the uncertain pixels averaged into
 * cells of s×s pixels. A cell is uncertain when any of its pixels is; otherwise it carries the
 * majority certain label of its pixels.
 */
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN } from '../codes'
import type { LabelMap } from '../codes'
import type { AssistImage, AssistRect } from './types'

export interface WorkGrid {
  /** The region of the image the grid covers, in image pixels. */
  rx0: number
  ry0: number
  rw: number
  rh: number
  /** Cell size in pixels, and the grid size in cells (the last row/column may be partial). */
  s: number
  cw: number
  ch: number
  /** Mean colour per cell, one plane per channel (0..255). */
  r: Float32Array
  g: Float32Array
  b: Float32Array
  /** Cell labels: 0, 1 or 255. */
  lab: Uint8Array
}

/** Bounding box of the uncertain pixels and their count. */
export function uncertainBox(map: LabelMap): { rect: AssistRect; count: number } {
  const { width: W, height: H, data } = map
  let x0 = W
  let y0 = H
  let x1 = -1
  let y1 = -1
  let count = 0
  for (let y = 0; y < H; y++) {
    const row = y * W
    // First and last uncertain pixel of the row by the engine's byte search; counted between them.
    const first = data.subarray(row, row + W).indexOf(LABEL_UNCERTAIN)
    if (first < 0) continue
    const last = data.subarray(row, row + W).lastIndexOf(LABEL_UNCERTAIN)
    for (let x = first; x <= last; x++) if (data[row + x] === LABEL_UNCERTAIN) count++
    if (first < x0) x0 = first
    if (last > x1) x1 = last
    if (y < y0) y0 = y
    y1 = y
  }
  if (count === 0) return { rect: { x: 0, y: 0, width: 0, height: 0 }, count }
  return { rect: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }, count }
}

/** Averages the region [rx0, rx0+rw) × [ry0, ry0+rh) of the image and the map into s×s cells. */
export function buildGrid(
  image: AssistImage,
  map: LabelMap,
  rx0: number,
  ry0: number,
  rw: number,
  rh: number,
  s: number,
): WorkGrid {
  const W = map.width
  const cw = Math.ceil(rw / s)
  const ch = Math.ceil(rh / s)
  const nc = cw * ch
  const r = new Float32Array(nc)
  const g = new Float32Array(nc)
  const b = new Float32Array(nc)
  const lab = new Uint8Array(nc)
  const src = image.data
  const C = image.channels
  const data = map.data
  if (s === 1) {
    for (let y = 0; y < rh; y++) {
      let p = ((ry0 + y) * W + rx0) * C
      let i = (ry0 + y) * W + rx0
      const o = y * cw
      for (let x = 0; x < rw; x++, p += C, i++) {
        r[o + x] = src[p]
        g[o + x] = src[p + 1]
        b[o + x] = src[p + 2]
        lab[o + x] = data[i]
      }
    }
    return { rx0, ry0, rw, rh, s, cw, ch, r, g, b, lab }
  }
  // Integer sums (exact in the float32 planes too: s²·255 < 2²⁴), cell by cell along each row.
  const nU = new Uint32Array(nc)
  const nL = new Uint32Array(nc)
  const nAll = new Uint32Array(nc)
  for (let y = 0; y < rh; y++) {
    const o = Math.floor(y / s) * cw
    let p = ((ry0 + y) * W + rx0) * C
    let i = (ry0 + y) * W + rx0
    for (let x0 = 0, c = o; x0 < rw; x0 += s, c++) {
      const x1 = Math.min(rw, x0 + s)
      let sr = 0
      let sg = 0
      let sb = 0
      let u = 0
      let l = 0
      for (let x = x0; x < x1; x++, p += C, i++) {
        sr += src[p]
        sg += src[p + 1]
        sb += src[p + 2]
        const v = data[i]
        if (v === LABEL_UNCERTAIN) u++
        else if (v === LABEL_LESION) l++
      }
      r[c] += sr
      g[c] += sg
      b[c] += sb
      nAll[c] += x1 - x0
      nU[c] += u
      nL[c] += l
    }
  }
  for (let c = 0; c < nc; c++) {
    const k = nAll[c]
    r[c] /= k
    g[c] /= k
    b[c] /= k
    lab[c] = nU[c] > 0 ? LABEL_UNCERTAIN : 2 * nL[c] > k ? LABEL_LESION : LABEL_BACKGROUND
  }
  return { rx0, ry0, rw, rh, s, cw, ch, r, g, b, lab }
}
