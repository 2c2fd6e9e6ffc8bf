/**
 * What the painting tools (brush, flood fill, polygon) share: the options and the rule deciding
 * which pixels of a covered span change.
 */
import { isLabel, LABEL_UNCERTAIN, type Label, type LabelMap } from '../codes'
import type { PatchBuilder, Point } from '../patch'
import { copyBytes, type ByteRuns } from '../scan'

export interface PaintOptions {
  /** The value written: 0 background (the eraser), 1 lesion, 255 uncertain. */
  label: Label
  /**
   * "Paint only over uncertain": when true only pixels currently 255 change, so certain pixels
   * (0, 1) stay as they are until the curator turns this off.
   */
  onlyUncertain: boolean
}

/** Throws on values a JavaScript caller could pass around the types. */
export function checkPaintOptions(opts: PaintOptions): void {
  if (!isLabel(opts.label)) throw new RangeError(`label must be 0, 1 or 255, got ${opts.label}`)
}

/** Throws when the map's buffer does not match its size (the tools index it without bounds checks). */
export function checkMap(map: LabelMap): void {
  if (!Number.isInteger(map.width) || !Number.isInteger(map.height) || map.width < 1 || map.height < 1) {
    throw new RangeError(`bad map size ${map.width}×${map.height}`)
  }
  if (map.data.length !== map.width * map.height) {
    throw new RangeError(`map data has ${map.data.length} bytes for ${map.width}×${map.height}`)
  }
}

/** Throws unless both coordinates are finite. */
export function checkPoint(p: Point, what: string): void {
  if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new RangeError(`${what} is not finite`)
}

/** True when no pixel can change: painting 255 with onlyUncertain on. */
export function paintsNothing(opts: PaintOptions): boolean {
  return opts.onlyUncertain && opts.label === LABEL_UNCERTAIN
}

/**
 * Adds to the builder the pixels of row y, columns [x0, x1] (inclusive, inside the map), that the
 * options let change: value !== label, and value === 255 when onlyUncertain. Rows must be visited
 * in increasing order (the builder's contract). Call only when !paintsNothing(opts).
 */
export function paintRowSpan(
  b: PatchBuilder,
  runs: ByteRuns,
  y: number,
  x0: number,
  x1: number,
  opts: PaintOptions,
): void {
  const row = y * b.width
  const label = opts.label
  const data = runs.data
  let x = x0
  if (opts.onlyUncertain) {
    while (x <= x1) {
      while (x <= x1 && data[row + x] !== LABEL_UNCERTAIN) x++
      if (x > x1) return
      const s = x
      x = runs.end(row + x + 1, row + x1 + 1, LABEL_UNCERTAIN) - row
      const off = b.add(s, y, x - s)
      b.before.fill(LABEL_UNCERTAIN, off, off + x - s)
      b.after.fill(label, off, off + x - s)
    }
  } else {
    while (x <= x1) {
      x = runs.end(row + x, row + x1 + 1, label) - row
      if (x > x1) return
      const s = x
      while (x <= x1 && data[row + x] !== label) x++
      const len = x - s
      const off = b.add(s, y, len)
      copyBytes(data, row + s, b.before, off, len)
      b.after.fill(label, off, off + len)
    }
  }
}
