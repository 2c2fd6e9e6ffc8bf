/**
 * Box sums over a clipped square window of radius r (2r+1 samples per side, cut at the borders),
 * by running sums along rows then columns: O(pixels) whatever r.
 */

/** Σ src over the window of every sample of a width × height grid. */
export function boxSum(src: Float32Array, width: number, height: number, r: number): Float32Array {
  const n = width * height
  if (src.length !== n) throw new RangeError(`box input has ${src.length} samples, expected ${n}`)
  const tmp = new Float32Array(n)
  for (let y = 0; y < height; y++) {
    const row = y * width
    let acc = 0
    for (let x = 0; x < Math.min(r, width); x++) acc += src[row + x]
    for (let x = 0; x < width; x++) {
      if (x + r < width) acc += src[row + x + r]
      if (x - r - 1 >= 0) acc -= src[row + x - r - 1]
      tmp[row + x] = acc
    }
  }
  const out = new Float32Array(n)
  const col = new Float64Array(width)
  for (let y = 0; y < Math.min(r, height); y++) for (let x = 0; x < width; x++) col[x] += tmp[y * width + x]
  for (let y = 0; y < height; y++) {
    if (y + r < height) {
      const a = (y + r) * width
      for (let x = 0; x < width; x++) col[x] += tmp[a + x]
    }
    if (y - r - 1 >= 0) {
      const b = (y - r - 1) * width
      for (let x = 0; x < width; x++) col[x] -= tmp[b + x]
    }
    const o = y * width
    for (let x = 0; x < width; x++) out[o + x] = col[x]
  }
  return out
}
