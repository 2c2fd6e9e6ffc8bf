/**
 * Exact Euclidean feature transform: for every pixel, the index of the nearest "site" pixel.
 * Felzenszwalb & Huttenlocher's two passes ("Distance Transforms of Sampled Functions", 2012):
 * the nearest site per column, then the lower envelope of parabolas along each row. O(pixels).
 *
 * Ties go to the smaller row in the column pass and to the smaller column in the row pass, so the
 * result is deterministic.
 */

/**
 * `site[i] !== 0` marks the sites. Returns, per pixel, the row-major index of its nearest site, or
 * -1 everywhere when there is no site at all.
 */
export function nearestSite(width: number, height: number, site: Uint8Array): Int32Array {
  const n = width * height
  if (site.length !== n) throw new RangeError(`site mask has ${site.length} entries, expected ${n}`)
  // Pass 1: per column, the row of the nearest site (-1 when the column has none), swept row by row
  // over all columns at once (a column-by-column walk strides the whole image: cache misses).
  const colRow = new Int32Array(n)
  const last = new Int32Array(width).fill(-1)
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      if (site[i] !== 0) last[x] = y
      colRow[i] = last[x]
    }
  }
  const below = last.fill(-1)
  for (let y = height - 1; y >= 0; y--) {
    for (let x = 0, i = y * width; x < width; x++, i++) {
      if (site[i] !== 0) below[x] = y
      const b = below[x]
      const above = colRow[i]
      if (b >= 0 && (above < 0 || b - y < y - above)) colRow[i] = b
    }
  }
  // Pass 2: per row, the lower envelope of f(q) + (x − q)² over the columns q that have a site.
  const out = new Int32Array(n)
  const v = new Int32Array(width)
  const f = new Float64Array(width)
  const z = new Float64Array(width + 1)
  for (let y = 0; y < height; y++) {
    const row = y * width
    let k = -1
    for (let q = 0; q < width; q++) {
      const r = colRow[row + q]
      if (r < 0) continue
      const fq = (r - y) * (r - y) + q * q
      f[q] = fq
      if (k < 0) {
        k = 0
        v[0] = q
        z[0] = -Infinity
        z[1] = Infinity
        continue
      }
      let s = (fq - f[v[k]]) / (2 * (q - v[k]))
      while (s <= z[k]) {
        k--
        s = (fq - f[v[k]]) / (2 * (q - v[k]))
      }
      k++
      v[k] = q
      z[k] = s
      z[k + 1] = Infinity
    }
    if (k < 0) {
      out.fill(-1, row, row + width)
      continue
    }
    k = 0
    for (let x = 0; x < width; x++) {
      while (z[k + 1] < x) k++
      const q = v[k]
      out[row + x] = colRow[row + q] * width + q
    }
  }
  return out
}

/** Squared Euclidean distance between two row-major indices of an image `width` wide. */
export function indexDistance2(width: number, a: number, b: number): number {
  const ay = Math.floor(a / width)
  const by = Math.floor(b / width)
  const dx = a - ay * width - (b - by * width)
  const dy = ay - by
  return dx * dx + dy * dy
}
