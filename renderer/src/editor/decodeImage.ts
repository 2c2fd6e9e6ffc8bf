import { withStoredOrientation } from '../../../shared/images/orientation'

/**
 * The image bytes as a Blob to decode exactly as stored: EXIF orientation is NOT applied (the mask
 * was made on the stored pixel grid). `imageOrientation: 'none'` alone does not do it in current
 * Chromium, so the orientation is neutralized in a copy of the bytes first (shared/images/orientation.ts).
 */
export function imageBlob(bytes: Uint8Array, mime: string): Blob {
  return new Blob([withStoredOrientation(bytes) as Uint8Array<ArrayBuffer>], { type: mime })
}

/**
 * Decodes an image Blob (from imageBlob), at its own size or resized to `size`. Decoding a Blob
 * runs on the browser's worker threads, not the page's main thread — unlike resizing an already
 * decoded ImageBitmap, which blocks it (≈ 250 ms at 6000×4000 in software rendering) — so a
 * reduced copy is decoded from the bytes again rather than scaled from the full bitmap.
 */
export function decodeImage(blob: Blob, size?: { width: number; height: number }): Promise<ImageBitmap> {
  return createImageBitmap(blob, size ? reducedOptions(size) : FULL_OPTIONS)
}

/** The full image: its stored pixels, unpremultiplied (the assisted resolution reads its colours). */
export const FULL_OPTIONS: ImageBitmapOptions = {
  imageOrientation: 'none',
  premultiplyAlpha: 'none',
  colorSpaceConversion: 'none',
}

/**
 * The reduced copy, only ever drawn into a canvas (which premultiplies anyway): premultiplied, since
 * a resized decode left unpremultiplied is converted on the page's main thread in Chromium — a
 * long task of 56–70 ms for a 4288×2848 JPEG reduced to 1200 px, against none premultiplied
 * (measured in Chromium, software rendering; same pixels for an opaque JPEG).
 */
export function reducedOptions(size: { width: number; height: number }): ImageBitmapOptions {
  return {
    imageOrientation: 'none',
    premultiplyAlpha: 'premultiply',
    colorSpaceConversion: 'none',
    resizeWidth: size.width,
    resizeHeight: size.height,
    resizeQuality: 'medium',
  }
}

const toClose: ImageBitmap[] = []

/**
 * Closes a bitmap the screen no longer shows, in the next idle period: freeing a large one takes
 * the main thread a while (≈ 20 ms for 6000×4000), which must not delay showing the next pair.
 */
export function closeLater(bitmap: ImageBitmap | null | undefined): void {
  if (!bitmap) return
  toClose.push(bitmap)
  if (toClose.length === 1) requestIdleCallback(closeSome, { timeout: 2000 })
}

function closeSome(deadline: IdleDeadline): void {
  // One at least (the timeout may have run out), more while the idle period lasts.
  do toClose.shift()?.close()
  while (toClose.length && deadline.timeRemaining() > 25)
  if (toClose.length) requestIdleCallback(closeSome, { timeout: 2000 })
}
