import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { decodeImage, resolvePairFromBytes } from '../../../../../electron/services/assist/resolvePair'
import { proposeResolution } from '../../../../../shared/labels/assist/resolve'
import { CodedError } from '../../../../../shared/api/errors'
import { synthesizePair } from '../../../../../electron/services/demo/synthesize'

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  )
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    return err instanceof CodedError ? err.code : `not coded: ${String(err)}`
  }
  return 'no error'
}

describe('decodeImage', () => {
  it('does not apply the EXIF orientation: pixels stay on the stored grid', async () => {
    const W = 48
    const H = 20
    const rgb = Buffer.alloc(W * H * 3)
    for (let i = 0; i < W * H; i++) {
      rgb[3 * i] = (i % W) * 5
      rgb[3 * i + 1] = Math.floor(i / W) * 12
      rgb[3 * i + 2] = 60
    }
    // Orientation 6 = "rotate 90° clockwise to display": an auto-orienting decoder returns 20×48.
    const png = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
      .png()
      .withMetadata({ orientation: 6 })
      .toBuffer()
    expect((await sharp(png).metadata()).orientation).toBe(6)
    const rotated = await sharp(png, { autoOrient: true }).raw().toBuffer({ resolveWithObject: true })
    expect([rotated.info.width, rotated.info.height]).toEqual([H, W])
    const img = await decodeImage(png)
    expect([img.width, img.height, img.channels]).toEqual([W, H, 3])
    expect(sameBytes(img.data, rgb)).toBe(true)
  })

  it('keeps RGBA as 4 channels and expands grey to RGB', async () => {
    const rgba = await sharp(Buffer.alloc(8 * 6 * 4, 200), { raw: { width: 8, height: 6, channels: 4 } })
      .png()
      .toBuffer()
    expect((await decodeImage(rgba)).channels).toBe(4)
    const grey = await sharp(Buffer.alloc(8 * 6, 90), { raw: { width: 8, height: 6, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer()
    expect((await sharp(grey).metadata()).channels).toBe(1)
    const g = await decodeImage(grey)
    expect(g.channels).toBe(3)
    expect(Array.from(g.data.subarray(0, 3))).toEqual([90, 90, 90])
  })

  it('reports undecodable bytes as image-corrupt', async () => {
    expect(await codeOf(decodeImage(Buffer.from('not an image')))).toBe('image-corrupt')
  })
})

describe('resolvePairFromBytes', () => {
  const p = synthesizePair({ id: 't', width: 240, height: 180, seed: 31 })

  it('decodes the image and runs proposeResolution on its pixels', async () => {
    const png = await sharp(p.image.rgb, { raw: { width: 240, height: 180, channels: 3 } })
      .png()
      .toBuffer()
    const { proposal, decodeMs } = await resolvePairFromBytes(png, p.mask)
    expect(decodeMs).toBeGreaterThanOrEqual(0)
    const direct = proposeResolution({ width: 240, height: 180, data: p.image.rgb, channels: 3 }, p.mask)
    expect(sameBytes(proposal.labels, direct.labels)).toBe(true)
  })

  it('rejects a size mismatch and a bad mask value with codes', async () => {
    const png = await sharp(p.image.rgb, { raw: { width: 240, height: 180, channels: 3 } })
      .resize(120, 90)
      .png()
      .toBuffer()
    expect(await codeOf(resolvePairFromBytes(png, p.mask))).toBe('mask-size')
    const bad = { ...p.mask, data: p.mask.data.slice() }
    bad.data[5] = 7
    expect(await codeOf(resolvePairFromBytes(png, bad))).toBe('mask-values')
  })
})
