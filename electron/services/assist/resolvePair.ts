/**
 * Node side of the assisted resolution: decode a pair's image with sharp and run
 * proposeResolution on it (for the CLI's `resolve` command and the bench).
 *
 * The image is decoded on its stored pixel grid: sharp applies the EXIF orientation only when asked
 * (`autoOrient` / `.rotate()`), and the masks were made on the stored grid, so neither is used here
 * (tests/unit/electron/services/assist/resolvePair.test.ts checks it on an image tagged orientation 6).
 */
import sharp from 'sharp'
import { CodedError } from '../../../shared/api/errors'
import { findInvalidLabel } from '../../../shared/labels/codes'
import type { LabelMap } from '../../../shared/labels/codes'
import { proposeResolution } from '../../../shared/labels/assist/resolve'
import type { AssistImage, Proposal, ResolveOptions } from '../../../shared/labels/assist/resolve'

export interface ResolvedPair {
  proposal: Proposal
  /** Milliseconds spent decoding the image. */
  decodeMs: number
}

/**
 * Decodes image bytes (JPEG, PNG, TIFF, WebP… whatever sharp reads) to 8-bit sRGB(A) pixels on the
 * stored grid. Throws CodedError 'image-corrupt' when sharp cannot decode them and
 * 'image-unsupported' for a pixel layout other than 3 or 4 channels of 8 bits.
 */
export async function decodeImage(bytes: Uint8Array, file?: string): Promise<AssistImage> {
  let out: { data: Buffer; info: { width: number; height: number; channels: number } }
  try {
    out = await sharp(bytes, { autoOrient: false })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
  } catch (err) {
    throw new CodedError('image-corrupt', `cannot decode the image: ${(err as Error).message}`, file)
  }
  const { width, height, channels } = out.info
  if ((channels !== 3 && channels !== 4) || out.data.length !== width * height * channels) {
    throw new CodedError(
      'image-unsupported',
      `decoded to ${channels} channels and ${out.data.length} bytes for ${width}×${height}`,
      file,
    )
  }
  const data = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength)
  return { width, height, channels, data }
}

/**
 * Decodes `imageBytes` and proposes a resolution of `map`'s uncertain pixels. Throws CodedError
 * 'mask-size' when the image and the mask differ in size, 'mask-values' for a value outside
 * {0, 1, 255}, and the decoding errors of decodeImage.
 */
export async function resolvePairFromBytes(
  imageBytes: Uint8Array,
  map: LabelMap,
  opts: ResolveOptions = {},
  file?: string,
): Promise<ResolvedPair> {
  const bad = findInvalidLabel(map.data)
  if (bad >= 0)
    throw new CodedError('mask-values', `mask value ${map.data[bad]} at index ${bad} is not a label`, file)
  const t = performance.now()
  const image = await decodeImage(imageBytes, file)
  const decodeMs = performance.now() - t
  if (image.width !== map.width || image.height !== map.height) {
    throw new CodedError(
      'mask-size',
      `image is ${image.width}×${image.height}, mask is ${map.width}×${map.height}`,
      file,
    )
  }
  return { proposal: proposeResolution(image, map, opts), decodeMs }
}
