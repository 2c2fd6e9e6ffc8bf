/**
 * Exact PNG codec for label masks, on node:zlib. It reads the STORED sample (grey value or palette
 * index, never a rendered colour) and writes back the same colour type, which sharp/libvips cannot
 * promise (palettes come back as RGB, grey may come back as 3 channels).
 *
 * Supported: colour types 0 (greyscale) and 3 (palette), bit depths 1, 2, 4, 8, Adam7 interlace on
 * read. Every sample is 1 byte or less, so the filter unit (bpp) is always 1 byte.
 *
 * The decoder lives here; the encoder in pngEncode.ts, the bytes both share in pngBytes.ts. This
 * module re-exports the encoder: callers import the codec from one place.
 */
import { crc32, inflate, inflateSync } from 'node:zlib'
import { CodedError } from '../../../shared/api/errors'
import type { ErrorCode } from '../../../shared/api/errors'
import type { LabelMap } from '../../../shared/labels/codes'
import { readU32, rowBytesOf, SIGNATURE, type MaskPngFormat } from './pngBytes'

export interface DecodedMaskPng {
  width: number
  height: number
  /** One byte per pixel, row-major: the stored grey value (not scaled) or the palette index. */
  data: Uint8Array
  format: MaskPngFormat
}

export interface PngHeader {
  width: number
  height: number
  bitDepth: number
  colorType: number
  interlaced: boolean
}

/** Decompression-bomb guard: no mask is decoded above this many pixels (ISIC images are ~12 Mpx). */
export const MAX_MASK_PIXELS = 2 ** 28

const MAX_CHUNK_LENGTH = 0x7fffffff

const COLOUR_TYPE_NAMES: Record<number, string> = {
  0: 'greyscale',
  2: 'RGB',
  3: 'palette',
  4: 'greyscale with alpha',
  6: 'RGBA',
}

const ALLOWED_BIT_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
}

/** Adam7 passes: x0, y0, dx, dy. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const

/** Throws the decoder's error; a given file is named in the message too (a curator reads that). */
function fail(code: ErrorCode, message: string, file: string | undefined): never {
  throw new CodedError(code, file === undefined ? message : `${file}: ${message}`, file)
}

interface Chunk {
  type: string
  /** Offset of the chunk data. */
  data: number
  length: number
  /** Offset just past the CRC. */
  end: number
}

/** Reads and CRC-checks the chunk at `pos`. */
function readChunk(bytes: Uint8Array, pos: number, file: string | undefined): Chunk {
  if (pos + 12 > bytes.length) fail('png-truncated', 'PNG file ends inside a chunk header', file)
  const length = readU32(bytes, pos)
  if (length > MAX_CHUNK_LENGTH) fail('png-corrupt', `PNG chunk length ${length} is invalid`, file)
  let type = ''
  for (let i = pos + 4; i < pos + 8; i++) {
    const c = bytes[i]
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) {
      fail('png-corrupt', 'PNG chunk type is not 4 letters', file)
    }
    type += String.fromCharCode(c)
  }
  const end = pos + 12 + length
  if (end > bytes.length) fail('png-truncated', `PNG file ends inside chunk ${type}`, file)
  const stored = readU32(bytes, end - 4)
  if (crc32(bytes.subarray(pos + 4, end - 4)) !== stored) {
    fail('png-corrupt', `PNG chunk ${type} has a bad CRC`, file)
  }
  return { type, data: pos + 8, length, end }
}

