/**
 * Baselines for resolving the uncertain pixels, to measure the assisted resolution against: every
 * uncertain pixel to lesion, every one to background, and each to the label of its nearest certain
 * pixel (exact Euclidean distance). Certain pixels are copied unchanged.
 */
import { LABEL_BACKGROUND, LABEL_UNCERTAIN } from '../codes'
import type { LabelMap } from '../codes'
import { nearestSite } from './distance'

/** Every uncertain pixel set to `label`. */
export function resolveAllTo(map: LabelMap, label: 0 | 1): Uint8Array {
  const out = map.data.slice()
  for (let i = 0; i < out.length; i++) if (out[i] === LABEL_UNCERTAIN) out[i] = label
  return out
}

/**
 * Every uncertain pixel takes the label of the nearest certain pixel. A map without any certain
 * pixel resolves to background.
 */
export function resolveNearestLabel(map: LabelMap): Uint8Array {
  const { width, height, data } = map
  const site = new Uint8Array(data.length)
  let any = false
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== LABEL_UNCERTAIN) {
      site[i] = 1
      any = true
    }
  }
  if (!any) return resolveAllTo(map, LABEL_BACKGROUND)
  const nearest = nearestSite(width, height, site)
  const out = data.slice()
  for (let i = 0; i < out.length; i++) if (out[i] === LABEL_UNCERTAIN) out[i] = data[nearest[i]]
  return out
}
