import { createHash } from 'node:crypto'
import { existsSync, promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { inflateRawSync } from 'node:zlib'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEMO_PAIRS,
  encodeGreyMaskPng,
  generateDemoDataset,
  lowResFactor,
  synthesizePair,
} from '../../../../../electron/services/demo/demoDataset'
import type { DemoDatasetInfo, DemoPairSpec } from '../../../../../electron/services/demo/demoDataset'

interface ZipEntry {
  name: string
  method: number
  dosTime: number
  dosDate: number
  data: Buffer
}

/** Minimal zip reader: end-of-central-directory record, central directory, local headers. */
function readZip(buf: Buffer): ZipEntry[] {
  let eocd = -1
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('no end of central directory')
  const count = buf.readUInt16LE(eocd + 10)
  let p = buf.readUInt32LE(eocd + 16)
  const entries: ZipEntry[] = []
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central header at ${p}`)
    const method = buf.readUInt16LE(p + 10)
    const dosTime = buf.readUInt16LE(p + 12)
    const dosDate = buf.readUInt16LE(p + 14)
    const compressedSize = buf.readUInt32LE(p + 20)
    const size = buf.readUInt32LE(p + 24)
    const nameLen = buf.readUInt16LE(p + 28)
    const extraLen = buf.readUInt16LE(p + 30)
    const commentLen = buf.readUInt16LE(p + 32)
    const local = buf.readUInt32LE(p + 42)
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen)
    if (buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`bad local header for ${name}`)
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28)
    const raw = buf.subarray(start, start + compressedSize)
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw)
    if (data.length !== size) throw new Error(`size mismatch for ${name}`)
    entries.push({ name, method, dosTime, dosDate, data })
    p += 46 + nameLen + extraLen + commentLen
  }
  return entries
}

/** Decodes a PNG with sharp to one byte per pixel, checking any extra channels repeat channel 0. */
async function decodeGrey(png: Buffer): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
  const { width, height, channels } = info
  if (channels === 1) return { width, height, data: new Uint8Array(data) }
  const out = new Uint8Array(width * height)
  for (let i = 0; i < out.length; i++) {
    const v = data[i * channels]
    for (let c = 1; c < channels; c++) {
      if (data[i * channels + c] !== v) throw new Error(`channel ${c} differs from channel 0 at ${i}`)
    }
    out[i] = v
  }
  return { width, height, data: out }
}

function histogram(data: Uint8Array): Map<number, number> {
  const h = new Map<number, number>()
  for (let i = 0; i < data.length; i++) h.set(data[i], (h.get(data[i]) ?? 0) + 1)
  return h
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

async function hashDemo(info: DemoDatasetInfo): Promise<Record<string, string>> {
  const out: Record<string, string> = { zip: sha256(await fsp.readFile(info.masksZip)) }
  for (const id of info.ids) {
    out[`${id}.jpg`] = sha256(await fsp.readFile(path.join(info.imagesDir, `${id}.jpg`)))
    out[`${id}.png`] = sha256(await fsp.readFile(path.join(info.truthDir, `${id}.png`)))
  }
  return out
}

const SMALL: readonly DemoPairSpec[] = [
  { id: 'ISIC_0000100', width: 600, height: 450, seed: 7 },
  { id: 'ISIC_0000101', width: 767, height: 576, seed: 8 },
]

describe('DEMO_PAIRS', () => {
  it('has a dozen sequential ISIC ids with varied sizes between 600×450 and 3000×2000', () => {
    expect(DEMO_PAIRS.length).toBe(12)
    DEMO_PAIRS.forEach((p, i) => expect(p.id).toBe(`ISIC_${String(i).padStart(7, '0')}`))
    const sizes = new Set(DEMO_PAIRS.map((p) => `${p.width}x${p.height}`))
    expect(sizes.size).toBe(12)
    for (const p of DEMO_PAIRS) {
      expect(p.width).toBeGreaterThanOrEqual(600)
      expect(p.height).toBeGreaterThanOrEqual(450)
      expect(p.width).toBeLessThanOrEqual(3000)
      expect(p.height).toBeLessThanOrEqual(2000)
    }
    expect(DEMO_PAIRS.some((p) => p.width % 2 === 1 || p.height % 2 === 1)).toBe(true)
  })
})

describe('encodeGreyMaskPng', () => {
  it('writes an 8-bit greyscale PNG that decodes to the exact values', async () => {
    const width = 37
    const height = 23
    const data = new Uint8Array(width * height)
    for (let i = 0; i < data.length; i++) data[i] = [0, 1, 255][(i * 7 + (i >> 3)) % 3]
    const png = await encodeGreyMaskPng({ width, height, data })
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR')
    expect(png.readUInt32BE(16)).toBe(width)
    expect(png.readUInt32BE(20)).toBe(height)
    expect(png[24]).toBe(8)
    expect(png[25]).toBe(0)
    const back = await decodeGrey(png)
    expect([back.width, back.height]).toEqual([width, height])
    expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true)
  })

  it('rejects non-label values and a wrong data length', async () => {
    await expect(
      encodeGreyMaskPng({ width: 2, height: 2, data: Uint8Array.of(0, 1, 2, 255) }),
    ).rejects.toThrow(/not a label/)
    await expect(encodeGreyMaskPng({ width: 2, height: 2, data: new Uint8Array(3) })).rejects.toThrow(/bytes/)
  })
})

describe('synthesizePair', () => {
  it('is deterministic and depends on the seed', () => {
    const a = synthesizePair(SMALL[0])
    const b = synthesizePair(SMALL[0])
    const c = synthesizePair({ ...SMALL[0], seed: 8 })
    expect(Buffer.from(a.image.rgb).equals(Buffer.from(b.image.rgb))).toBe(true)
    expect(Buffer.from(a.mask.data).equals(Buffer.from(b.mask.data))).toBe(true)
    expect(Buffer.from(a.truth.data).equals(Buffer.from(b.truth.data))).toBe(true)
    expect(Buffer.from(a.image.rgb).equals(Buffer.from(c.image.rgb))).toBe(false)
    expect(Buffer.from(a.mask.data).equals(Buffer.from(c.mask.data))).toBe(false)
  })

  it('produces maps of the image size, truth in {0,1}', () => {
    const { image, mask, truth } = synthesizePair(SMALL[1])
    expect(image.rgb.length).toBe(767 * 576 * 3)
    expect([mask.width, mask.height, mask.data.length]).toEqual([767, 576, 767 * 576])
    expect([truth.width, truth.height, truth.data.length]).toEqual([767, 576, 767 * 576])
    expect([...histogram(truth.data).keys()].sort((x, y) => x - y)).toEqual([0, 1])
  })

  it('rejects bad sizes', () => {
    expect(() => synthesizePair({ id: 'ISIC_0000000', width: 0, height: 10, seed: 1 })).toThrow(RangeError)
    expect(() => synthesizePair({ id: 'ISIC_0000000', width: 100.5, height: 100, seed: 1 })).toThrow(
      RangeError,
    )
  })
})

describe('generateDemoDataset (full default set)', () => {
  let root = ''
  let info: DemoDatasetInfo
  let seconds = 0

  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-demo-test-'))
    const t0 = performance.now()
    info = await generateDemoDataset(path.join(root, 'a'))
    seconds = (performance.now() - t0) / 1000
  })

  afterAll(async () => {
    if (root) await fsp.rm(root, { recursive: true, force: true })
  })

  it('is quick', () => {
    expect(seconds).toBeLessThan(20)
  })

  it('writes the files under the expected names and leaves no temporaries', async () => {
    const dir = path.join(root, 'a')
    expect(info).toEqual({
      dir,
      imagesDir: path.join(dir, 'images'),
      masksZip: path.join(dir, 'ISIC_WSM_labels.zip'),
      truthDir: path.join(dir, 'truth'),
      ids: DEMO_PAIRS.map((p) => p.id),
    })
    const jpgs = DEMO_PAIRS.map((p) => `${p.id}.jpg`)
    const pngs = DEMO_PAIRS.map((p) => `${p.id}.png`)
    expect((await fsp.readdir(info.imagesDir)).sort()).toEqual(jpgs)
    expect((await fsp.readdir(info.truthDir)).sort()).toEqual(pngs)
    expect((await fsp.readdir(dir)).sort()).toEqual(['ISIC_WSM_labels.zip', 'images', 'truth'])
  })

  it('zips exactly one deflated mask per id, with a fixed timestamp', async () => {
    const entries = readZip(await fsp.readFile(info.masksZip))
    expect(entries.map((e) => e.name)).toEqual(DEMO_PAIRS.map((p) => `ISIC_WSM_labels/${p.id}.png`))
    for (const e of entries) {
      expect(e.method).toBe(8)
      // 2020-01-01 00:00:00 in DOS format, whatever the time zone.
      expect(e.dosDate).toBe(((2020 - 1980) << 9) | (1 << 5) | 1)
      expect(e.dosTime).toBe(0)
    }
  })

  it('stores masks that match the images and the truth', async () => {
    const entries = readZip(await fsp.readFile(info.masksZip))
    const fractions: string[] = []
    for (const [i, spec] of DEMO_PAIRS.entries()) {
      const png = entries[i].data
      expect(png[24], `${spec.id} bit depth`).toBe(8)
      expect(png[25], `${spec.id} colour type`).toBe(0)

      const jpg = await fsp.readFile(path.join(info.imagesDir, `${spec.id}.jpg`))
      const meta = await sharp(jpg).metadata()
      expect(meta.format).toBe('jpeg')
      expect([meta.width, meta.height]).toEqual([spec.width, spec.height])
      expect(meta.channels).toBe(3)
      expect(meta.orientation).toBeUndefined()
      expect(meta.exif).toBeUndefined()

      const mask = await decodeGrey(png)
      expect([mask.width, mask.height]).toEqual([meta.width, meta.height])
      const h = histogram(mask.data)
      expect([...h.keys()].sort((x, y) => x - y)).toEqual([0, 1, 255])
      const uncertain = (h.get(255) ?? 0) / mask.data.length
      expect(uncertain).toBeGreaterThan(0.01)
      expect(uncertain).toBeLessThan(0.3)
      fractions.push(`${spec.id} ${(uncertain * 100).toFixed(2)}%`)

      // The stored mask is exactly the synthesized one.
      expect(Buffer.from(mask.data).equals(Buffer.from(synthesizePair(spec).mask.data))).toBe(true)

      const truthPng = await fsp.readFile(path.join(info.truthDir, `${spec.id}.png`))
      expect(truthPng[24]).toBe(8)
      expect(truthPng[25]).toBe(0)
      const truth = await decodeGrey(truthPng)
      expect([truth.width, truth.height]).toEqual([spec.width, spec.height])
      expect([...histogram(truth.data).keys()].sort((x, y) => x - y)).toEqual([0, 1])

      // The true boundary runs inside the uncertain band.
      let ones = 0
      let onesCovered = 0
      let zeros = 0
      let zerosCovered = 0
      for (let p = 0; p < truth.data.length; p++) {
        const m = mask.data[p]
        if (truth.data[p] === 1) {
          ones++
          if (m !== 0) onesCovered++
        } else {
          zeros++
          if (m !== 1) zerosCovered++
        }
      }
      expect(onesCovered / ones, `${spec.id} lesion coverage`).toBeGreaterThanOrEqual(0.99)
      expect(zerosCovered / zeros, `${spec.id} background coverage`).toBeGreaterThanOrEqual(0.99)
    }
    console.info(`demo generated in ${seconds.toFixed(2)} s; uncertain: ${fractions.join(', ')}`)
  })

  it('makes the mask constant over the low-res blocks (stair-stepped edges)', async () => {
    for (const spec of [DEMO_PAIRS[2], DEMO_PAIRS[6]]) {
      const { mask } = synthesizePair(spec)
      const { width: W, height: H, data } = mask
      const f = lowResFactor(W, H)
      expect(f).toBeGreaterThanOrEqual(4)
      expect(f).toBeLessThanOrEqual(8)
      let mismatches = 0
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const anchor = data[(y - (y % f)) * W + (x - (x % f))]
          if (data[y * W + x] !== anchor) mismatches++
        }
      }
      expect(mismatches, spec.id).toBe(0)
      // …and the blocks are really that size: some label changes happen at every block edge phase.
      let rowChanges = 0
      for (let x = f; x < W; x += f) if (data[(H >> 1) * W + x] !== data[(H >> 1) * W + x - 1]) rowChanges++
      expect(rowChanges).toBeGreaterThan(0)
    }
    expect(lowResFactor(600, 450)).toBe(4)
    expect(lowResFactor(3000, 2000)).toBe(8)
  })

  it('is byte-identical when generated again', async () => {
    const again = await generateDemoDataset(path.join(root, 'b'))
    expect(await hashDemo(again)).toEqual(await hashDemo(info))
  })
})

describe('generateDemoDataset (subsets, overwrite)', () => {
  let root = ''

  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-demo-test-'))
  })

  afterAll(async () => {
    if (root) await fsp.rm(root, { recursive: true, force: true })
  })

  it('overwrites an existing demo and drops stale demo files, keeping other files', async () => {
    const dir = path.join(root, 'nested', 'demo')
    await generateDemoDataset(dir, { pairs: SMALL })
    await fsp.writeFile(path.join(dir, 'images', 'notes.txt'), 'keep me')
    const info = await generateDemoDataset(dir, { pairs: [SMALL[1]] })
    expect(info.ids).toEqual(['ISIC_0000101'])
    expect((await fsp.readdir(info.imagesDir)).sort()).toEqual(['ISIC_0000101.jpg', 'notes.txt'])
    expect(await fsp.readdir(info.truthDir)).toEqual(['ISIC_0000101.png'])
    const entries = readZip(await fsp.readFile(info.masksZip))
    expect(entries.map((e) => e.name)).toEqual(['ISIC_WSM_labels/ISIC_0000101.png'])
    expect(existsSync(`${info.masksZip}.tmp`)).toBe(false)
  })

  it('rejects bad or duplicate ids before writing anything', async () => {
    const dir = path.join(root, 'bad')
    await expect(generateDemoDataset(dir, { pairs: [{ ...SMALL[0], id: 'ISIC_12' }] })).rejects.toThrow(
      /bad demo id/,
    )
    await expect(generateDemoDataset(dir, { pairs: [SMALL[0], SMALL[0]] })).rejects.toThrow(/duplicate/)
    await expect(generateDemoDataset(dir, { pairs: [] })).rejects.toThrow(/no demo pairs/)
    await expect(generateDemoDataset(dir, { pairs: [{ ...SMALL[0], width: 10 }] })).rejects.toThrow(
      RangeError,
    )
    expect(existsSync(dir)).toBe(false)
  })
})