/** Checks the signature and IHDR only (cheap: reads 33 bytes). */
export function readPngHeader(bytes: Uint8Array, file?: string): PngHeader {
  if (bytes.length === 0) fail('png-truncated', 'PNG file is empty', file)
  const n = Math.min(bytes.length, 8)
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== SIGNATURE[i]) fail('png-corrupt', 'not a PNG file (bad signature)', file)
  }
  if (bytes.length < 8) fail('png-truncated', 'PNG file ends inside the signature', file)
  const ihdr = readChunk(bytes, 8, file)
  if (ihdr.type !== 'IHDR') fail('png-corrupt', `PNG starts with chunk ${ihdr.type}, not IHDR`, file)
  if (ihdr.length !== 13) fail('png-corrupt', `PNG IHDR has length ${ihdr.length}, not 13`, file)
  const o = ihdr.data
  const width = readU32(bytes, o)
  const height = readU32(bytes, o + 4)
  const bitDepth = bytes[o + 8]
  const colorType = bytes[o + 9]
  const compression = bytes[o + 10]
  const filter = bytes[o + 11]
  const interlace = bytes[o + 12]
  if (width === 0 || height === 0 || width > MAX_CHUNK_LENGTH || height > MAX_CHUNK_LENGTH) {
    fail('png-corrupt', `PNG size ${width}×${height} is invalid`, file)
  }
  const depths = ALLOWED_BIT_DEPTHS[colorType]
  if (depths === undefined) fail('png-corrupt', `PNG colour type ${colorType} is invalid`, file)
  if (!depths.includes(bitDepth)) {
    fail('png-corrupt', `PNG bit depth ${bitDepth} is invalid for colour type ${colorType}`, file)
  }
  if (compression !== 0) fail('png-corrupt', `PNG compression method ${compression} is invalid`, file)
  if (filter !== 0) fail('png-corrupt', `PNG filter method ${filter} is invalid`, file)
  if (interlace > 1) fail('png-corrupt', `PNG interlace method ${interlace} is invalid`, file)
  return { width, height, bitDepth, colorType, interlaced: interlace === 1 }
}

/** Size of the decompressed, filtered image data. */
function expectedRawSize(width: number, height: number, bitDepth: number, interlaced: boolean): number {
  if (!interlaced) return height * (rowBytesOf(width, bitDepth) + 1)
  let total = 0
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = width > x0 ? Math.ceil((width - x0) / dx) : 0
    const h = height > y0 ? Math.ceil((height - y0) / dy) : 0
    if (w > 0 && h > 0) total += h * (rowBytesOf(w, bitDepth) + 1)
  }
  return total
}

/**
 * Undoes the filters of `rows` rows in place (bpp = 1); the first row has an all-zero predecessor.
 * The left neighbour is carried in a register (no store-to-load round trip), and Up, the commonest
 * filter in adaptively filtered masks, adds 4 bytes at a time (SWAR through a DataView).
 */
function unfilterRows(raw: Uint8Array, start: number, rowBytes: number, rows: number, file?: string): void {
  const stride = rowBytes + 1
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  for (let y = 0; y < rows; y++) {
    const f = start + y * stride
    const cur = f + 1
    const end = cur + rowBytes
    const type = raw[f]
    if (type === 0) continue
    if (type === 1 || (y === 0 && type === 4)) {
      // Sub; Paeth with an all-zero row above reduces to Sub.
      let a = raw[cur]
      for (let i = cur + 1; i < end; i++) {
        a = (raw[i] + a) & 0xff
        raw[i] = a
      }
    } else if (type === 2) {
      if (y === 0) continue
      let i = cur
      for (; i + 4 <= end; i += 4) {
        const x = view.getUint32(i, true)
        const p = view.getUint32(i - stride, true)
        // Four byte-wise additions mod 256: add the low 7 bits, then xor in the top bits.
        view.setUint32(i, (((x & 0x7f7f7f7f) + (p & 0x7f7f7f7f)) ^ ((x ^ p) & 0x80808080)) >>> 0, true)
      }
      for (; i < end; i++) raw[i] = raw[i] + raw[i - stride]
    } else if (type === 3) {
      let a = (raw[cur] + (y === 0 ? 0 : raw[cur - stride] >> 1)) & 0xff
      raw[cur] = a
      if (y === 0) {
        for (let i = cur + 1; i < end; i++) {
          a = (raw[i] + (a >> 1)) & 0xff
          raw[i] = a
        }
      } else {
        for (let i = cur + 1; i < end; i++) {
          a = (raw[i] + ((a + raw[i - stride]) >> 1)) & 0xff
          raw[i] = a
        }
      }
    } else if (type === 4) {
      let c = raw[cur - stride]
      let a = (raw[cur] + c) & 0xff
      raw[cur] = a
      for (let i = cur + 1; i < end; i++) {
        const b = raw[i - stride]
        let pred = a
        if (a !== b || b !== c) {
          const pa = b > c ? b - c : c - b
          const pb = a > c ? a - c : c - a
          const s = a + b - c - c
          const pc = s < 0 ? -s : s
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
        }
        a = (raw[i] + pred) & 0xff
        raw[i] = a
        c = b
      }
    } else {
      fail('png-corrupt', `PNG row has invalid filter type ${type}`, file)
    }
  }
}

