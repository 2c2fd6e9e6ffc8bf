import { CodedError } from '../../shared/api/errors'
import { countLabels, findInvalidLabel, type LabelCounts, type LabelMap } from '../../shared/labels/codes'
import type { ImageHeader } from './images/imageHeader'
import { decodeMaskPng } from './png/maskPng'

/**
 * Decodes a mask file into an exact label map and checks its values. The stored grey value or
 * palette index is the label; a rendered colour never is.
 */
export function readLabelMap(bytes: Uint8Array, file: string): { map: LabelMap; counts: LabelCounts } {
  const decoded = decodeMaskPng(bytes, file)
  const map: LabelMap = { width: decoded.width, height: decoded.height, data: decoded.data }
  const counts = countLabels(map.data)
  if (counts.invalid > 0) {
    const at = findInvalidLabel(map.data)
    const x = at % map.width
    const y = Math.floor(at / map.width)
    throw new CodedError(
      'mask-values',
      `${file}: ${counts.invalid} pixels hold values other than 0, 1, 255 (first: ${map.data[at]} at x=${x}, y=${y})`,
      file,
    )
  }
  return { map, counts }
}

/** `mask-size` unless the mask has the image's stored width and height. */
export function checkMaskSize(
  mask: { width: number; height: number },
  image: ImageHeader,
  maskFile: string,
  imageFile: string,
): void {
  if (mask.width === image.width && mask.height === image.height) return
  const rotated =
    image.orientation !== undefined &&
    image.orientation >= 5 &&
    mask.width === image.height &&
    mask.height === image.width
  throw new CodedError(
    'mask-size',
    `${maskFile}: the mask is ${mask.width}×${mask.height} but the image ${imageFile} is ${image.width}×${image.height}` +
      (rotated
        ? ` (stored; its EXIF orientation ${image.orientation} displays it as ${image.height}×${image.width}, but masks follow the stored pixel grid)`
        : ''),
    maskFile,
  )
}
