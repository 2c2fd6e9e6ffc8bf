/**
 * The mask room's one "decode and check": a mask PNG's bytes → an exact label map. The stored grey
 * value or palette index is the label (a rendered colour never is); values outside {0, 1, 255} are
 * `mask-values`, naming the first one. Every reader of a mask file (dataset, workspace, export, CLI)
 * comes through here.
 */
import { CodedError } from '../../../shared/api/errors'
import { invalidValuesError } from '../../../shared/labels/analysis'
import { countLabels, type LabelCounts, type LabelMap } from '../../../shared/labels/codes'
import type { ImageHeader } from '../images/imageHeader'
import { decodeMaskPng, decodeMaskPngAsync, type DecodedMaskPng, type MaskPngFormat } from './maskPng'

/**
 * Decodes a mask file into an exact label map and checks its values; gives its PNG format too. Every
 * error names the file in its message (the decoder's do).
 */
export function readLabelMap(
  bytes: Uint8Array,
  file: string,
): { map: LabelMap; counts: LabelCounts; format: MaskPngFormat } {
  return checked(decodeMaskPng(bytes, file), file)
}

/** readLabelMap with the inflate on libuv's thread pool: the same result and errors. */
export async function readLabelMapAsync(
  bytes: Uint8Array,
  file: string,
): Promise<{ map: LabelMap; counts: LabelCounts; format: MaskPngFormat }> {
  return checked(await decodeMaskPngAsync(bytes, file), file)
}

/** A decoded mask as a label map with its counts; `mask-values` unless every value is 0, 1 or 255. */
function checked(
  decoded: DecodedMaskPng,
  file: string,
): { map: LabelMap; counts: LabelCounts; format: MaskPngFormat } {
  const map: LabelMap = { width: decoded.width, height: decoded.height, data: decoded.data }
  const counts = countLabels(map.data)
  if (counts.invalid > 0) throw invalidValuesError(map, counts.invalid, file)
  return { map, counts, format: decoded.format }
}

/** `mask-size` unless the mask has the image's stored width and height. */
export function checkMaskSize(
  mask: { width: number; height: number },
  image: Pick<ImageHeader, 'width' | 'height' | 'orientation'>,
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