/** Unpacks unfiltered rows to one byte per pixel at (x0 + x*dx, y0 + y*dy) of `out`. */
function unpackRows(
  raw: Uint8Array,
  start: number,
  passWidth: number,
  rows: number,
  bitDepth: number,
  out: Uint8Array,
  outWidth: number,
  x0: number,
  y0: number,
  dx: number,
  dy: number,
): void {
  const rowBytes = rowBytesOf(passWidth, bitDepth)
  const stride = rowBytes + 1
  if (bitDepth === 8 && dx === 1) {
    for (let y = 0; y < rows; y++) {
      const src = start + y * stride + 1
      out.set(raw.subarray(src, src + passWidth), (y0 + y * dy) * outWidth + x0)
    }
    return
  }
  if (bitDepth === 8) {
    for (let y = 0; y < rows; y++) {
      let src = start + y * stride + 1
      const srcEnd = src + passWidth
      let o = (y0 + y * dy) * outWidth + x0
      while (src < srcEnd) {
        out[o] = raw[src++]
        o += dx
      }
    }
    return
  }
  const mask = (1 << bitDepth) - 1
  const firstShift = 8 - bitDepth
  for (let y = 0; y < rows; y++) {
    let src = start + y * stride + 1
    let o = (y0 + y * dy) * outWidth + x0
    let x = 0
    while (x < passWidth) {
      const byte = raw[src++]
      for (let s = firstShift; s >= 0 && x < passWidth; s -= bitDepth) {
        out[o] = (byte >> s) & mask
        o += dx
        x++
      }
    }
  }
}

/** One output chunk of the exact size: zlib's default 16 KiB chunks would be concatenated (a full
 * copy of the image data, measured at a quarter of the decode time of a 1024×768 mask). Never more
 * than the data could inflate to (deflate stays under 1032:1): a lying IHDR allocates nothing. */
function inflateOptions(idat: Uint8Array, expected: number): { maxOutputLength: number; chunkSize: number } {
  return {
    maxOutputLength: expected + 1,
    chunkSize: Math.max(64, Math.min(expected + 1, idat.length * 1032 + 1024)),
  }
}

function inflateError(err: unknown, expected: number, file: string | undefined): never {
  const code = (err as { code?: unknown }).code
  if (code === 'ERR_BUFFER_TOO_LARGE') {
    fail('png-corrupt', `PNG image data inflates to more than the expected ${expected} bytes`, file)
  }
  if (code === 'Z_BUF_ERROR') fail('png-truncated', 'PNG image data (zlib stream) ends early', file)
  const detail = err instanceof Error ? err.message : String(err)
  fail('png-corrupt', `PNG image data is not a valid zlib stream (${detail})`, file)
}

function checkInflated(raw: Buffer, expected: number, file: string | undefined): Buffer {
  if (raw.length < expected) {
    fail('png-truncated', `PNG image data has ${raw.length} bytes, expected ${expected}`, file)
  }
  if (raw.length > expected) {
    fail('png-corrupt', `PNG image data inflates to more than the expected ${expected} bytes`, file)
  }
  return raw
}

function inflateImageData(idat: Uint8Array, expected: number, file: string | undefined): Buffer {
  let raw: Buffer
  try {
    raw = inflateSync(idat, inflateOptions(idat, expected))
  } catch (err) {
    inflateError(err, expected, file)
  }
  return checkInflated(raw, expected, file)
}

/** inflateImageData on libuv's thread pool: the calling thread stays free meanwhile. */
function inflateImageDataAsync(
  idat: Uint8Array,
  expected: number,
  file: string | undefined,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    inflate(idat, inflateOptions(idat, expected), (err, raw) => {
      try {
        if (err) inflateError(err, expected, file)
        resolve(checkInflated(raw, expected, file))
      } catch (e) {
        reject(e)
      }
    })
  })
}

