/**
 * A label map reduced to a coarse grid: the share of lesion and of uncertain pixels per cell, and
 * the majority label. Triage works on a grid of a few hundred cells across whatever the mask's size,
 * so its cost does not grow with the mask.
 */
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN, type Label, type LabelMap } from '../codes'

export interface LabelGrid {
  width: number
  height: number
  /** Mask pixels per cell along x and y (mask size / grid size). */
  scaleX: number
  scaleY: number
  /** Share of lesion (1) pixels per cell, in [0, 1]. */
  lesion: Float32Array
  /** Share of uncertain (255) pixels per cell, in [0, 1]. */
  uncertain: Float32Array
  /** The label holding at least half of the cell, else uncertain. */
  label: Uint8Array
}

/**
 * Reduces `map` to a `width`×`height` grid. Mask pixel (x, y) belongs to cell
 * (⌊x·width/map.width⌋, ⌊y·height/map.height⌋). When cells are large only every `stride`-th row and
 * column is read (stride = ⌊cell size / 4⌋, so at least 16 samples per cell): the shares are then
 * estimates, which is all triage needs.
 */
export function reduceToGrid(map: LabelMap, width: number, height: number): LabelGrid {
  const { width: mw, height: mh, data } = map
  if (width < 1 || height < 1 || width > mw || height > mh) {
    throw new RangeError(`grid ${width}×${height} does not fit a ${mw}×${mh} mask`)
  }
  const n = width * height
  const lesionCount = new Uint32Array(n)
  const uncertainCount = new Uint32Array(n)
  const total = new Uint32Array(n)
  const stride = Math.max(1, Math.floor(Math.min(mw / width, mh / height) / 4))
  // Column span of each cell: [start[cx], start[cx + 1]).
  const start = new Int32Array(width + 1)
  for (let cx = 0; cx <= width; cx++) start[cx] = Math.ceil((cx * mw) / width)
  for (let y = 0; y < mh; y += stride) {
    const row = Math.floor((y * height) / mh) * width
    const base = y * mw
    for (let cx = 0; cx < width; cx++) {
      let l = 0
      let u = 0
      let t = 0
      for (let x = base + start[cx], end = base + start[cx + 1]; x < end; x += stride) {
        const v = data[x]
        l += v === LABEL_LESION ? 1 : 0
        u += v === LABEL_UNCERTAIN ? 1 : 0
        t++
      }
      lesionCount[row + cx] += l
      uncertainCount[row + cx] += u
      total[row + cx] += t
    }
  }
  const lesion = new Float32Array(n)
  const uncertain = new Float32Array(n)
  const label = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const t = total[i] || 1
    const l = lesionCount[i] / t
    const u = uncertainCount[i] / t
    lesion[i] = l
    uncertain[i] = u
    let lab: Label = LABEL_UNCERTAIN
    if (l >= 0.5) lab = LABEL_LESION
    else if (1 - l - u >= 0.5) lab = LABEL_BACKGROUND
    label[i] = lab
  }
  return { width, height, scaleX: mw / width, scaleY: mh / height, lesion, uncertain, label }
}

/** A grid of a map's own size (scale 1), without reduction. */
export function gridOf(map: LabelMap): LabelGrid {
  const n = map.width * map.height
  const lesion = new Float32Array(n)
  const uncertain = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const v = map.data[i]
    if (v === LABEL_LESION) lesion[i] = 1
    else if (v === LABEL_UNCERTAIN) uncertain[i] = 1
  }
  return {
    width: map.width,
    height: map.height,
    scaleX: 1,
    scaleY: 1,
    lesion,
    uncertain,
    label: Uint8Array.from(map.data),
  }
}

/**
 * The grid size for a mask of `width`×`height` whose longer side becomes at most `maxSide` cells
 * (never larger than the mask).
 */
export function gridSizeFor(
  width: number,
  height: number,
  maxSide: number,
): { width: number; height: number } {
  const f = Math.min(1, maxSide / Math.max(width, height))
  return { width: Math.max(1, Math.round(width * f)), height: Math.max(1, Math.round(height * f)) }
}
