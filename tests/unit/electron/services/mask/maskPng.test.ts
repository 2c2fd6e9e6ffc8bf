import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32, deflateSync } from 'node:zlib'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CodedError } from '../../../../../shared/api/errors'
import type { ErrorCode } from '../../../../../shared/api/errors'
import type { LabelMap } from '../../../../../shared/labels/codes'
import {
  decodeMaskPng,
  decodeMaskPngAsync,
  encodeMaskPng,
  encodeMaskPngAsync,
  encodeGrey8Rows,
  grey8Rows,
  maskPngEquals,
  maskPngEqualsRows,
  readPngHeader,
  vocPalette,
  type MaskPngFormat,
} from '../../../../../electron/services/mask/maskPng'

// ---------------------------------------------------------------- deterministic fixtures

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** Random values drawn from `values`. */
function randomMap(width: number, height: number, seed: number, values: readonly number[] = [0, 1, 255]) {
  const next = rng(seed)
  const data = new Uint8Array(width * height)
  for (let i = 0; i < data.length; i++) data[i] = values[Math.floor(next() * values.length)]
  return { width, height, data }
}

/** A lesion blob with a band of 255 along its boundary, like an ISIC_WSM mask. */
function blobMap(width: number, height: number): LabelMap {
  const data = new Uint8Array(width * height)
  const cx = width * 0.47
  const cy = height * 0.53
  const r0 = Math.min(width, height) * 0.33
  const band = Math.max(1, Math.min(width, height) * 0.01)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = Math.atan2(y - cy, x - cx)
      const r = r0 * (1 + 0.12 * Math.sin(3 * t) + 0.05 * Math.sin(7 * t + 1))
      const d = Math.hypot(x - cx, y - cy) - r
      data[y * width + x] = Math.abs(d) < band ? 255 : d < 0 ? 1 : 0
    }
  }
  return { width, height, data }
}

const GREY8: MaskPngFormat = { colorType: 0, bitDepth: 8, interlaced: false }

// ---------------------------------------------------------------- an independent PNG writer

function chunk(type: string, body: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + body.length)
  b.writeUInt32BE(body.length, 0)
  b.write(type, 4, 'latin1')
  b.set(body, 8)
  b.writeUInt32BE(crc32(b.subarray(4, 8 + body.length)), 8 + body.length)
  return b
}

function ihdr(width: number, height: number, bitDepth: number, colorType: number, interlace = 0): Buffer {
  const b = Buffer.alloc(13)
  b.writeUInt32BE(width, 0)
  b.writeUInt32BE(height, 4)
  b[8] = bitDepth
  b[9] = colorType
  b[12] = interlace
  return chunk('IHDR', b)
}

const SIG = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])

function png(...chunks: Buffer[]): Buffer {
  return Buffer.concat([SIG, ...chunks, chunk('IEND', new Uint8Array(0))])
}

function packRow(values: Uint8Array, bitDepth: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((values.length * bitDepth) / 8))
  for (let x = 0; x < values.length; x++) {
    const bit = x * bitDepth
    out[bit >> 3] |= values[x] << (8 - bitDepth - (bit & 7))
  }
  return out
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

/** Filters one packed row by the book (bpp = 1). */
function filterRow(type: number, row: Uint8Array, prev: Uint8Array): Uint8Array {
  const out = new Uint8Array(row.length + 1)
  out[0] = type
  for (let i = 0; i < row.length; i++) {
    const a = i > 0 ? row[i - 1] : 0
    const b = prev[i]
    const c = i > 0 ? prev[i - 1] : 0
    const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][type] ?? 0
    out[i + 1] = (row[i] - pred) & 0xff
  }
  return out
}

/** Scanlines of a non-interlaced image, filter type of row y = filterOf(y). */
function scanlines(map: LabelMap, bitDepth: number, filterOf: (y: number) => number): Buffer {
  const rows: Uint8Array[] = []
  let prev: Uint8Array = new Uint8Array(Math.ceil((map.width * bitDepth) / 8))
  for (let y = 0; y < map.height; y++) {
    const row = packRow(map.data.subarray(y * map.width, (y + 1) * map.width), bitDepth)
    rows.push(filterRow(filterOf(y), row, prev))
    prev = row
  }
  return Buffer.concat(rows)
}