/** A mask PNG's chunks, read and checked: what remains is to inflate and unfilter its image data. */
interface ParsedMaskPng {
  width: number
  height: number
  bitDepth: number
  colorType: 0 | 3
  interlaced: boolean
  palette?: Uint8Array
  transparency?: Uint8Array
  idat: Uint8Array
  expected: number
}

/** Decodes a greyscale or palette PNG to its stored samples. Does not judge label values. */
export function decodeMaskPng(bytes: Uint8Array, file?: string): DecodedMaskPng {
  const png = parseMaskPng(bytes, file)
  return unpackMaskPng(png, inflateImageData(png.idat, png.expected, file), file)
}

/**
 * decodeMaskPng with the inflate on libuv's thread pool (the calling thread may do other work
 * meanwhile); the same result and errors.
 */
export async function decodeMaskPngAsync(bytes: Uint8Array, file?: string): Promise<DecodedMaskPng> {
  const png = parseMaskPng(bytes, file)
  return unpackMaskPng(png, await inflateImageDataAsync(png.idat, png.expected, file), file)
}

/**
 * True when the PNG decodes (as decodeMaskPng would) to exactly the samples of `map`. An 8-bit,
 * non-interlaced PNG is compared row by row where it was inflated and unfiltered, without
 * compacting it into a map of its own; any other is decoded, then compared. Decoding errors throw as
 * in decodeMaskPng.
 */
export function maskPngEquals(bytes: Uint8Array, map: LabelMap, file?: string): boolean {
  const png = parseMaskPng(bytes, file)
  return inflatedEquals(png, inflateImageData(png.idat, png.expected, file), map, file)
}

/**
 * True when the PNG is 8-bit greyscale, not interlaced, of size `width` × `height`, and its image
 * data inflates to exactly `rows`: each row's filter byte 0 (None) followed by its samples, the
 * layout of `grey8Rows`. So it decodes (as decodeMaskPng would) to exactly the samples in `rows`.
 * Stricter than maskPngEquals (a PNG with other filter types answers false), and one comparison of
 * the whole image instead of one per row. Decoding errors throw as in decodeMaskPng.
 */
export function maskPngEqualsRows(
  bytes: Uint8Array,
  rows: Uint8Array,
  width: number,
  height: number,
  file?: string,
): boolean {
  const png = parseMaskPng(bytes, file)
  if (png.width !== width || png.height !== height || png.colorType !== 0) return false
  if (png.bitDepth !== 8 || png.interlaced || rows.length !== png.expected) return false
  const raw = inflateImageData(png.idat, png.expected, file)
  return raw.equals(rows)
}

/** Compares inflated image data with `map` (see maskPngEquals). */
function inflatedEquals(png: ParsedMaskPng, raw: Buffer, map: LabelMap, file: string | undefined): boolean {
  const { width, height, data } = map
  if (png.width !== width || png.height !== height || data.length !== width * height) return false
  if (png.bitDepth !== 8 || png.interlaced) {
    const decoded = unpackMaskPng(png, raw, file)
    return Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength).equals(
      Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    )
  }
  unfilterRows(raw, 0, width, height, file)
  const samples = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  const labels = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const stride = width + 1
  for (let y = 0; y < height; y++) {
    const at = y * stride + 1
    if (samples.compare(labels, y * width, (y + 1) * width, at, at + width) !== 0) return false
  }
  return true
}

