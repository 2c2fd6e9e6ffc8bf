/**
 * Triage of one pair from its bytes (issue #13): the image decoded SMALL (JPEG shrink-on-load: libvips
 * decodes at 1/2, 1/4 or 1/8 in the DCT domain, then resizes the rest of the way) on a grid of the
 * mask, and the pure score (shared/labels/triage). An image that cannot be read gives the mask-only
 * score with reason `image-unreadable`, one of another size than the mask the mask-only score with
 * reason `mask-size`; this never throws for a bad image.
 */
import sharp from 'sharp'
import { readImageHeader, type ImageHeader } from '../images/imageHeader'
import type { LabelMap } from '../../../shared/labels/codes'
import { gridSizeFor } from '../../../shared/labels/triage/grid'
import { TRIAGE_MODEL } from '../../../shared/labels/triage/model'
import { scoreMask, scorePair, type TriageModel } from '../../../shared/labels/triage/score'
import type { TriageImage, TriageResult } from '../../../shared/labels/triage/types'

/** Longer side of the triage grid, in cells: the model's constants were fitted at this size. */
export const TRIAGE_GRID_SIDE = TRIAGE_MODEL.gridSide

/**
 * Decodes `bytes` to an RGB image on the triage grid of a `maskWidth`×`maskHeight` mask (the mask
 * and its image have the same size in a valid pair; the grid follows the mask so cells line up).
 * Grey, grey+alpha and RGBA decode to RGB. Rejects when sharp cannot read the bytes.
 */
export async function decodeTriageImage(
  bytes: Uint8Array,
  maskWidth: number,
  maskHeight: number,
  side = TRIAGE_GRID_SIDE,
): Promise<TriageImage> {
  const { width, height } = gridSizeFor(maskWidth, maskHeight, side)
  const { data, info } = await sharp(bytes, { failOn: 'error', limitInputPixels: 200_000_000 })
    .resize({ width, height, fit: 'fill', fastShrinkOnLoad: true, kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  const c = info.channels
  const n = width * height
  if (info.width !== width || info.height !== height || data.length !== n * c) {
    throw new Error(`decoded ${info.width}×${info.height}×${c}, expected ${width}×${height}`)
  }
  if (c === 3) return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }
  const rgb = new Uint8Array(n * 3)
  for (let i = 0; i < n; i++) {
    if (c <= 2) {
      const g = data[i * c]
      rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = g
    } else {
      rgb[i * 3] = data[i * c]
      rgb[i * 3 + 1] = data[i * c + 1]
      rgb[i * 3 + 2] = data[i * c + 2]
    }
  }
  return { width, height, data: rgb }
}

/** True when the image's header reads and gives another size than the mask's (stored pixel grid). */
function sizeDiffers(map: LabelMap, imageBytes: Uint8Array): boolean {
  let header: ImageHeader
  try {
    header = readImageHeader(imageBytes)
  } catch {
    return false // not a size problem: the decode below says image-unreadable if it cannot read it
  }
  return header.width !== map.width || header.height !== map.height
}

/**
 * Scores a pair: `map` is the decoded mask (full size), `imageBytes` the image file's bytes, or null
 * when the image could not be read at all. An image of another size than the mask (stored pixel
 * grid, as the scan's `mask-size` check) gives the mask-only score with reason `mask-size` first.
 * Never rejects because of the image.
 */
export async function scoreFromBytes(
  map: LabelMap,
  imageBytes: Uint8Array | null,
  model: TriageModel = TRIAGE_MODEL,
): Promise<TriageResult> {
  let image: TriageImage
  try {
    if (!imageBytes) return scoreMask(map, { imageUnreadable: true }, model)
    if (sizeDiffers(map, imageBytes)) {
      // Stretched onto the mask, the image would describe other pixels than the mask's.
      const r = scoreMask(map, {}, model)
      return { score: r.score, reasons: [{ code: 'mask-size', score: 1 }, ...r.reasons] }
    }
    image = await decodeTriageImage(imageBytes, map.width, map.height, model.gridSide)
  } catch {
    return scoreMask(map, { imageUnreadable: true }, model)
  }
  return scorePair(map, image, model)
}