function handPng(
  map: LabelMap,
  bitDepth: number,
  colorType: number,
  filterOf: (y: number) => number = () => 0,
) {
  const plte = colorType === 3 ? [chunk('PLTE', vocPalette().subarray(0, 3 * 2 ** bitDepth))] : []
  return png(
    ihdr(map.width, map.height, bitDepth, colorType),
    ...plte,
    chunk('IDAT', deflateSync(scanlines(map, bitDepth, filterOf))),
  )
}

// ---------------------------------------------------------------- helpers

async function sharpRaw(bytes: Uint8Array) {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data), channels: info.channels, width: info.width, height: info.height }
}

function channel0(data: Uint8Array, channels: number): Uint8Array {
  const out = new Uint8Array(data.length / channels)
  for (let i = 0; i < out.length; i++) out[i] = data[i * channels]
  return out
}

function greyPng(map: LabelMap, progressive = false): Promise<Buffer> {
  return sharp(map.data, { raw: { width: map.width, height: map.height, channels: 1 } })
    .toColourspace('b-w')
    .png({ progressive })
    .toBuffer()
}

function codedError(fn: () => unknown): CodedError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(CodedError)
    return err as CodedError
  }
  throw new Error('expected a CodedError')
}

function expectCode(fn: () => unknown, code: ErrorCode, file?: string): CodedError {
  const err = codedError(fn)
  expect(err.code).toBe(code)
  expect(err.file).toBe(file)
  return err
}

/** Offset of the first chunk of `type`. */
function chunkOffset(bytes: Uint8Array, type: string): number {
  let pos = 8
  while (pos < bytes.length) {
    const len = Buffer.from(bytes).readUInt32BE(pos)
    if (Buffer.from(bytes.subarray(pos + 4, pos + 8)).toString('latin1') === type) return pos
    pos += 12 + len
  }
  throw new Error(`no ${type}`)
}

let dir = ''
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'maskPng-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

// ---------------------------------------------------------------- decoding files from sharp/libpng

