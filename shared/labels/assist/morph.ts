/**
 * Grey-level morphology on interleaved float images: a square closing (max filter, then min
 * filter), which removes dark structures thinner than the window — hairs, ruler ticks — and keeps
 * step edges where they are. Separable, van Herk / Gil-Werman: about three comparisons per sample
 * and pass, whatever the window.
 */

/**
 * Running max (or min) over a centred window of 2r+1 samples along one line, clamped at the ends.
 * `buf`, `g` and `h` are scratch arrays of at least n + 2r + (2r+1) entries.
 */
function filterLine(
  src: Float32Array,
  dst: Float32Array,
  start: number,
  stride: number,
  n: number,
  r: number,
  isMax: boolean,
  buf: Float32Array,
  g: Float32Array,
  h: Float32Array,
): void {
  const k = 2 * r + 1
  const pad = isMax ? -Infinity : Infinity
  const len = Math.ceil((n + 2 * r) / k) * k
  for (let i = 0; i < r; i++) buf[i] = pad
  for (let i = 0, p = start; i < n; i++, p += stride) buf[r + i] = src[p]
  for (let i = r + n; i < len; i++) buf[i] = pad
  if (isMax) {
    for (let b = 0; b < len; b += k) {
      g[b] = buf[b]
      for (let i = b + 1; i < b + k; i++) g[i] = g[i - 1] > buf[i] ? g[i - 1] : buf[i]
      h[b + k - 1] = buf[b + k - 1]
      for (let i = b + k - 2; i >= b; i--) h[i] = h[i + 1] > buf[i] ? h[i + 1] : buf[i]
    }
    for (let i = 0, p = start; i < n; i++, p += stride) {
      const a = h[i]
      const c = g[i + 2 * r]
      dst[p] = a > c ? a : c
    }
  } else {
    for (let b = 0; b < len; b += k) {
      g[b] = buf[b]
      for (let i = b + 1; i < b + k; i++) g[i] = g[i - 1] < buf[i] ? g[i - 1] : buf[i]
      h[b + k - 1] = buf[b + k - 1]
      for (let i = b + k - 2; i >= b; i--) h[i] = h[i + 1] < buf[i] ? h[i + 1] : buf[i]
    }
    for (let i = 0, p = start; i < n; i++, p += stride) {
      const a = h[i]
      const c = g[i + 2 * r]
      dst[p] = a < c ? a : c
    }
  }
}

/**
 * Vertical running max (or min) over 2r+1 rows, done a whole row at a time (van Herk / Gil-Werman on
 * row vectors of `rowLen` values), so memory is read in order.
 */
function filterColumns(
  src: Float32Array,
  rowLen: number,
  height: number,
  r: number,
  isMax: boolean,
): Float32Array {
  const k = 2 * r + 1
  const pad = isMax ? -Infinity : Infinity
  const rows = Math.ceil((height + 2 * r) / k) * k
  const g = new Float32Array(rows * rowLen)
  const h = new Float32Array(rows * rowLen)
  // Padded row t holds image row t − r (or the pad value outside the image).
  const load = (dst: Float32Array, t: number): void => {
    const y = t - r
    if (y >= 0 && y < height) dst.set(src.subarray(y * rowLen, (y + 1) * rowLen), t * rowLen)
    else dst.fill(pad, t * rowLen, (t + 1) * rowLen)
  }
  for (let b = 0; b < rows; b += k) {
    load(g, b)
    for (let t = b + 1; t < b + k; t++) {
      load(g, t)
      const o = t * rowLen
      const p = o - rowLen
      if (isMax) {
        for (let i = 0; i < rowLen; i++) if (g[p + i] > g[o + i]) g[o + i] = g[p + i]
      } else {
        for (let i = 0; i < rowLen; i++) if (g[p + i] < g[o + i]) g[o + i] = g[p + i]
      }
    }
    load(h, b + k - 1)
    for (let t = b + k - 2; t >= b; t--) {
      load(h, t)
      const o = t * rowLen
      const p = o + rowLen
      if (isMax) {
        for (let i = 0; i < rowLen; i++) if (h[p + i] > h[o + i]) h[o + i] = h[p + i]
      } else {
        for (let i = 0; i < rowLen; i++) if (h[p + i] < h[o + i]) h[o + i] = h[p + i]
      }
    }
  }
  const out = new Float32Array(height * rowLen)
  for (let y = 0; y < height; y++) {
    const o = y * rowLen
    const a = y * rowLen
    const c = (y + 2 * r) * rowLen
    if (isMax) {
      for (let i = 0; i < rowLen; i++) out[o + i] = h[a + i] > g[c + i] ? h[a + i] : g[c + i]
    } else {
      for (let i = 0; i < rowLen; i++) out[o + i] = h[a + i] < g[c + i] ? h[a + i] : g[c + i]
    }
  }
  return out
}

/** Square max or min filter of radius r on an interleaved image with `channels` values per pixel. */
export function rankFilter(
  src: Float32Array,
  width: number,
  height: number,
  channels: number,
  r: number,
  isMax: boolean,
): Float32Array {
  if (r <= 0) return src.slice()
  const tmp = new Float32Array(src.length)
  const size = width + 4 * r + 2
  const buf = new Float32Array(size)
  const g = new Float32Array(size)
  const h = new Float32Array(size)
  const rowStride = width * channels
  for (let y = 0; y < height; y++) {
    for (let c = 0; c < channels; c++) {
      filterLine(src, tmp, y * rowStride + c, channels, width, r, isMax, buf, g, h)
    }
  }
  return filterColumns(tmp, rowStride, height, r, isMax)
}

/** Square closing of radius r: removes dark structures narrower than 2r+1 samples. */
export function closing(
  src: Float32Array,
  width: number,
  height: number,
  channels: number,
  r: number,
): Float32Array {
  return rankFilter(rankFilter(src, width, height, channels, r, true), width, height, channels, r, false)
}
