/**
 * A label map reduced to a coarse grid: the share of lesion and of uncertain pixels per cell, and
 * the majority label. Triage works on a grid of a few hundred cells across whatever the mask's size,
 * so its cost does not grow with the mask.
 */
import type { LabelRuns } from '../analysis'
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN, type Label, type LabelMap } from '../codes'
import { Scratch } from './scratch'

const scratch = new Scratch()

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
 * estimates, which is all triage needs. One pass over the sampled pixels with a column → cell table;
 * background (most of a mask) is skipped four bytes at a time when every pixel is read, and the
 * samples per cell are counted from the table, not per pixel.
 */
export function reduceToGrid(map: LabelMap, width: number, height: number): LabelGrid {
  const { width: mw, height: mh, data } = map
  checkGrid(mw, mh, width, height)
  const { lesionCount, uncertainCount, rows: rowsPerCell, cols: perCell } = counts(width, height)
  const stride = Math.max(1, Math.floor(Math.min(mw / width, mh / height) / 4))
  // Sampled columns: from each cell's first column, every stride-th one inside the cell.
  const start = cellStarts(mw, width)
  const cols: number[] = []
  const colCell: number[] = []
  for (let cx = 0; cx < width; cx++) {
    for (let x = start[cx]; x < start[cx + 1]; x += stride) {
      cols.push(x)
      colCell.push(cx)
      perCell[cx]++
    }
  }
  const cellOfX = new Int32Array(mw)
  for (let cx = 0; cx < width; cx++) cellOfX.fill(cx, start[cx], start[cx + 1])
  const sampledCols = Int32Array.from(cols)
  const sampledCell = Int32Array.from(colCell)
  const words =
    stride === 1 && data.byteOffset % 4 === 0 && mw % 4 === 0
      ? new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2)
      : null
  for (let y = 0; y < mh; y += stride) {
    const gy = Math.floor((y * height) / mh)
    rowsPerCell[gy]++
    const row = gy * width
    const base = y * mw
    if (words !== null) {
      // Every pixel, four at a time past background words (rows start on a word: mw % 4 = 0).
      for (let w = base >>> 2, end = (base + mw) >>> 2; w < end; w++) {
        if (words[w] === 0) continue
        for (let x = (w << 2) - base, e = x + 4; x < e; x++) {
          const v = data[base + x]
          if (v === LABEL_LESION) lesionCount[row + cellOfX[x]]++
          else if (v === LABEL_UNCERTAIN) uncertainCount[row + cellOfX[x]]++
        }
      }
      continue
    }
    for (let k = 0; k < sampledCols.length; k++) {
      const v = data[base + sampledCols[k]]
      if (v === LABEL_BACKGROUND) continue
      if (v === LABEL_LESION) lesionCount[row + sampledCell[k]]++
      else if (v === LABEL_UNCERTAIN) uncertainCount[row + sampledCell[k]]++
    }
  }
  return finishGrid(mw, mh, width, height, lesionCount, uncertainCount, rowsPerCell, perCell)
}

/**
 * The grid of a label map given as its runs (analysis.ts `LabelRuns`, which the statistics scan makes
 * anyway): exact shares of every pixel, in O(runs + cells) — no pixel is read again. A run adds its
 * overlap to its first and last cell; the cells it covers whole are counted by a difference array
 * per grid row, summed once at the end. Equals `reduceToGrid` of the same map whenever that reads
 * every pixel (cells under 8 pixels wide and high).
 */