describe('decodeMaskPng on files written by sharp', () => {
  it('decodes an 8-bit greyscale PNG to exactly the stored bytes', async () => {
    const map = blobMap(431, 285)
    const file = join(dir, 'grey8.png')
    await sharp(map.data, { raw: { width: map.width, height: map.height, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(file)
    const bytes = readFileSync(file)
    expect(readPngHeader(bytes, file)).toEqual({
      width: 431,
      height: 285,
      bitDepth: 8,
      colorType: 0,
      interlaced: false,
    })
    const decoded = decodeMaskPng(bytes, file)
    expect(decoded.width).toBe(431)
    expect(decoded.height).toBe(285)
    expect(decoded.format).toEqual(GREY8)
    expect(Buffer.from(decoded.data).equals(Buffer.from(map.data))).toBe(true)
  })

  it('decodes random labels written with adaptive filters', async () => {
    const map = randomMap(301, 157, 11)
    const decoded = decodeMaskPng(await greyPng(map))
    expect(Buffer.from(decoded.data).equals(Buffer.from(map.data))).toBe(true)
  })

  it('decodes Adam7-interlaced PNGs exactly, including sizes smaller than a pass', async () => {
    for (const [w, h, seed] of [
      [1, 1, 1],
      [3, 2, 2],
      [7, 9, 3],
      [37, 23, 4],
      [301, 157, 5],
    ]) {
      const map = randomMap(w, h, seed)
      const bytes = await greyPng(map, true)
      expect(readPngHeader(bytes).interlaced).toBe(true)
      const decoded = decodeMaskPng(bytes)
      expect(decoded.format.interlaced).toBe(true)
      expect(Buffer.from(decoded.data).equals(Buffer.from(map.data))).toBe(true)
    }
    const blob = blobMap(640, 427)
    const decoded = decodeMaskPng(await greyPng(blob, true))
    expect(Buffer.from(decoded.data).equals(Buffer.from(blob.data))).toBe(true)
  })

  it('reads palette indices of sharp palette PNGs (1 to 8 bits, interlaced or not), never colours', async () => {
    const map = blobMap(203, 117)
    for (const bitDepth of [1, 2, 4, 8]) {
      for (const progressive of [false, true]) {
        const bytes = await sharp(map.data, { raw: { width: map.width, height: map.height, channels: 1 } })
          .png({ palette: true, colours: 2 ** bitDepth, progressive, dither: 0 })
          .toBuffer()
        const header = readPngHeader(bytes)
        expect(header).toMatchObject({ colorType: 3, bitDepth, interlaced: progressive })
        const decoded = decodeMaskPng(bytes)
        expect(decoded.format.colorType).toBe(3)
        const palette = decoded.format.palette as Uint8Array
        const rendered = await sharpRaw(bytes)
        expect(rendered.channels).toBeGreaterThanOrEqual(3)
        let mismatches = 0
        for (let i = 0; i < decoded.data.length; i++) {
          const k = decoded.data[i] * 3
          const o = i * rendered.channels
          if (
            rendered.data[o] !== palette[k] ||
            rendered.data[o + 1] !== palette[k + 1] ||
            rendered.data[o + 2] !== palette[k + 2]
          ) {
            mismatches++
          }
        }
        expect(mismatches).toBe(0)
      }
    }
  })
})

// ---------------------------------------------------------------- every filter, every bit depth

describe('decodeMaskPng on hand-built PNGs', () => {
  it('undoes all five filter types, at any row width', () => {
    for (const width of [1, 2, 3, 4, 5, 7, 8, 9, 97]) {
      const map = randomMap(width, 41, 21 + width, [0, 1, 2, 3, 100, 127, 128, 200, 254, 255])
      for (const filterOf of [
        (y: number) => y % 5,
        (y: number) => 4 - (y % 5),
        () => 1,
        () => 2,
        () => 3,
        () => 4,
      ]) {
        const decoded = decodeMaskPng(handPng(map, 8, 0, filterOf))
        expect(Buffer.from(decoded.data).equals(Buffer.from(map.data))).toBe(true)
      }
    }
  })

  it('returns stored sub-byte grey values and palette indices unscaled', () => {
    for (const bitDepth of [1, 2, 4]) {
      const max = 2 ** bitDepth - 1
      const values = Array.from({ length: max + 1 }, (_, i) => i)
      for (const [w, h] of [
        [1, 1],
        [3, 7],
        [9, 5],
        [33, 17],
      ]) {
        const map = randomMap(w, h, w * 31 + bitDepth, values)
        for (const colorType of [0, 3]) {
          const decoded = decodeMaskPng(handPng(map, bitDepth, colorType, (y) => y % 5))
          expect(decoded.format.bitDepth).toBe(bitDepth)
          expect(decoded.format.colorType).toBe(colorType)
          expect(Buffer.from(decoded.data).equals(Buffer.from(map.data))).toBe(true)
        }
      }
    }
  })

  it('joins split IDAT chunks and skips ancillary chunks', () => {
    const map = randomMap(50, 40, 8)
    const z = deflateSync(scanlines(map, 8, (y) => y % 5))
    const bytes = png(
      ihdr(50, 40, 8, 0),
      chunk('tEXt', Buffer.from('Comment\0hand made', 'latin1')),
      chunk('IDAT', z.subarray(0, 10)),
      chunk('IDAT', z.subarray(10, 11)),
      chunk('IDAT', z.subarray(11)),
      chunk('tIME', new Uint8Array(7)),
    )
    expect(Buffer.from(decodeMaskPng(bytes).data).equals(Buffer.from(map.data))).toBe(true)
  })

  it('keeps PLTE and tRNS bytes', () => {
    const map = randomMap(10, 10, 3, [0, 1, 255])
    const palette = vocPalette()
    const trns = Uint8Array.of(0, 128, 255)
    const bytes = png(
      ihdr(10, 10, 8, 3),
      chunk('PLTE', palette),
      chunk('tRNS', trns),
      chunk('IDAT', deflateSync(scanlines(map, 8, () => 0))),
    )
    const { format } = decodeMaskPng(bytes)
    expect(format).toEqual({ colorType: 3, bitDepth: 8, interlaced: false, palette, transparency: trns })
  })
})

// ---------------------------------------------------------------- encoding

describe('encodeMaskPng', () => {
  it('round-trips random label maps of odd sizes, and sharp reads the same values', async () => {
    const sizes = [
      [1, 1],
      [3, 7],
      [7, 3],
      [257, 13],
      [13, 257],
      [1, 300],
      [300, 1],
      [64, 64],
      [1001, 3],
    ]
    for (const [w, h] of sizes) {
      const map = randomMap(w, h, w * 1000 + h)
      const bytes = encodeMaskPng(map, GREY8)
      expect(readPngHeader(bytes)).toEqual({
        width: w,
        height: h,
        bitDepth: 8,
        colorType: 0,
        interlaced: false,
      })
      const decoded = decodeMaskPng(bytes)
      expect(decoded.format).toEqual(GREY8)
      expect(Buffer.from(decoded.data).equals(Buffer.from(map.data))).toBe(true)
      const viaSharp = await sharpRaw(bytes)
      expect([1, 3]).toContain(viaSharp.channels) // sharp 0.35 may hand grey back as sRGB
      expect(Buffer.from(channel0(viaSharp.data, viaSharp.channels)).equals(Buffer.from(map.data))).toBe(true)
    }
  })

  it('round-trips a full-size mask exactly', () => {
    const map = blobMap(4300, 2850)
    const bytes = encodeMaskPng(map, GREY8)
    expect(bytes.length).toBeLessThan(200_000)
    expect(Buffer.from(decodeMaskPng(bytes).data).equals(Buffer.from(map.data))).toBe(true)
  })

  it('gives the same bytes and the same map on the thread pool (encodeMaskPngAsync, decodeMaskPngAsync)', async () => {
    const cases: [LabelMap, MaskPngFormat][] = [
      [blobMap(4300, 2850), GREY8],
      [randomMap(33, 17, 4), GREY8],
      [randomMap(9, 5, 6), { colorType: 3, bitDepth: 8, interlaced: false, palette: vocPalette() }],
      [
        { width: 3, height: 2, data: Uint8Array.of(0, 1, 1, 0, 1, 0) },
        { colorType: 0, bitDepth: 1, interlaced: false },
      ],
    ]
    for (const [map, format] of cases) {
      const sync = encodeMaskPng(map, format)
      const pooled = await encodeMaskPngAsync(map, format)
      expect(pooled.equals(sync)).toBe(true)
      const decoded = await decodeMaskPngAsync(pooled)
      expect(Buffer.from(decoded.data).equals(Buffer.from(map.data))).toBe(true)
      expect(decoded.format).toEqual(decodeMaskPng(sync).format)
    }
    const bad = { width: 2, height: 1, data: Uint8Array.of(0, 7) }
    await expect(encodeMaskPngAsync(bad, GREY8)).rejects.toMatchObject({ code: 'mask-values' })
    const png = encodeMaskPng(blobMap(64, 48), GREY8)
    const cut = png.subarray(0, png.length - 30)
    const syncCode = (() => {
      try {
        decodeMaskPng(cut)
      } catch (err) {
        return (err as CodedError).code
      }
    })()
    await expect(decodeMaskPngAsync(cut)).rejects.toMatchObject({ code: syncCode })
  })

  it('maskPngEquals: true exactly when the PNG decodes to the map, for every kind of PNG', async () => {
    const png8 = await sharp(Buffer.from(randomMap(37, 11, 12).data), {
      raw: { width: 37, height: 11, channels: 1 },
    })
      .toColourspace('b-w')
      .png({ adaptiveFiltering: true })
      .toBuffer()
    const interlaced = await sharp(Buffer.from(randomMap(29, 13, 14).data), {
      raw: { width: 29, height: 13, channels: 1 },
    })
      .toColourspace('b-w')
      .png({ progressive: true })
      .toBuffer()
    const pngs = [
      encodeMaskPng(blobMap(430, 285), GREY8),
      encodeMaskPng(randomMap(9, 5, 6), {
        colorType: 3,
        bitDepth: 8,
        interlaced: false,
        palette: vocPalette(),
      }),
      encodeMaskPng(
        { width: 3, height: 2, data: Uint8Array.of(0, 1, 1, 0, 1, 0) },
        { colorType: 0, bitDepth: 1, interlaced: false },
      ),
      png8, // adaptive filters: rows unfiltered in place before the comparison
      interlaced,
    ]
    for (const png of pngs) {
      const decoded = decodeMaskPng(png)
      const map = { width: decoded.width, height: decoded.height, data: decoded.data.slice() }
      expect(maskPngEquals(png, map)).toBe(true)
      // An unaligned view of the same labels.
      const backing = new Uint8Array(map.data.length + 1)
      backing.set(map.data, 1)
      expect(maskPngEquals(png, { ...map, data: backing.subarray(1) })).toBe(true)
      for (const at of [0, map.data.length >> 1, map.data.length - 1]) {
        const other = map.data.slice()
        other[at] = other[at] === 1 ? 0 : 1
        expect(maskPngEquals(png, { ...map, data: other })).toBe(false)
      }
      expect(maskPngEquals(png, { width: map.height, height: map.width, data: map.data })).toBe(
        map.width === map.height,
      )
    }
    const cut = pngs[0].subarray(0, pngs[0].length - 30)
    const code = await decodeMaskPngAsync(cut).catch((err: CodedError) => err.code)
    expect(() => maskPngEquals(cut, blobMap(430, 285))).toThrow(expect.objectContaining({ code }))
  })

  it('encodeGrey8Rows gives the bytes of encodeMaskPng; maskPngEqualsRows checks them against the rows', async () => {
    const withTrns: MaskPngFormat = { ...GREY8, transparency: Uint8Array.of(0, 0) }
    for (const [map, format] of [
      [blobMap(430, 285), GREY8],
      [randomMap(37, 11, 31), withTrns],
      [randomMap(1, 1, 32), GREY8],
    ] as const) {
      const rows = grey8Rows(map, new Uint8Array(map.height * (map.width + 1) + 5))
      expect(rows.length).toBe(map.height * (map.width + 1))
      const png = encodeGrey8Rows(rows, map.width, map.height, format)
      expect(png).toEqual(encodeMaskPng(map, format))
      expect(maskPngEqualsRows(png, rows, map.width, map.height)).toBe(true)
      for (const at of [1, rows.length >> 1, rows.length - 1]) {
        const other = rows.slice()
        other[at] ^= 1
        expect(maskPngEqualsRows(png, other, map.width, map.height)).toBe(false)
      }
      // A filter byte other than 0 in the expected rows, a wrong size.
      const filtered = rows.slice()
      filtered[0] = 2
      expect(maskPngEqualsRows(png, filtered, map.width, map.height)).toBe(false)
      expect(maskPngEqualsRows(png, rows, map.height, map.width)).toBe(map.width === map.height)
    }
    // Stricter than maskPngEquals: the same labels with Up-filtered rows, or in a palette PNG,
    // answer false.
    const map = randomMap(37, 11, 33)
    const rows = grey8Rows(map, new Uint8Array(11 * 38))
    const up = handPng(map, 8, 0, (y) => (y % 2 === 0 ? 0 : 2))
    expect(maskPngEquals(up, map)).toBe(true)
    expect(maskPngEqualsRows(up, rows, 37, 11)).toBe(false)
    expect(maskPngEqualsRows(handPng(map, 8, 0), rows, 37, 11)).toBe(true)
    const palette = handPng({ ...map, data: map.data.map((v) => (v === 255 ? 1 : v)) }, 8, 3)
    const paletteRows = grey8Rows(
      { ...map, data: map.data.map((v) => (v === 255 ? 1 : v)) },
      new Uint8Array(11 * 38),
    )
    expect(maskPngEqualsRows(palette, paletteRows, 37, 11)).toBe(false)
    expect(() => encodeGrey8Rows(rows, 37, 11, { colorType: 3, bitDepth: 8, interlaced: false })).toThrow(
      RangeError,
    )
    expect(() => encodeGrey8Rows(rows, 36, 11, GREY8)).toThrow(expect.objectContaining({ code: 'mask-size' }))
    const cut = encodeGrey8Rows(rows, 37, 11, GREY8).subarray(0, 50)
    const code = await decodeMaskPngAsync(cut).catch((err: CodedError) => err.code)
    expect(() => maskPngEqualsRows(cut, rows, 37, 11)).toThrow(expect.objectContaining({ code }))
  })

  it('encodes correctly one after another and at once, whatever size came before (the reused filter buffer)', async () => {
    const maps = [blobMap(640, 480), randomMap(33, 17, 21), blobMap(700, 500), randomMap(640, 480, 22)]
    const decodes = (png: Buffer, map: LabelMap) =>
      Buffer.from(decodeMaskPng(png).data).equals(Buffer.from(map.data))
    for (const map of maps) {
      expect(decodes(encodeMaskPng(map, GREY8), map)).toBe(true)
      expect(decodes(await encodeMaskPngAsync(map, GREY8), map)).toBe(true)
    }
    const pngs = await Promise.all(maps.map((map) => encodeMaskPngAsync(map, GREY8)))
    pngs.forEach((png, k) => expect(decodes(png, maps[k])).toBe(true))
    // An encode started while another's deflate is running, synchronously in between.
    const pending = encodeMaskPngAsync(maps[0], GREY8)
    expect(decodes(encodeMaskPng(maps[3], GREY8), maps[3])).toBe(true)
    expect(decodes(await pending, maps[0])).toBe(true)
  })

  it('accepts a subarray view at an unaligned offset', () => {
    const map = randomMap(17, 5, 9)
    const backing = new Uint8Array(map.data.length + 3)
    backing.set(map.data, 3)
    const view = { width: 17, height: 5, data: backing.subarray(3) }
    expect(Buffer.from(decodeMaskPng(encodeMaskPng(view, GREY8)).data).equals(Buffer.from(map.data))).toBe(
      true,
    )
  })

  it('writes palette masks: indices come back and sharp renders palette[index]', async () => {
    const palette = vocPalette()
    const transparency = Uint8Array.of(255, 255)
    const map = randomMap(123, 45, 77)
    const format: MaskPngFormat = { colorType: 3, bitDepth: 8, interlaced: false, palette, transparency }
    const bytes = encodeMaskPng(map, format)
    const decoded = decodeMaskPng(bytes)
    expect(decoded.format).toEqual(format)
    expect(Buffer.from(decoded.data).equals(Buffer.from(map.data))).toBe(true)
    const rendered = await sharpRaw(bytes)
    expect(rendered.channels).toBeGreaterThanOrEqual(3)
    for (let i = 0; i < map.data.length; i++) {
      const k = map.data[i] * 3
      const o = i * rendered.channels
      expect([rendered.data[o], rendered.data[o + 1], rendered.data[o + 2]]).toEqual([
        palette[k],
        palette[k + 1],
        palette[k + 2],
      ])
    }
  })

  it('keeps 1, 2 and 4-bit depths when the values fit (grey and palette)', async () => {
    for (const bitDepth of [1, 2, 4] as const) {
      const map = randomMap(37, 11, bitDepth, [0, 1])
      const grey = encodeMaskPng(map, { colorType: 0, bitDepth, interlaced: false })
      expect(readPngHeader(grey).bitDepth).toBe(bitDepth)
      const decoded = decodeMaskPng(grey)
      expect(decoded.format).toEqual({ colorType: 0, bitDepth, interlaced: false })
      expect(Buffer.from(decoded.data).equals(Buffer.from(map.data))).toBe(true)
      // sharp scales low-depth grey to 8 bits: stored 1 renders as 255 / (2^depth - 1).
      const viaSharp = await sharpRaw(grey)
      const scale = 255 / (2 ** bitDepth - 1)
      const v = channel0(viaSharp.data, viaSharp.channels)
      for (let i = 0; i < v.length; i++) expect(v[i]).toBe(map.data[i] * scale)

      const palette = Uint8Array.of(0, 0, 0, 128, 0, 0)
      const transparency = Uint8Array.of(0)
      const format: MaskPngFormat = { colorType: 3, bitDepth, interlaced: false, palette, transparency }
      const pal = encodeMaskPng(map, format)
      const decodedPal = decodeMaskPng(pal)
      expect(decodedPal.format).toEqual(format)
      expect(Buffer.from(decodedPal.data).equals(Buffer.from(map.data))).toBe(true)
    }
  })

  it('promotes to 8 bits when 255 appears in a low-depth mask', () => {
    const map = randomMap(29, 13, 5, [0, 1, 255])
    for (const bitDepth of [1, 2, 4] as const) {
      const grey = decodeMaskPng(encodeMaskPng(map, { colorType: 0, bitDepth, interlaced: false }))
      expect(grey.format).toEqual(GREY8)
      expect(Buffer.from(grey.data).equals(Buffer.from(map.data))).toBe(true)
    }
    // A 2-entry palette is kept verbatim and extended with VOC colours up to index 255.
    const palette = Uint8Array.of(0, 0, 0, 128, 0, 0)
    const pal = decodeMaskPng(encodeMaskPng(map, { colorType: 3, bitDepth: 1, interlaced: false, palette }))
    expect(pal.format.bitDepth).toBe(8)
    expect(pal.format.colorType).toBe(3)
    const written = pal.format.palette as Uint8Array
    expect(written.length).toBe(768)
    expect(Array.from(written.subarray(0, 6))).toEqual(Array.from(palette))
    expect(Array.from(written.subarray(765))).toEqual([224, 224, 192])
    expect(Buffer.from(pal.data).equals(Buffer.from(map.data))).toBe(true)
  })

  it('writes a non-interlaced file even when the source was interlaced', () => {
    const map = randomMap(20, 20, 4)
    const bytes = encodeMaskPng(map, { ...GREY8, interlaced: true })
    expect(readPngHeader(bytes).interlaced).toBe(false)
    expect(Buffer.from(decodeMaskPng(bytes).data).equals(Buffer.from(map.data))).toBe(true)
  })

  it('refuses values outside {0, 1, 255} with mask-values', () => {
    const map = randomMap(10, 10, 1)
    map.data[23] = 7
    const err = expectCode(() => encodeMaskPng(map, GREY8), 'mask-values')
    expect(err.message).toContain('7')
    expect(err.message).toContain('(3, 2)')
    // also in the unaligned head and tail of the word scan
    for (const at of [0, 99]) {
      const m = randomMap(10, 10, 2)
      m.data[at] = 2
      expectCode(() => encodeMaskPng(m, GREY8), 'mask-values')
    }
  })

  it('refuses a data length that does not match the size', () => {
    expectCode(() => encodeMaskPng({ width: 3, height: 3, data: new Uint8Array(8) }, GREY8), 'mask-size')
  })
})

// ---------------------------------------------------------------- errors

describe('decode errors', () => {
  const file = 'masks/ISIC_0000000_mask.png'

  it('refuses RGB and RGBA PNGs with mask-colour', async () => {
    const map = randomMap(16, 16, 1)
    const rgb = await sharp(map.data, { raw: { width: 16, height: 16, channels: 1 } })
      .png()
      .toBuffer()
    expect(readPngHeader(rgb).colorType).toBe(2) // sharp writes 1-channel raw as RGB unless b-w
    expect(expectCode(() => decodeMaskPng(rgb, file), 'mask-colour', file).message).toContain('RGB')
    const rgba = await sharp(new Uint8Array(16 * 16 * 4).fill(9), {
      raw: { width: 16, height: 16, channels: 4 },
    })
      .png()
      .toBuffer()
    expect(readPngHeader(rgba).colorType).toBe(6)
    expect(expectCode(() => decodeMaskPng(rgba, file), 'mask-colour', file).message).toContain('6')
  })

  it('refuses 16-bit greyscale with mask-16bit', async () => {
    const sixteen = await sharp(new Uint16Array(8 * 8).fill(257), {
      raw: { width: 8, height: 8, channels: 1 },
    })
      .toColourspace('grey16')
      .png()
      .toBuffer()
    expect(readPngHeader(sixteen)).toMatchObject({ colorType: 0, bitDepth: 16 })
    expectCode(() => decodeMaskPng(sixteen, file), 'mask-16bit', file)
    const hand = png(ihdr(2, 2, 16, 0), chunk('IDAT', deflateSync(new Uint8Array(2 * 5))))
    expectCode(() => decodeMaskPng(hand), 'mask-16bit')
  })

  it('reports a flipped byte in IDAT as png-corrupt (CRC)', () => {
    const bytes = Buffer.from(encodeMaskPng(randomMap(40, 40, 3), GREY8))
    bytes[chunkOffset(bytes, 'IDAT') + 8 + 5] ^= 0x10
    expect(expectCode(() => decodeMaskPng(bytes, file), 'png-corrupt', file).message).toContain('CRC')
  })

  it('reports a file cut in the middle, or without IEND, as png-truncated', () => {
    const bytes = encodeMaskPng(randomMap(80, 80, 3), GREY8)
    expectCode(() => decodeMaskPng(bytes.subarray(0, bytes.length >> 1), file), 'png-truncated', file)
    expectCode(() => decodeMaskPng(bytes.subarray(0, bytes.length - 12), file), 'png-truncated', file)
    expectCode(() => decodeMaskPng(bytes.subarray(0, 20), file), 'png-truncated', file)
    expectCode(() => readPngHeader(bytes.subarray(0, 30), file), 'png-truncated', file)
    expectCode(() => decodeMaskPng(new Uint8Array(0), file), 'png-truncated', file)
  })

  it('reports too little image data as png-truncated and too much as png-corrupt', () => {
    const map = randomMap(10, 10, 1)
    const rows = scanlines(map, 8, () => 0)
    const short = png(ihdr(10, 10, 8, 0), chunk('IDAT', deflateSync(rows.subarray(0, rows.length - 11))))
    expectCode(() => decodeMaskPng(short, file), 'png-truncated', file)
    const cutStream = deflateSync(rows)
    const cut = png(ihdr(10, 10, 8, 0), chunk('IDAT', cutStream.subarray(0, cutStream.length - 8)))
    expectCode(() => decodeMaskPng(cut, file), 'png-truncated', file)
    const long = png(ihdr(10, 10, 8, 0), chunk('IDAT', deflateSync(Buffer.concat([rows, Buffer.alloc(11)]))))
    expectCode(() => decodeMaskPng(long, file), 'png-corrupt', file)
  })

  it('reports non-PNG input, bad zlib data, bad filter bytes and bad IHDR as png-corrupt', async () => {
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer()
    expectCode(() => decodeMaskPng(jpeg, file), 'png-corrupt', file)
    expectCode(() => readPngHeader(Buffer.from('not a png at all, just text'), file), 'png-corrupt', file)
    const garbage = png(ihdr(4, 4, 8, 0), chunk('IDAT', Buffer.from('this is not zlib')))
    expectCode(() => decodeMaskPng(garbage, file), 'png-corrupt', file)
    const badFilter = Buffer.from(scanlines(randomMap(4, 4, 1), 8, () => 0))
    badFilter[5 * 2] = 5
    expectCode(
      () => decodeMaskPng(png(ihdr(4, 4, 8, 0), chunk('IDAT', deflateSync(badFilter))), file),
      'png-corrupt',
      file,
    )
    for (const header of [ihdr(0, 4, 8, 0), ihdr(4, 4, 3, 0), ihdr(4, 4, 8, 1), ihdr(4, 4, 8, 0, 2)]) {
      expectCode(() => readPngHeader(png(header), file), 'png-corrupt', file)
    }
    const noPlte = png(ihdr(4, 4, 8, 3), chunk('IDAT', deflateSync(new Uint8Array(20))))
    expectCode(() => decodeMaskPng(noPlte, file), 'png-corrupt', file)
    const critical = png(
      ihdr(4, 4, 8, 0),
      chunk('ABCD', new Uint8Array(1)),
      chunk('IDAT', deflateSync(new Uint8Array(20))),
    )
    expectCode(() => decodeMaskPng(critical, file), 'png-corrupt', file)
  })

  it('refuses a decompression bomb before inflating', () => {
    const bomb = png(ihdr(65536, 65536, 8, 0), chunk('IDAT', deflateSync(new Uint8Array(1000))))
    const err = expectCode(() => decodeMaskPng(bomb, file), 'png-corrupt', file)
    expect(err.message).toContain('limit')
  })
})
