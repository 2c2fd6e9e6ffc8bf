/**
 * Outline view: the boundary pixels of the label regions, i.e. pixels whose value differs from at
 * least one of their 4-neighbours inside the map (the map's own edge is not a boundary). Both sides
 * of a boundary are marked, so the view can colour each boundary pixel by its own label.
 *
 * After an edit, the outline can change one pixel beyond the patch: recompute
 * outlineDirtyRect(patch.rect, map).
 */
import type { LabelMap } from '../codes'
import { clipRect, expandRect, mapRect, type Rect } from '../patch'

/**
 * The boundary mask over `rect` (default: the whole map), row-major, 1 on boundary pixels and 0
 * elsewhere; written into `out` when given (length ≥ rect.width × rect.height).
 */
export function outlineMask(map: LabelMap, rect: Rect = mapRect(map), out?: Uint8Array): Uint8Array {
  const r = clipRect(rect, mapRect(map))
  if (r === null || r.x !== rect.x || r.y !== rect.y || r.width !== rect.width || r.height !== rect.height) {
    throw new RangeError('outline rect must lie inside the map')
  }
  const { width, height, data } = map
  const mask = out ?? new Uint8Array(r.width * r.height)
  if (mask.length < r.width * r.height) throw new RangeError('outline buffer too small')
  for (let y = r.y; y < r.y + r.height; y++) {
    const row = y * width
    const up = y > 0 ? row - width : -1
    const down = y < height - 1 ? row + width : -1
    let o = (y - r.y) * r.width
    for (let x = r.x; x < r.x + r.width; x++, o++) {
      const v = data[row + x]
      mask[o] =
        (x > 0 && data[row + x - 1] !== v) ||
        (x < width - 1 && data[row + x + 1] !== v) ||
        (up >= 0 && data[up + x] !== v) ||
        (down >= 0 && data[down + x] !== v)
          ? 1
          : 0
    }
  }
  return mask
}

/** The rectangle whose outline an edit of `rect` can change: rect grown by one pixel, clipped. */
export function outlineDirtyRect(rect: Rect, map: LabelMap): Rect | null {
  return clipRect(expandRect(rect, 1), mapRect(map))
}