function parseMaskPng(bytes: Uint8Array, file: string | undefined): ParsedMaskPng {
  const { width, height, bitDepth, colorType, interlaced } = readPngHeader(bytes, file)
  if (colorType !== 0 && colorType !== 3) {
    fail(
      'mask-colour',
      `PNG colour type ${colorType} (${COLOUR_TYPE_NAMES[colorType]}) is not a mask: expected greyscale (0) or palette (3)`,
      file,
    )
  }
  if (bitDepth === 16) fail('mask-16bit', 'PNG is 16-bit greyscale: a mask must have 8 bits or fewer', file)
  if (width * height > MAX_MASK_PIXELS) {
    fail('png-corrupt', `PNG size ${width}×${height} is over the limit of ${MAX_MASK_PIXELS} pixels`, file)
  }

  const parts: Uint8Array[] = []
  let palette: Uint8Array | undefined
  let transparency: Uint8Array | undefined
  let pos = 8 + 25
  for (;;) {
    if (pos >= bytes.length) fail('png-truncated', 'PNG file ends before IEND', file)
    const chunk = readChunk(bytes, pos, file)
    pos = chunk.end
    const body = bytes.subarray(chunk.data, chunk.data + chunk.length)
    if (chunk.type === 'IEND') break
    switch (chunk.type) {
      case 'IDAT':
        if (colorType === 3 && palette === undefined) fail('png-corrupt', 'PNG has IDAT before PLTE', file)
        parts.push(body)
        break
      case 'PLTE':
        // Ignored for greyscale (as libpng does); validated for palette images.
        if (colorType === 3) {
          if (palette !== undefined || parts.length > 0) fail('png-corrupt', 'PNG PLTE is misplaced', file)
          const entries = chunk.length / 3
          // More entries than the bit depth can index is tolerated (as libpng does); 256 is the cap.
          if (!Number.isInteger(entries) || entries < 1 || entries > 256) {
            fail('png-corrupt', `PNG PLTE has invalid length ${chunk.length}`, file)
          }
          palette = new Uint8Array(body)
        }
        break
      case 'tRNS':
        transparency = new Uint8Array(body)
        break
      case 'IHDR':
        fail('png-corrupt', 'PNG has a second IHDR', file)
        break
      default:
        // Bit 5 of the first letter clear (upper case) = critical: a decoder must not skip it.
        if ((bytes[chunk.data - 4] & 0x20) === 0) {
          fail('png-corrupt', `PNG has unknown critical chunk ${chunk.type}`, file)
        }
    }
  }
  if (parts.length === 0) fail('png-corrupt', 'PNG has no IDAT chunk', file)
  if (colorType === 3 && palette === undefined) fail('png-corrupt', 'palette PNG has no PLTE chunk', file)

  const expected = expectedRawSize(width, height, bitDepth, interlaced)
  const idat = parts.length === 1 ? parts[0] : Buffer.concat(parts)
  return { width, height, bitDepth, colorType, interlaced, palette, transparency, idat, expected }
}

function unpackMaskPng(png: ParsedMaskPng, raw: Buffer, file: string | undefined): DecodedMaskPng {
  const { width, height, bitDepth, colorType, interlaced, palette, transparency, expected } = png
  let data: Uint8Array

  if (!interlaced && bitDepth === 8 && raw.byteOffset === 0 && raw.buffer.byteLength === expected + 1) {
    // The common case (8-bit, not interlaced, zlib's own allocation of exactly this image): drop the
    // filter bytes in place instead of copying into a second image-sized buffer. The view's buffer
    // holds only this image's bytes (a pooled small buffer never gets here).
    unfilterRows(raw, 0, width, height, file)
    for (let y = 0; y < height; y++) {
      const from = y * (width + 1) + 1
      raw.copyWithin(y * width, from, from + width)
    }
    data = new Uint8Array(raw.buffer, 0, width * height)
  } else if (!interlaced) {
    data = new Uint8Array(width * height)
    unfilterRows(raw, 0, rowBytesOf(width, bitDepth), height, file)
    unpackRows(raw, 0, width, height, bitDepth, data, width, 0, 0, 1, 1)
  } else {
    data = new Uint8Array(width * height)
    let start = 0
    for (const [x0, y0, dx, dy] of ADAM7) {
      const w = width > x0 ? Math.ceil((width - x0) / dx) : 0
      const h = height > y0 ? Math.ceil((height - y0) / dy) : 0
      if (w === 0 || h === 0) continue
      const rowBytes = rowBytesOf(w, bitDepth)
      unfilterRows(raw, start, rowBytes, h, file)
      unpackRows(raw, start, w, h, bitDepth, data, width, x0, y0, dx, dy)
      start += h * (rowBytes + 1)
    }
  }

  const format: MaskPngFormat = { colorType, bitDepth: bitDepth as 1 | 2 | 4 | 8, interlaced }
  if (palette !== undefined) format.palette = palette
  if (transparency !== undefined) format.transparency = transparency
  return { width, height, data, format }
}

export type { MaskPngFormat } from './pngBytes'
export {
  encodeGrey8Rows,
  encodeMaskPng,
  encodeMaskPngAsync,
  grey8Rows,
  isGrey8,
  vocPalette,
  type EncodeOptions,
} from './pngEncode'
