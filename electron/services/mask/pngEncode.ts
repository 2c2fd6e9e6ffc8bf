/**
 * The encoder of the exact label-mask PNG codec (maskPng.ts decodes): writes a label map back in
 * the colour type it was read in (grey or palette, bit depth kept when the values fit), one filter
 * type, deflated on node:zlib. The saved bytes are checked by decoding them (pngCheck.ts).
 */
import { constants as zlibConstants, crc32, deflate, deflateSync } from 'node:zlib'
import { CodedError } from '../../../shared/api/errors'
import { findInvalidLabel } from '../../../shared/labels/codes'
import type { LabelMap } from '../../../shared/labels/codes'
import { SpareBuffer } from '../fs/bufferPool'
import { rowBytesOf, SIGNATURE, writeU32, type MaskPngFormat } from './pngBytes'

/**
 * Encoder settings, chosen by measurement on a 4300×2850 mask (uniform regions, a band of 255 along
 * a blob boundary): no filter + Z_RLE deflated to 26.5 KB in ~5 ms, smaller and faster than Up or
 * Sub (30.8 / 37.5 KB) and than the default strategy at any level (29 KB at level 6 in 24 ms;
 * 23.8 KB only at level 9 in 52 ms). Z_RLE ignores the level.
 */
const ENCODE_FILTER = 0
const ENCODE_LEVEL = 6
const ENCODE_STRATEGY = zlibConstants.Z_RLE
/**
 * Output chunk of the deflate: zlib's default 16 KiB makes the thread pool stop at every 16 KiB of
 * output until the main thread takes it and hands the rest back (a save's 93 KB PNG took six round
 * trips, each waiting for a main thread busy with the statistics). A mask PNG fits in one chunk of
 * this size; the bytes produced do not depend on it.
 */
const DEFLATE_CHUNK = 1 << 20
const DEFLATE_OPTIONS = { level: ENCODE_LEVEL, strategy: ENCODE_STRATEGY, chunkSize: DEFLATE_CHUNK }

export interface EncodeOptions {
  /**
   * The caller has just checked that every value is 0, 1 or 255 (e.g. analyzeMask, which throws
   * `mask-values` otherwise): the encoder's own pass over the values is skipped. Only for a map
   * that cannot change in between.
   */
  valuesChecked?: boolean
}

/**
 * Lays `map` out as the encoder filters an 8-bit image (each row: filter byte 0, then its samples)
 * into `out` (at least `height × (width + 1)` bytes); returns the view of that length.
 */
export function grey8Rows(map: LabelMap, out: Uint8Array): Uint8Array {
  const { width, height, data } = map
  const stride = width + 1
  const rows = out.subarray(0, height * stride)
  for (let y = 0; y < height; y++) {
    rows[y * stride] = 0
    rows.set(data.subarray(y * width, (y + 1) * width), y * stride + 1)
  }
  return rows
}

/** True for the formats `encodeGrey8Rows` encodes: 8-bit greyscale. */
export function isGrey8(format: MaskPngFormat): boolean {
  return format.colorType === 0 && format.bitDepth === 8
}

/**
 * encodeMaskPng for an 8-bit greyscale format from the map already laid out by `grey8Rows` (its
 * values checked by the caller): the same bytes, without copying the image once more.
 */
export function encodeGrey8Rows(
  rows: Uint8Array,
  width: number,
  height: number,
  format: MaskPngFormat,
): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new CodedError('mask-size', `mask size ${width}×${height} is invalid`)
  }
  if (rows.length !== height * (width + 1)) {
    throw new CodedError('mask-size', `mask rows have ${rows.length} bytes for ${width}×${height} pixels`)
  }
  if (!isGrey8(format)) throw new RangeError('encodeGrey8Rows needs an 8-bit greyscale format')
  return assemble(width, height, 8, format, format.palette, deflateSync(rows, DEFLATE_OPTIONS))
}

/** Colour of index i in the PASCAL VOC colour map (255 gives the void colour 224,224,192). */
function vocColour(index: number): [number, number, number] {
  let r = 0
  let g = 0
  let b = 0
  let c = index
  for (let j = 7; j >= 0; j--) {
    r |= (c & 1) << j
    g |= ((c >> 1) & 1) << j
    b |= ((c >> 2) & 1) << j
    c >>= 3
  }
  return [r, g, b]
}

/** The whole PASCAL VOC colour map: 256 RGB entries, as PLTE bytes. */
export function vocPalette(): Uint8Array {
  const p = new Uint8Array(768)
  for (let i = 0; i < 256; i++) p.set(vocColour(i), i * 3)
  return p
}

