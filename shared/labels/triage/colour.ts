/**
 * Colour helpers of the triage measures (features.ts): a smoothed RGB image, and a colour
 * distribution (mean, inverse covariance) with its Mahalanobis distance.
 */

/** χ² with 3 degrees of freedom, 95 %: within it a colour counts as the skin's. */
export const SKIN_D2 = 7.81

export interface ColourStats {
  mean: [number, number, number]
  /** Inverse covariance, row-major 3×3. */
  inv: Float64Array
}

/** Mean and inverse covariance (regularized by 4 on the diagonal) of the cells `pick` selects. */
export function colourStats(rgb: Float32Array, n: number, pick: (i: number) => boolean): ColourStats | null {
  let c = 0
  const m = [0, 0, 0]
  const s = new Float64Array(9)
  for (let i = 0; i < n; i++) {
    if (!pick(i)) continue
    c++
    const r = rgb[i * 3]
    const g = rgb[i * 3 + 1]
    const b = rgb[i * 3 + 2]
    m[0] += r
    m[1] += g
    m[2] += b
    s[0] += r * r
    s[1] += r * g
    s[2] += r * b
    s[4] += g * g
    s[5] += g * b
    s[8] += b * b
  }
  if (c < 10) return null
  for (let k = 0; k < 3; k++) m[k] /= c
  const cov = [
    s[0] / c - m[0] * m[0] + 4,
    s[1] / c - m[0] * m[1],
    s[2] / c - m[0] * m[2],
    s[4] / c - m[1] * m[1] + 4,
    s[5] / c - m[1] * m[2],
    s[8] / c - m[2] * m[2] + 4,
  ]
  const [a, b, d, e, f, i] = cov
  // Symmetric [[a b d] [b e f] [d f i]].
  const A = e * i - f * f
  const B = -(b * i - f * d)
  const C = b * f - e * d
  const det = a * A + b * B + d * C
  if (!(det > 0)) return null
  const inv = new Float64Array([
    A / det,
    B / det,
    C / det,
    B / det,
    (a * i - d * d) / det,
    -(a * f - b * d) / det,
    C / det,
    -(a * f - b * d) / det,
    (a * e - b * b) / det,
  ])
  return { mean: [m[0], m[1], m[2]], inv }
}

export function mahalanobis2(st: ColourStats, rgb: Float32Array, i: number): number {
  const x = rgb[i * 3] - st.mean[0]
  const y = rgb[i * 3 + 1] - st.mean[1]
  const z = rgb[i * 3 + 2] - st.mean[2]
  const v = st.inv
  return (
    x * (v[0] * x + v[1] * y + v[2] * z) +
    y * (v[3] * x + v[4] * y + v[5] * z) +
    z * (v[6] * x + v[7] * y + v[8] * z)
  )
}

/** 3×3 box mean of an interleaved RGB image (edges clamped), as floats. */
export function boxBlur3(src: Uint8Array, width: number, height: number): Float32Array {
  const tmp = new Float32Array(width * height * 3)
  const out = new Float32Array(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const xl = x > 0 ? x - 1 : x
      const xr = x < width - 1 ? x + 1 : x
      const r = y * width
      for (let c = 0; c < 3; c++) {
        tmp[(r + x) * 3 + c] = (src[(r + xl) * 3 + c] + src[(r + x) * 3 + c] + src[(r + xr) * 3 + c]) / 3
      }
    }
  }
  for (let y = 0; y < height; y++) {
    const yu = y > 0 ? y - 1 : y
    const yd = y < height - 1 ? y + 1 : y
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        out[(y * width + x) * 3 + c] =
          (tmp[(yu * width + x) * 3 + c] + tmp[(y * width + x) * 3 + c] + tmp[(yd * width + x) * 3 + c]) / 3
      }
    }
  }
  return out
}
