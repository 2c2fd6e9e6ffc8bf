import { existsSync, promises as fsp } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { scoreMask } from '../../../../../shared/labels/triage/score'
import { decodeTriageImage, scoreFromBytes } from '../../../../../electron/services/triage/scoreFromBytes'
import { discMap, H, lesionImage, upscale, W } from '../../../shared/labels/triage/fixtures'

/** The fixture image at 4× (480×360) as JPEG bytes, with its right map at the same size. */
async function jpegPair(opts: { grey?: boolean } = {}): Promise<{ bytes: Uint8Array; map: LabelMap }> {
  const img = lesionImage()
  let s = sharp(Buffer.from(img.data), { raw: { width: W, height: H, channels: 3 } }).resize(W * 4, H * 4)
  if (opts.grey) s = s.toColourspace('b-w')
  const bytes = new Uint8Array(await s.jpeg({ quality: 92 }).toBuffer())
  return { bytes, map: upscale(discMap(), 4) }
}

describe('decodeTriageImage', () => {
  it('decodes on the grid of the mask, RGB even for a grey JPEG', async () => {
    const { bytes } = await jpegPair({ grey: true })
    // The file is one-channel; sharp may still hand back three channels, which the decoder handles.
    expect((await sharp(bytes).metadata()).channels).toBe(1)
    const img = await decodeTriageImage(bytes, W * 4, H * 4, 256)
    expect(img.width).toBe(256)
    expect(img.height).toBe(192)
    expect(img.data.length).toBe(256 * 192 * 3)
    // Grey: the three channels of a pixel are equal.
    const i = (96 * 256 + 128) * 3
    expect(img.data[i]).toBe(img.data[i + 1])
    expect(img.data[i]).toBe(img.data[i + 2])
  })
})

describe('scoreFromBytes', () => {
  it('scores a right pair low and a swapped one higher', async () => {
    const { bytes, map } = await jpegPair()
    const right = await scoreFromBytes(map, bytes)
    const swapped = { ...map, data: map.data.map((v) => (v === 0 ? 1 : v === 1 ? 0 : v)) }
    const wrong = await scoreFromBytes(swapped, bytes)
    expect(right.score).toBeLessThan(0.3)
    expect(wrong.score).toBeGreaterThan(right.score + 0.3)
    expect(wrong.reasons.map((r) => r.code)).toContain('labels-inverted')
  })

  it('scores a grey image too', async () => {
    const { bytes, map } = await jpegPair({ grey: true })
    const r = await scoreFromBytes(map, bytes)
    expect(r.score).toBeGreaterThanOrEqual(0)
    expect(r.reasons.map((x) => x.code)).not.toContain('image-unreadable')
  })

  it('gives the mask-only score with mask-size for an image of another size (never stretched onto the mask)', async () => {
    const { bytes } = await jpegPair()
    const small = upscale(discMap(), 2) // 240×180 against the 480×360 image
    const r = await scoreFromBytes(small, bytes)
    expect(r.reasons[0]).toEqual({ code: 'mask-size', score: 1 })
    expect(r.reasons.map((x) => x.code)).not.toContain('image-unreadable')
    const alone = scoreMask(small)
    expect(r.score).toBe(alone.score)
    expect(r.reasons.slice(1)).toEqual(alone.reasons)
  })

  it('gives the mask-only score with image-unreadable for bytes that are no image, or none', async () => {
    const { bytes, map } = await jpegPair()
    for (const bad of [new Uint8Array([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]), bytes.subarray(0, 200), null]) {
      const r = await scoreFromBytes(map, bad)
      expect(r.reasons[0]).toEqual({ code: 'image-unreadable', score: 1 })
      expect(r.score).toBeGreaterThanOrEqual(0)
      expect(r.score).toBeLessThanOrEqual(1)
    }
  })
})

const DEV = path.resolve(import.meta.dirname, '../../../../../../shared/isic-dev')
const hasDev = existsSync(path.join(DEV, 'images'))

describe('on real dev images', () => {
  it.skipIf(!hasDev)(
    `a right map (the ground truth, band added) scores below the same map swapped and shifted${hasDev ? '' : ' (skipped: ../shared/isic-dev is absent)'}`,
    async () => {
      const ids = (await fsp.readdir(path.join(DEV, 'images')))
        .filter((f) => f.endsWith('.jpg'))
        .sort()
        .slice(0, 3)
      for (const f of ids) {
        const id = f.slice(0, -4)
        const bytes = new Uint8Array(await fsp.readFile(path.join(DEV, 'images', f)))
        const truth = await sharp(path.join(DEV, 'masks', `${id}_segmentation.png`))
          .greyscale()
          .raw()
          .toBuffer({ resolveWithObject: true })
        const { width, height } = truth.info
        // The challenge mask (0/255) as a weak map: lesion 1, an uncertain band where a Gaussian blur (σ = 1 % of the size) mixes the two.
        const blurred = await sharp(truth.data, { raw: { width, height, channels: 1 } })
          .blur(Math.max(width, height) * 0.01)
          .extractChannel(0)
          .raw()
          .toBuffer()
        const data = new Uint8Array(width * height)
        for (let i = 0; i < data.length; i++) data[i] = blurred[i] > 200 ? 1 : blurred[i] < 55 ? 0 : 255
        const right = await scoreFromBytes({ width, height, data }, bytes)
        const swapped = await scoreFromBytes(
          { width, height, data: data.map((v) => (v === 0 ? 1 : v === 1 ? 0 : v)) },
          bytes,
        )
        const dx = Math.round(width * 0.12)
        const shifted = new Uint8Array(width * height)
        for (let y = 0; y < height; y++)
          shifted.set(data.subarray(y * width, (y + 1) * width - dx), y * width + dx)
        const moved = await scoreFromBytes({ width, height, data: shifted }, bytes)
        expect(right.score, id).toBeLessThan(swapped.score)
        expect(right.score, id).toBeLessThan(moved.score)
      }
    },
  )
})