function buildChunk(out: Uint8Array, pos: number, type: string, body: Uint8Array): number {
  writeU32(out, pos, body.length)
  for (let i = 0; i < 4; i++) out[pos + 4 + i] = type.charCodeAt(i)
  out.set(body, pos + 8)
  writeU32(out, pos + 8 + body.length, crc32(out.subarray(pos + 4, pos + 8 + body.length)))
  return pos + 12 + body.length
}

/**
 * The filtered image of the last encode, kept for the next one: a save encodes its 12 Mpx every
 * time, and a fresh buffer of that size costs a memset, page faults and external-memory pressure
 * on the garbage collector. Taken while an encode uses it (a concurrent encode allocates its own).
 */
const spareFilter = new SpareBuffer<ArrayBuffer>(
  (size) => Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer,
  64 * 1024 * 1024,
)

function takeFilterBuffer(size: number): Uint8Array {
  return new Uint8Array(spareFilter.take(size), 0, size)
}

/** Gives an encode's filtered image back once the deflate has read it. */
function releaseFilterBuffer(filtered: Uint8Array): void {
  spareFilter.give(filtered.buffer as ArrayBuffer)
}

/** Packs and filters the rows (one filter type for all rows, bpp = 1). */
function filterImage(map: LabelMap, bitDepth: number, filter: number): Uint8Array {
  const { width, height, data } = map
  const rowBytes = rowBytesOf(width, bitDepth)
  const stride = rowBytes + 1
  // Not zero-filled: every byte is written below, the filter byte of each row included.
  const out = takeFilterBuffer(height * stride)
  // Pack into place first (filter type 0 in each row's first byte).
  if (bitDepth === 8) {
    for (let y = 0; y < height; y++) {
      out[y * stride] = 0
      out.set(data.subarray(y * width, (y + 1) * width), y * stride + 1)
    }
  } else {
    const perByte = 8 / bitDepth
    for (let y = 0; y < height; y++) {
      let src = y * width
      const srcEnd = src + width
      let o = y * stride
      out[o++] = 0
      while (src < srcEnd) {
        let byte = 0
        let s = 8 - bitDepth
        for (let k = 0; k < perByte && src < srcEnd; k++, s -= bitDepth) byte |= data[src++] << s
        out[o++] = byte
      }
    }
  }
  if (filter === 0) return out
  // Filter bottom-up so every row still sees its unfiltered predecessor.
  for (let y = height - 1; y >= 0; y--) {
    const f = y * stride
    const cur = f + 1
    const end = cur + rowBytes
    out[f] = filter
    if (filter === 1) {
      for (let i = end - 1; i > cur; i--) out[i] = out[i] - out[i - 1]
    } else if (filter === 2) {
      if (y > 0) for (let i = cur; i < end; i++) out[i] = out[i] - out[i - stride]
    } else {
      throw new RangeError(`unsupported encoder filter ${filter}`)
    }
  }
  return out
}

function isLabelByte(v: number): boolean {
  return v === 0 || v === 1 || v === 255
}

/**
 * True when every value is 0, 1 or 255. Reads 4 bytes at a time (uniform words are the rule in a
 * mask), about 4× faster than a byte loop; findInvalidLabel then locates a failure.
 */
function allLabels(data: Uint8Array): boolean {
  const head = Math.min(data.length, (4 - (data.byteOffset & 3)) & 3)
  for (let i = 0; i < head; i++) if (!isLabelByte(data[i])) return false
  const words = (data.length - head) >>> 2
  const w = new Uint32Array(data.buffer, data.byteOffset + head, words)
  for (let i = 0; i < words; i++) {
    const x = w[i]
    if (x === 0 || x === 0x01010101 || x === 0xffffffff) continue
    if (!isLabelByte(x & 0xff) || !isLabelByte((x >>> 8) & 0xff)) return false
    if (!isLabelByte((x >>> 16) & 0xff) || !isLabelByte(x >>> 24)) return false
  }
  for (let i = head + words * 4; i < data.length; i++) if (!isLabelByte(data[i])) return false
  return true
}

/** Checks a format given to the encoder: a programming error, not a data error, when wrong. */
function checkFormat(format: MaskPngFormat): void {
  if (format.colorType !== 0 && format.colorType !== 3) {
    throw new RangeError(`mask PNG colour type must be 0 or 3, not ${format.colorType}`)
  }
  if (![1, 2, 4, 8].includes(format.bitDepth)) {
    throw new RangeError(`mask PNG bit depth must be 1, 2, 4 or 8, not ${format.bitDepth}`)
  }
  if (format.colorType === 3) {
    const p = format.palette
    if (p === undefined || p.length === 0 || p.length % 3 !== 0 || p.length > 768) {
      throw new RangeError('a palette mask PNG needs PLTE bytes (1 to 256 RGB entries)')
    }
  }
}

