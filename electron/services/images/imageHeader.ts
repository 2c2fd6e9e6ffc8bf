/**
 * Image dimensions from the file header alone, without decoding a pixel: JPEG (the frame header,
 * SOF0/1/2, after any APPn segments, EXIF included) and PNG (IHDR). Also reports the EXIF
 * orientation tag when present (JPEG APP1 "Exif", PNG eXIf). It is reported, never applied: masks
 * are drawn on the stored pixel grid, so width and height here are the STORED ones.
 *
 * Errors: `image-corrupt` (not a readable header, or the bytes end before the size), `image-unsupported`
 * (another format, or a JPEG kind browsers do not decode), `image-too-large` (over the pixel limit,
 * checked before anything is allocated: a decompression-bomb guard).
 */
import { CodedError, type ErrorCode } from '../../../shared/api/errors'

export interface ImageHeader {
  format: 'jpeg' | 'png'
  /** Stored width and height (EXIF orientation NOT applied). */
  width: number
  height: number
  /** EXIF orientation 1–8 when the file carries a valid tag; undefined otherwise. */
  orientation?: number
}

/** Default decompression-bomb limit: 100 megapixels (the largest ISIC images are 24 Mpx). */
export const DEFAULT_MAX_IMAGE_PIXELS = 100_000_000

/**
 * How many bytes from the start of a file are enough for its header in practice. JPEG APPn segments
 * are at most 64 KiB each; a file with several (EXIF + ICC + XMP) may need more, and callers that
 * read only a head retry with the whole file when `readImageHeader` says the head ends too early.
 */
export const IMAGE_HEAD_BYTES = 256 * 1024

/**
 * The header of an image read from heads of its file: 16 KiB, then IMAGE_HEAD_BYTES, then the whole
 * file (`read(undefined)`) only when a head ends before the size is known (a JPEG's EXIF can push
 * its frame header far in). The dataset's open path and the scan's workers share this order.
 */
export async function readImageHeaderByHeads(
  read: (head: number | undefined) => Promise<Uint8Array>,
  file?: string,
  opts: { maxPixels?: number } = {},
): Promise<ImageHeader> {
  for (const head of [16 * 1024, IMAGE_HEAD_BYTES]) {
    const bytes = await read(head)
    try {
      return readImageHeader(bytes, file, opts)
    } catch (err) {
      // A head shorter than asked for is the whole file: its word is the last.
      if (!(err instanceof HeaderTruncatedError) || bytes.length < head) throw err
    }
  }
  return readImageHeader(await read(undefined), file, opts)
}

/** Thrown (as `image-corrupt`) when the bytes end before the size is known: a longer head may do. */
export class HeaderTruncatedError extends CodedError {
  constructor(message: string, file?: string) {
    super('image-corrupt', message, file)
  }
}

function fail(code: ErrorCode, message: string, file: string | undefined): never {
  throw new CodedError(code, file === undefined ? message : `${file}: ${message}`, file)
}

function truncated(message: string, file: string | undefined): never {
  throw new HeaderTruncatedError(file === undefined ? message : `${file}: ${message}`, file)
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10]

/**
 * Reads the header of a JPEG or PNG from its first bytes (the whole file, or a head of it).
 * `maxPixels` (default 100 Mpx) refuses larger images with `image-too-large`.
 */
export function readImageHeader(
  bytes: Uint8Array,
  file?: string,
  opts: { maxPixels?: number } = {},
): ImageHeader {
  const header = parseHeader(bytes, file)
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS
  if (header.width * header.height > maxPixels) {
    fail(
      'image-too-large',
      `the image header declares ${header.width}×${header.height} = ${(header.width * header.height).toLocaleString('en')} pixels, over the limit of ${maxPixels.toLocaleString('en')}`,
      file,
    )
  }
  return header
}

