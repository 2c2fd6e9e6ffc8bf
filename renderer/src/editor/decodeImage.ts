import { withStoredOrientation } from '../../../shared/images/orientation'

/**
 * Decodes image bytes exactly as stored: EXIF orientation is NOT applied (the mask was made on the
 * stored pixel grid). `imageOrientation: 'none'` alone does not do it in current Chromium, so the
 * orientation is neutralized in a copy of the bytes first (shared/images/orientation.ts).
 */
export function decodeImage(bytes: Uint8Array, mime: string): Promise<ImageBitmap> {
  const blob = new Blob([withStoredOrientation(bytes) as Uint8Array<ArrayBuffer>], { type: mime })
  return createImageBitmap(blob, {
    imageOrientation: 'none',
    premultiplyAlpha: 'none',
    colorSpaceConversion: 'none',
  })
}
