/**
 * An oracle for "level" methods of the assisted resolution (evaluation only: it reads the truth).
 *
 * Every uncertain pixel has a band coordinate t = d_bg / (d_bg + d_lesion) between the two certain
 * sides (t > 0.5 is the nearest certain label). A level method labels a pixel lesion when t > t*,
 * with one level t* per stretch of the boundary. This oracle chooses each stretch's t* from
 * {0.05, 0.10, …, 0.95} with the TRUE labels, so its accuracy bounds what any method that only
 * estimates the edge's level per stretch can reach. Stretches: square tiles of the position of each
 * pixel's nearest certain-lesion pixel (`stretch` px on a side; 0 = one level for the whole image).
 */
import { nearestSite } from '../../shared/labels/assist/distance'
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN } from '../../shared/labels/codes'
import type { LabelMap } from '../../shared/labels/codes'

/** Candidate levels, 0.05 … 0.95. */
export const LEVELS: readonly number[] = Array.from({ length: 19 }, (_, i) => Math.round(5 * (i + 1)) / 100)

/**
 * The weak map resolved by the per-stretch level oracle: certain pixels copied, every uncertain
 * pixel 0 or 1. Without certain pixels of both labels every uncertain pixel takes the one present
 * (background when none).
 */
export function resolveLevelOracle(map: LabelMap, truth: LabelMap, stretch: number): Uint8Array {
  const { width: W, height: H, data } = map
  const n = W * H
  const out = data.slice()
  const siteL = new Uint8Array(n)
  const siteB = new Uint8Array(n)
  let anyL = false
  let anyB = false
  for (let i = 0; i < n; i++) {
    if (data[i] === LABEL_LESION) {
      siteL[i] = 1
      anyL = true
    } else if (data[i] === LABEL_BACKGROUND) {
      siteB[i] = 1
      anyB = true
    }
  }
  if (!anyL || !anyB) {
    const v = anyL ? LABEL_LESION : LABEL_BACKGROUND
    for (let i = 0; i < n; i++) if (out[i] === LABEL_UNCERTAIN) out[i] = v
    return out
  }
  const nl = nearestSite(W, H, siteL)
  const nb = nearestSite(W, H, siteB)
  const tilesX = stretch > 0 ? Math.ceil(W / stretch) : 1
  const tileOf = (site: number): number => {
    if (stretch <= 0) return 0
    const y = Math.floor(site / W)
    return Math.floor(y / stretch) * tilesX + Math.floor((site - y * W) / stretch)
  }
  // Per pixel its t and tile; per tile and level the count of right answers.
  const L = LEVELS.length
  const tOf = new Float32Array(n)
  const right = new Map<number, Uint32Array>()
  for (let i = 0; i < n; i++) {
    if (data[i] !== LABEL_UNCERTAIN) continue
    const y = Math.floor(i / W)
    const x = i - y * W
    const ql = nl[i]
    const qb = nb[i]
    const yl = Math.floor(ql / W)
    const yb = Math.floor(qb / W)
    const dL = Math.sqrt((ql - yl * W - x) ** 2 + (yl - y) ** 2)
    const dB = Math.sqrt((qb - yb * W - x) ** 2 + (yb - y) ** 2)
    const t = dB / (dB + dL)
    tOf[i] = t
    const k = tileOf(ql)
    let row = right.get(k)
    if (row === undefined) right.set(k, (row = new Uint32Array(L)))
    const truthLesion = truth.data[i] === LABEL_LESION
    for (let l = 0; l < L; l++) if (t > LEVELS[l] === truthLesion) row[l]++
  }
  const level = new Map<number, number>()
  for (const [k, row] of right) {
    // Ties go to the level nearest 0.5 (the nearest-label answer).
    let best = 9
    for (let l = 0; l < L; l++) {
      if (row[l] > row[best] || (row[l] === row[best] && Math.abs(l - 9) < Math.abs(best - 9))) best = l
    }
    level.set(k, LEVELS[best])
  }
  for (let i = 0; i < n; i++) {
    if (data[i] !== LABEL_UNCERTAIN) continue
    out[i] = tOf[i] > (level.get(tileOf(nl[i])) ?? 0.5) ? LABEL_LESION : LABEL_BACKGROUND
  }
  return out
}