function parseHeader(b: Uint8Array, file: string | undefined): ImageHeader {
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xd8) return parseJpeg(b, file)
  if (b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v)) return parsePng(b, file)
  const other = otherFormat(b)
  if (other !== undefined)
    fail('image-unsupported', `${other} images are not supported (JPEG or PNG only)`, file)
  if (b.length < 8) {
    if (b.length === 0) fail('image-corrupt', 'the image file is empty', file)
    fail('image-corrupt', `the image file has only ${b.length} bytes`, file)
  }
  fail('image-corrupt', 'not a JPEG or PNG file (unknown signature)', file)
}

/** Names a recognisable non-JPEG/PNG format by its magic bytes. */
function otherFormat(b: Uint8Array): string | undefined {
  const ascii = (start: number, s: string) =>
    b.length >= start + s.length && [...s].every((c, i) => b[start + i] === c.charCodeAt(0))
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'GIF'
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'WebP'
  if (ascii(0, 'BM') && b.length >= 14) return 'BMP'
  if (ascii(0, 'II*\0') || ascii(0, 'MM\0*')) return 'TIFF'
  if (ascii(4, 'ftyp')) return 'HEIF/AVIF'
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0x0c && ascii(4, 'jP  ')) {
    return 'JPEG 2000'
  }
  if (ascii(0, '\xff\x0a')) return 'JPEG XL'
  return undefined
}

// ---- JPEG ----------------------------------------------------------------------------------------

const SOF_NAMES: Record<number, string> = {
  0xc3: 'lossless',
  0xc5: 'differential sequential',
  0xc6: 'differential progressive',
  0xc7: 'differential lossless',
  0xc9: 'arithmetic-coded sequential',
  0xca: 'arithmetic-coded progressive',
  0xcb: 'arithmetic-coded lossless',
  0xcd: 'differential arithmetic-coded sequential',
  0xce: 'differential arithmetic-coded progressive',
  0xcf: 'differential arithmetic-coded lossless',
}

function parseJpeg(b: Uint8Array, file: string | undefined): ImageHeader {
  let orientation: number | undefined
  let exifSeen = false
  let p = 2
  for (;;) {
    // A marker: 0xFF, any number of 0xFF fill bytes, then the marker code.
    if (p >= b.length) truncated('the JPEG ends before its frame header (SOF)', file)
    if (b[p] !== 0xff)
      fail('image-corrupt', `JPEG: expected a marker at byte ${p}, found 0x${hex(b[p])}`, file)
    while (p < b.length && b[p] === 0xff) p++
    if (p >= b.length) truncated('the JPEG ends before its frame header (SOF)', file)
    const marker = b[p++]
    // Standalone markers: TEM, RSTn. (SOI again or EOI before a frame: corrupt.)
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue
    if (marker === 0xd8 || marker === 0xd9 || marker === 0x00) {
      fail('image-corrupt', `JPEG: unexpected marker 0xFF${hex(marker)} before the frame header`, file)
    }
    if (p + 2 > b.length) truncated('the JPEG ends inside a segment header', file)
    const len = (b[p] << 8) | b[p + 1]
    if (len < 2) fail('image-corrupt', `JPEG: segment 0xFF${hex(marker)} has invalid length ${len}`, file)
    const body = p + 2
    const end = p + len
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      if (body + 6 > b.length) truncated('the JPEG ends inside its frame header', file)
      if (len < 8) fail('image-corrupt', `JPEG: frame header length ${len} is too short`, file)
      const height = (b[body + 1] << 8) | b[body + 2]
      const width = (b[body + 3] << 8) | b[body + 4]
      const components = b[body + 5]
      if (width === 0) fail('image-corrupt', 'JPEG: the frame header declares width 0', file)
      if (height === 0) {
        fail('image-unsupported', 'JPEG: the height is defined later by a DNL marker (not supported)', file)
      }
      if (components !== 1 && components !== 3 && components !== 4) {
        fail('image-corrupt', `JPEG: the frame header declares ${components} components`, file)
      }
      return orientation === undefined
        ? { format: 'jpeg', width, height }
        : { format: 'jpeg', width, height, orientation }
    }
    const kind = SOF_NAMES[marker]
    if (kind !== undefined) fail('image-unsupported', `JPEG: ${kind} JPEGs are not supported`, file)
    if (marker === 0xda) fail('image-corrupt', 'JPEG: scan data (SOS) before the frame header', file)
    if (marker === 0xe1 && !exifSeen && end <= b.length && isExifApp1(b, body, end)) {
      exifSeen = true
      orientation = exifOrientation(b, body + 6, end)
    }
    p = end
  }
}

