import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { withStoredOrientation } from '../../../../shared/images/orientation'

async function jpeg(orientation?: number): Promise<Buffer> {
  const img = sharp(Buffer.alloc(40 * 30 * 3, 128), { raw: { width: 40, height: 30, channels: 3 } }).jpeg()
  return orientation ? img.withMetadata({ orientation }).toBuffer() : img.toBuffer()
}

describe('withStoredOrientation', () => {
  it.each([2, 3, 5, 6, 7, 8])(
    'rewrites EXIF orientation %i to 1 in a JPEG, changing nothing else',
    async (o) => {
      const src = await jpeg(o)
      expect((await sharp(src).metadata()).orientation).toBe(o)
      const out = withStoredOrientation(src)
      expect(out).not.toBe(src)
      expect(out.length).toBe(src.length)
      expect((await sharp(Buffer.from(out)).metadata()).orientation).toBe(1)
      let differing = 0
      for (let i = 0; i < src.length; i++) if (src[i] !== out[i]) differing++
      expect(differing).toBe(1)
      // The input is untouched.
      expect((await sharp(src).metadata()).orientation).toBe(o)
    },
  )

  it('returns a JPEG without EXIF, or with orientation 1, as it is', async () => {
    const plain = await jpeg()
    expect(withStoredOrientation(plain)).toBe(plain)
  })

  it('drops eXIf chunks from a PNG and keeps it decodable', async () => {
    const src = await sharp(Buffer.alloc(20 * 10 * 3, 90), { raw: { width: 20, height: 10, channels: 3 } })
      .png()
      .withMetadata({ orientation: 6 })
      .toBuffer()
    const hasExif = (b: Uint8Array) => Buffer.from(b).includes(Buffer.from('eXIf'))
    const out = withStoredOrientation(src)
    if (hasExif(src)) {
      expect(hasExif(out)).toBe(false)
      expect(out.length).toBeLessThan(src.length)
    } else {
      expect(out).toBe(src)
    }
    const meta = await sharp(Buffer.from(out)).metadata()
    expect([meta.width, meta.height]).toEqual([20, 10])
    expect(meta.orientation ?? 1).toBe(1)
  })

  it('leaves other and truncated bytes alone', async () => {
    const junk = new Uint8Array([1, 2, 3, 4, 5])
    expect(withStoredOrientation(junk)).toBe(junk)
    const src = await jpeg(6)
    const cut = src.subarray(0, 20)
    expect(() => withStoredOrientation(cut)).not.toThrow()
  })
})
