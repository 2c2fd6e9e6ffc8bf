/**
 * Deterministic fixtures for dataset, scan and CLI tests: real mask PNGs (grey, palette, RGB,
 * 16-bit, broken), real JPEGs (sharp, optionally with EXIF orientation), hand-made image headers,
 * and zips written with the project's ZipWriter.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { crc32, deflateSync } from 'node:zlib'
import sharp from 'sharp'
import { expect } from 'vitest'
import { CodedError, type ErrorCode } from '../../shared/api/errors'
import type { LabelMap } from '../../shared/labels/codes'
import { encodeMaskPng, vocPalette } from '../../electron/services/mask/maskPng'
import { ZipWriter } from '../../electron/services/zip/zipWriter'

export function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

export function randomMap(
  width: number,
  height: number,
  seed: number,
  values: readonly number[] = [0, 1, 255],
) {
  const next = rng(seed)
  const data = new Uint8Array(width * height)
  for (let i = 0; i < data.length; i++) data[i] = values[Math.floor(next() * values.length)]
  return { width, height, data }
}

/** A weak map: a lesion disc (1) with a band of 255 along its boundary, and a stray 255 blob. */
export function wsmMap(width: number, height: number, seed = 1): LabelMap {
  const data = new Uint8Array(width * height)
  const next = rng(seed)
  const cx = width * (0.4 + 0.2 * next())
  const cy = height * (0.4 + 0.2 * next())
  const r0 = Math.min(width, height) * 0.3
  const band = Math.max(1.5, Math.min(width, height) * 0.03)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - cx, y - cy) - r0
      data[y * width + x] = Math.abs(d) < band ? 255 : d < 0 ? 1 : 0
    }
  }
  // A stray uncertain blob in a corner.
  for (let y = 1; y < Math.min(4, height); y++)
    for (let x = 1; x < Math.min(5, width); x++) data[y * width + x] = 255
  return { width, height, data }
}

/** A challenge-convention mask: a solid 255 disc on 0 (no 1s). */
export function challengeMap(width: number, height: number): LabelMap {
  const data = new Uint8Array(width * height)
  const r = Math.min(width, height) * 0.3
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (Math.hypot(x - width / 2, y - height / 2) < r) data[y * width + x] = 255
  return { width, height, data }
}

/** A 200×150 truth: one ellipse of lesion. */
export function ellipseTruth(): LabelMap {
  const W = 200
  const H = 150
  const data = new Uint8Array(W * H)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) data[y * W + x] = ((x - 95) / 55) ** 2 + ((y - 70) / 40) ** 2 <= 1 ? 1 : 0
  }
  return { width: W, height: H, data }
}

export function greyPng(map: LabelMap): Buffer {
  return encodeMaskPng(map, { colorType: 0, bitDepth: 8, interlaced: false })
}

export function palettePng(map: LabelMap): Buffer {
  return encodeMaskPng(map, { colorType: 3, bitDepth: 8, interlaced: false, palette: vocPalette() })
}