export function reduceRunsToGrid(runs: LabelRuns, width: number, height: number): LabelGrid {
  const { width: mw, height: mh, rowStart, x0, x1, value } = runs
  checkGrid(mw, mh, width, height)
  const n = width * height
  const { lesionCount, uncertainCount, rows: rowsIn, cols: colsIn } = counts(width, height)
  // Whole cells covered, as +1 at the first and −1 past the last (one spare column per row); then
  // the column → cell table and the cells' column spans.
  const m = n + height
  const ints = scratch.i32(2 * m + mw + width + 1)
  const lesionFull = ints.subarray(0, m)
  const uncertainFull = ints.subarray(m, 2 * m)
  const cellOfX = ints.subarray(2 * m, 2 * m + mw)
  const start = cellStarts(mw, width, ints.subarray(2 * m + mw))
  for (let cx = 0; cx < width; cx++) cellOfX.fill(cx, start[cx], start[cx + 1])
  let y = 0
  for (let gy = 0; gy < height; gy++) {
    const row = gy * width
    const diffRow = gy * (width + 1)
    // Mask rows y with ⌊y·height/mh⌋ = gy.
    const yEnd = Math.ceil(((gy + 1) * mh) / height)
    rowsIn[gy] = yEnd - y
    for (let r = rowStart[y], end = rowStart[yEnd]; r < end; r++) {
      const a = x0[r]
      const b = x1[r]
      const c0 = cellOfX[a]
      const c1 = cellOfX[b - 1]
      // The runs are of lesion or uncertain (analysis.ts keeps no background run).
      const lesion = value[r] === LABEL_LESION
      const count = lesion ? lesionCount : uncertainCount
      if (c0 === c1) {
        count[row + c0] += b - a
        continue
      }
      count[row + c0] += start[c0 + 1] - a
      count[row + c1] += b - start[c1]
      const full = lesion ? lesionFull : uncertainFull
      full[diffRow + c0 + 1]++
      full[diffRow + c1]--
    }
    y = yEnd
  }
  for (let gy = 0; gy < height; gy++) {
    let l = 0
    let u = 0
    for (let cx = 0; cx < width; cx++) {
      l += lesionFull[gy * (width + 1) + cx]
      u += uncertainFull[gy * (width + 1) + cx]
      const w = start[cx + 1] - start[cx]
      lesionCount[gy * width + cx] += l * w
      uncertainCount[gy * width + cx] += u * w
    }
  }
  for (let cx = 0; cx < width; cx++) colsIn[cx] = start[cx + 1] - start[cx]
  return finishGrid(mw, mh, width, height, lesionCount, uncertainCount, rowsIn, colsIn)
}

/** Zeroed (pooled) pixel counts per cell of each label, and the pixels counted per grid row and column. */
function counts(width: number, height: number) {
  const n = width * height
  const f = scratch.f64(2 * n + height + width)
  return {
    lesionCount: f.subarray(0, n),
    uncertainCount: f.subarray(n, 2 * n),
    rows: f.subarray(2 * n, 2 * n + height),
    cols: f.subarray(2 * n + height),
  }
}

function checkGrid(mw: number, mh: number, width: number, height: number): void {
  if (!(width >= 1 && height >= 1 && width <= mw && height <= mh)) {
    throw new RangeError(`grid ${width}×${height} does not fit a ${mw}×${mh} mask`)
  }
}

/** Column span of each cell: [start[cx], start[cx + 1]), so pixel x lies in cell ⌊x·width/mw⌋. */
function cellStarts(mw: number, width: number, start: Int32Array = new Int32Array(width + 1)): Int32Array {
  for (let cx = 0; cx <= width; cx++) start[cx] = Math.ceil((cx * mw) / width)
  return start
}

/**
 * Shares from counts and the majority label; `rows[gy] · cols[cx]` pixels were counted in cell
 * (cx, gy).
 */
function finishGrid(
  mw: number,
  mh: number,
  width: number,
  height: number,
  lesionCount: Float64Array,
  uncertainCount: Float64Array,
  rows: Float64Array,
  cols: Float64Array,
): LabelGrid {
  const n = width * height
  // One backing store for the three (allocating one is what costs).
  const buffer = new ArrayBuffer(9 * n)
  const lesion = new Float32Array(buffer, 0, n)
  const uncertain = new Float32Array(buffer, 4 * n, n)
  const label = new Uint8Array(buffer, 8 * n, n)
  for (let gy = 0, i = 0; gy < height; gy++) {
    for (let cx = 0; cx < width; cx++, i++) {
      const t = rows[gy] * cols[cx] || 1
      const l = lesionCount[i] / t
      const u = uncertainCount[i] / t
      lesion[i] = l
      uncertain[i] = u
      let lab: Label = LABEL_UNCERTAIN
      if (l >= 0.5) lab = LABEL_LESION
      else if (1 - l - u >= 0.5) lab = LABEL_BACKGROUND
      label[i] = lab
    }
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
