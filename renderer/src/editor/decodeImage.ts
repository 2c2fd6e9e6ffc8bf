/**
 * Decodes image bytes exactly as stored: EXIF orientation is NOT applied, so the pixels line up
 * with the mask, which was made on the stored pixel grid.
 */
export function decodeImage(bytes: Uint8Array, mime: string): Promise<ImageBitmap> {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime })
  return createImageBitmap(blob, {
    imageOrientation: 'none',
    premultiplyAlpha: 'none',
    colorSpaceConversion: 'none',
  })
}