/** An RGB PNG (colour type 2): sharp writes a 1-channel raw input as RGB. */
export async function rgbPng(width: number, height: number): Promise<Buffer> {
  return sharp(new Uint8Array(width * height * 3).fill(255), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer()
}

export async function grey16Png(width: number, height: number): Promise<Buffer> {
  return sharp(new Uint16Array(width * height).fill(257), { raw: { width, height, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toBuffer()
}

/** A mask whose values include 7 (not a label). */
export function badValuesPng(width: number, height: number): Buffer {
  const map = wsmMap(width, height)
  // encodeMaskPng refuses non-labels, so build it by hand.
  return handGreyPng(width, height, (x, y) => (x === 2 && y === 1 ? 7 : map.data[y * width + x]))
}

/** A hand-built 8-bit greyscale PNG (no checks on values). */
export function handGreyPng(width: number, height: number, value: (x: number, y: number) => number): Buffer {
  const raw = Buffer.alloc(height * (width + 1))
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = value(x, y)
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8
  ihdr[9] = 0
  return pngOf([
    ['IHDR', ihdr],
    ['IDAT', deflateSync(raw)],
    ['IEND', Buffer.alloc(0)],
  ])
}

export function pngOf(chunks: [string, Buffer][]): Buffer {
  const parts: Buffer[] = [Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])]
  for (const [type, body] of chunks) {
    const c = Buffer.alloc(12 + body.length)
    c.writeUInt32BE(body.length, 0)
    c.write(type, 4, 'latin1')
    body.copy(c, 8)
    c.writeUInt32BE(crc32(c.subarray(4, 8 + body.length)) >>> 0, 8 + body.length)
    parts.push(c)
  }
  return Buffer.concat(parts)
}

/** A real JPEG of the given stored size; with `orientation`, an EXIF Orientation tag (never applied). */
export async function jpeg(width: number, height: number, orientation?: number): Promise<Buffer> {
  let s = sharp({ create: { width, height, channels: 3, background: { r: 200, g: 150, b: 120 } } }).jpeg({
    quality: 80,
  })
  if (orientation !== undefined) s = s.withMetadata({ orientation })
  return s.toBuffer()
}

/** A real RGB PNG image of the given size. */
export async function pngImage(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 90, g: 60, b: 40 } } })
    .png()
    .toBuffer()
}

/**
 * A tiny JPEG header claiming `width`×`height` (SOI, APP0, SOF0, then nothing): what a decompression
 * bomb looks like to a header reader.
 */
export function jpegHeaderClaiming(width: number, height: number, sof = 0xc0): Buffer {
  const app0 = [0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
  const sofSeg = [0xff, sof, 0, 17, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3]
  for (let c = 1; c <= 3; c++) sofSeg.push(c, 0x11, 0)
  return Buffer.from([0xff, 0xd8, ...app0, ...sofSeg, 0xff, 0xd9])
}

/** Writes a zip with ZipWriter: entries [name, bytes, compress?]. */
export async function writeZip(
  file: string,
  entries: [string, Uint8Array, boolean?][],
  opts: { forceZip64?: boolean } = {},
): Promise<string> {
  await fsp.mkdir(path.dirname(file), { recursive: true })
  const zip = await ZipWriter.create(file, opts)
  for (const [name, bytes, compress] of entries)
    await zip.addBuffer(name, bytes, { compress: compress ?? true })
  await zip.close()
  return file
}

/** Writes files under `dir`: [relative path, bytes]. */
export async function writeTree(dir: string, files: [string, Uint8Array][]): Promise<string> {
  for (const [rel, bytes] of files) {
    const abs = path.join(dir, rel)
    await fsp.mkdir(path.dirname(abs), { recursive: true })
    await fsp.writeFile(abs, bytes)
  }
  return dir
}

/** Sets a path's atime/mtime to `secondsAgo` in the past (so a folder listing is not racy). */
export async function backdate(p: string, secondsAgo = 3600): Promise<void> {
  const t = new Date(Date.now() - secondsAgo * 1000)
  await fsp.utimes(p, t, t)
}

/** Backdates a folder and every folder below it. */
export async function backdateTree(dir: string, secondsAgo = 3600): Promise<void> {
  const entries = await fsp.readdir(dir, { recursive: true, withFileTypes: true })
  for (const e of entries) {
    if (!e.isDirectory()) continue
    const parent = (e as { parentPath?: string }).parentPath ?? (e as unknown as { path: string }).path
    await backdate(path.join(parent, e.name), secondsAgo)
  }
  await backdate(dir, secondsAgo)
}

export async function caught(p: Promise<unknown> | (() => unknown)): Promise<CodedError> {
  let err: unknown
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(CodedError)
  return err as CodedError
}

/** The code of the CodedError `p` rejects with (a test failure when it resolves or throws anything else). */
export async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  return (await caught(p)).code
}

export async function expectCode(
  p: Promise<unknown> | (() => unknown),
  code: ErrorCode,
): Promise<CodedError> {
  const err = await caught(p)
  expect(err.code, err.message).toBe(code)
  return err
}

/** A grey 8-bit PNG whose header declares width×height, with only the start of its zero rows. */
export function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([len, body, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth; colour type 0, compression 0, filter 0, interlace 0
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(64 * 1024))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}