/**
 * Encodes a label map (values in {0, 1, 255}, else 'mask-values') in the colour type of `format`.
 * Keeps the bit depth when every value fits, else promotes to 8 bits; PLTE and tRNS are kept
 * verbatim (a palette too short for the promoted indices is extended with VOC colours). Never
 * interlaced.
 */
export function encodeMaskPng(map: LabelMap, format: MaskPngFormat, options: EncodeOptions = {}): Buffer {
  const png = prepareEncode(map, format, options)
  const idat = deflateSync(png.filtered, DEFLATE_OPTIONS)
  releaseFilterBuffer(png.filtered)
  return png.assemble(idat)
}

/**
 * encodeMaskPng with the deflate on libuv's thread pool (the calling thread may do other work
 * meanwhile, e.g. a save's statistics); the same bytes and errors. `map` must not change until the
 * promise settles.
 */
export async function encodeMaskPngAsync(
  map: LabelMap,
  format: MaskPngFormat,
  options: EncodeOptions = {},
): Promise<Buffer> {
  const png = prepareEncode(map, format, options)
  return new Promise((resolve, reject) => {
    deflate(png.filtered, DEFLATE_OPTIONS, (err, idat) => {
      releaseFilterBuffer(png.filtered)
      if (err) reject(err)
      else resolve(png.assemble(idat))
    })
  })
}

function prepareEncode(
  map: LabelMap,
  format: MaskPngFormat,
  options: EncodeOptions,
): { filtered: Uint8Array; assemble(idat: Uint8Array): Buffer } {
  const { width, height, data } = map
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new CodedError('mask-size', `mask size ${width}×${height} is invalid`)
  }
  if (data.length !== width * height) {
    throw new CodedError('mask-size', `mask has ${data.length} values for ${width}×${height} pixels`)
  }
  const bad = options.valuesChecked || allLabels(data) ? -1 : findInvalidLabel(data)
  if (bad >= 0) {
    const x = bad % width
    const y = (bad - x) / width
    throw new CodedError('mask-values', `mask value ${data[bad]} at (${x}, ${y}) is not 0, 1 or 255`)
  }
  checkFormat(format)

  // Every value is a label here, so the largest one is found by two native scans (needed only to
  // promote a low bit depth or to extend a palette: an 8-bit grey mask skips them).
  const maxValue =
    format.bitDepth === 8 && format.colorType === 0
      ? 255
      : data.includes(255)
        ? 255
        : data.includes(1)
          ? 1
          : 0

  let palette = format.palette
  let bitDepth: number = format.bitDepth
  if (maxValue > (1 << bitDepth) - 1) bitDepth = 8
  if (format.colorType === 3 && palette !== undefined) {
    if (palette.length / 3 > 1 << bitDepth) bitDepth = 8
    const needed = maxValue + 1
    if (palette.length / 3 < needed) {
      const extended = new Uint8Array(needed * 3)
      extended.set(palette)
      for (let i = palette.length / 3; i < needed; i++) extended.set(vocColour(i), i * 3)
      palette = extended
    }
  }

  const filtered = filterImage(map, bitDepth, ENCODE_FILTER)
  return { filtered, assemble: (idat) => assemble(width, height, bitDepth, format, palette, idat) }
}

function assemble(
  width: number,
  height: number,
  bitDepth: number,
  format: MaskPngFormat,
  palette: Uint8Array | undefined,
  idat: Uint8Array,
): Buffer {
  const ihdr = new Uint8Array(13)
  writeU32(ihdr, 0, width)
  writeU32(ihdr, 4, height)
  ihdr[8] = bitDepth
  ihdr[9] = format.colorType
  // compression 0, filter method 0, interlace 0

  const chunks: [string, Uint8Array][] = [['IHDR', ihdr]]
  if (format.colorType === 3 && palette !== undefined) chunks.push(['PLTE', palette])
  if (format.transparency !== undefined) chunks.push(['tRNS', format.transparency])
  chunks.push(['IDAT', idat], ['IEND', new Uint8Array(0)])

  let size = SIGNATURE.length
  for (const [, body] of chunks) size += 12 + body.length
  const out = Buffer.alloc(size)
  out.set(SIGNATURE, 0)
  let pos = SIGNATURE.length
  for (const [type, body] of chunks) pos = buildChunk(out, pos, type, body)
  return out
}