function isExifApp1(b: Uint8Array, start: number, end: number): boolean {
  return (
    end - start >= 14 &&
    b[start] === 0x45 && // E
    b[start + 1] === 0x78 && // x
    b[start + 2] === 0x69 && // i
    b[start + 3] === 0x66 && // f
    b[start + 4] === 0 &&
    b[start + 5] === 0
  )
}

/**
 * The Orientation tag (0x0112) of IFD0 of a TIFF structure at [tiff, end), or undefined when absent,
 * malformed or outside 1–8. Malformed EXIF never fails the image: browsers ignore it too.
 */
export function exifOrientation(b: Uint8Array, tiff: number, end: number): number | undefined {
  if (tiff + 8 > end) return undefined
  let little: boolean
  if (b[tiff] === 0x49 && b[tiff + 1] === 0x49) little = true
  else if (b[tiff] === 0x4d && b[tiff + 1] === 0x4d) little = false
  else return undefined
  const u16 = (at: number) => (little ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1])
  const u32 = (at: number) =>
    little
      ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000
      : b[at] * 0x1000000 + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3])
  if (u16(tiff + 2) !== 42) return undefined
  const ifd = tiff + u32(tiff + 4)
  if (ifd + 2 > end) return undefined
  const count = u16(ifd)
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12
    if (e + 12 > end) return undefined
    if (u16(e) !== 0x0112) continue
    // Type SHORT (3), count 1: the value sits in the first two bytes of the value field.
    if (u16(e + 2) !== 3 || u32(e + 4) !== 1) return undefined
    const v = u16(e + 8)
    return v >= 1 && v <= 8 ? v : undefined
  }
  return undefined
}

// ---- PNG -----------------------------------------------------------------------------------------

function u32be(b: Uint8Array, p: number): number {
  return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3])
}

function chunkType(b: Uint8Array, p: number): string {
  return String.fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3])
}

function parsePng(b: Uint8Array, file: string | undefined): ImageHeader {
  if (b.length < 33) truncated('the PNG ends inside its IHDR chunk', file)
  if (u32be(b, 8) !== 13 || chunkType(b, 12) !== 'IHDR') {
    fail('image-corrupt', 'PNG: the first chunk is not a 13-byte IHDR', file)
  }
  const width = u32be(b, 16)
  const height = u32be(b, 20)
  const bitDepth = b[24]
  const colorType = b[25]
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    fail('image-corrupt', `PNG: IHDR declares an invalid size ${width}×${height}`, file)
  }
  const depths: Record<number, number[]> = {
    0: [1, 2, 4, 8, 16],
    2: [8, 16],
    3: [1, 2, 4, 8],
    4: [8, 16],
    6: [8, 16],
  }
  if (!depths[colorType]?.includes(bitDepth)) {
    fail('image-corrupt', `PNG: IHDR declares colour type ${colorType} with bit depth ${bitDepth}`, file)
  }
  // eXIf (if any) comes before the first IDAT; stop there, and at the end of the bytes we have.
  let orientation: number | undefined
  let p = 33
  while (p + 8 <= b.length) {
    const len = u32be(b, p)
    const type = chunkType(b, p + 4)
    if (type === 'IDAT' || type === 'IEND') break
    if (type === 'eXIf') {
      if (p + 8 + len <= b.length) orientation = exifOrientation(b, p + 8, p + 8 + len)
      break
    }
    p += 12 + len
  }
  return orientation === undefined
    ? { format: 'png', width, height }
    : { format: 'png', width, height, orientation }
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0')
}
