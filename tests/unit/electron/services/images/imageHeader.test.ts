import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_MAX_IMAGE_PIXELS,
  HeaderTruncatedError,
  readImageHeader,
  readImageHeaderByHeads,
} from '../../../../../electron/services/images/imageHeader'
import {
  caught,
  expectCode,
  jpeg,
  jpegHeaderClaiming,
  pngImage,
  pngOf,
} from '../../../../support/datasetFixtures'

describe('readImageHeader: JPEG', () => {
  it('reads the stored size of a baseline JPEG', async () => {
    expect(readImageHeader(await jpeg(123, 45))).toEqual({ format: 'jpeg', width: 123, height: 45 })
  })

  it('reads a progressive JPEG (SOF2)', async () => {
    const bytes = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#884422' } })
      .jpeg({ progressive: true })
      .toBuffer()
    expect(readImageHeader(bytes)).toEqual({ format: 'jpeg', width: 64, height: 32 })
  })

  it('reports EXIF orientation 6 and the stored (unrotated) size, skipping the EXIF APP1', async () => {
    const bytes = await jpeg(40, 30, 6)
    // sharp agrees the file carries orientation 6 and is stored 40×30 (displayed 30×40).
    const meta = await sharp(bytes).metadata()
    expect(meta).toMatchObject({ orientation: 6, width: 40, height: 30 })
    expect(bytes[2] === 0xff && bytes[3] === 0xe1).toBe(true) // APP1 first
    expect(readImageHeader(bytes)).toEqual({ format: 'jpeg', width: 40, height: 30, orientation: 6 })
  })

  it('reports every valid orientation, big-endian EXIF included', async () => {
    for (const o of [1, 3, 8]) expect(readImageHeader(await jpeg(20, 10, o)).orientation).toBe(o)
    // A hand-made Motorola-order EXIF with orientation 5.
    const tiff = Buffer.from([
      0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0,
    ])
    const exif = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff])
    const app1 = Buffer.concat([
      Buffer.from([0xff, 0xe1, (exif.length + 2) >> 8, (exif.length + 2) & 0xff]),
      exif,
    ])
    const base = jpegHeaderClaiming(300, 200)
    const withExif = Buffer.concat([base.subarray(0, 2), app1, base.subarray(2)])
    expect(readImageHeader(withExif)).toEqual({ format: 'jpeg', width: 300, height: 200, orientation: 5 })
  })

  it('refuses a header claiming more pixels than the limit (decompression bomb)', async () => {
    const bomb = jpegHeaderClaiming(60000, 60000)
    expect(bomb.length).toBeLessThan(64)
    const err = await expectCode(() => readImageHeader(bomb, 'bomb.jpg'), 'image-too-large')
    expect(err.message).toContain('bomb.jpg')
    expect(err.message).toContain('60000×60000')
    expect(err.file).toBe('bomb.jpg')
    // The limit is configurable, and the default is 100 Mpx.
    expect(DEFAULT_MAX_IMAGE_PIXELS).toBe(100_000_000)
    expect(readImageHeader(jpegHeaderClaiming(10000, 10000))).toMatchObject({ width: 10000, height: 10000 })
    await expectCode(() => readImageHeader(jpegHeaderClaiming(10001, 10000)), 'image-too-large')
    const small = await jpeg(50, 50)
    await expectCode(() => readImageHeader(small, 'x', { maxPixels: 2499 }), 'image-too-large')
    expect(readImageHeader(small, 'x', { maxPixels: 2500 }).width).toBe(50)
  })

  it('refuses JPEG kinds browsers do not decode with image-unsupported', async () => {
    for (const sof of [0xc3, 0xc9, 0xca])
      await expectCode(() => readImageHeader(jpegHeaderClaiming(8, 8, sof)), 'image-unsupported')
  })

  it('reports truncated or broken JPEG headers as image-corrupt', async () => {
    const bytes = await jpeg(40, 30, 6)
    const sofAt = bytes.indexOf(Buffer.from([0xff, 0xc0]))
    const cut = bytes.subarray(0, sofAt + 4)
    const err = await expectCode(() => readImageHeader(cut, 'cut.jpg'), 'image-corrupt')
    expect(err).toBeInstanceOf(HeaderTruncatedError)
    await expectCode(() => readImageHeader(bytes.subarray(0, 2)), 'image-corrupt')
    const garbage = Buffer.from(bytes)
    garbage[2] = 0x12 // not a marker after SOI
    const notTruncated = await caught(() => readImageHeader(garbage))
    expect(notTruncated.code).toBe('image-corrupt')
    expect(notTruncated).not.toBeInstanceOf(HeaderTruncatedError)
    await expectCode(() => readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2])), 'image-corrupt')
  })
})

describe('readImageHeader: PNG and others', () => {
  it('reads a PNG IHDR', async () => {
    expect(readImageHeader(await pngImage(77, 33))).toEqual({ format: 'png', width: 77, height: 33 })
  })

  it('reads the orientation from a PNG eXIf chunk', () => {
    const ihdr = Buffer.alloc(13)
    ihdr.writeUInt32BE(10, 0)
    ihdr.writeUInt32BE(20, 4)
    ihdr[8] = 8
    ihdr[9] = 2
    const tiff = Buffer.from([
      0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0,
    ])
    const png = pngOf([
      ['IHDR', ihdr],
      ['eXIf', tiff],
      ['IEND', Buffer.alloc(0)],
    ])
    expect(readImageHeader(png)).toEqual({ format: 'png', width: 10, height: 20, orientation: 8 })
  })

  it('refuses a PNG claiming huge dimensions with image-too-large', async () => {
    const ihdr = Buffer.alloc(13)
    ihdr.writeUInt32BE(100000, 0)
    ihdr.writeUInt32BE(100000, 4)
    ihdr[8] = 8
    ihdr[9] = 2
    const png = pngOf([['IHDR', ihdr]])
    await expectCode(() => readImageHeader(png), 'image-too-large')
  })

  it('names other formats image-unsupported and unknown bytes image-corrupt', async () => {
    const create = { create: { width: 8, height: 8, channels: 3 as const, background: '#123456' } }
    await expectCode(async () => readImageHeader(await sharp(create).webp().toBuffer()), 'image-unsupported')
    await expectCode(async () => readImageHeader(await sharp(create).gif().toBuffer()), 'image-unsupported')
    await expectCode(async () => readImageHeader(await sharp(create).tiff().toBuffer()), 'image-unsupported')
    await expectCode(() => readImageHeader(Buffer.from('hello, this is not an image')), 'image-corrupt')
    await expectCode(() => readImageHeader(Buffer.alloc(0)), 'image-corrupt')
    const png = await pngImage(5, 5)
    await expectCode(() => readImageHeader(png.subarray(0, 20)), 'image-corrupt')
  })
})

/** A JPEG with APP2 segments of `appBytes` in all inserted after its SOI (pushing its frame header in). */
function withAppSegments(bytes: Buffer, appBytes: number): Buffer {
  const parts: Buffer[] = [bytes.subarray(0, 2)]
  for (let left = appBytes; left > 0;) {
    const payload = Math.min(left, 65533)
    const seg = Buffer.alloc(4 + payload, 0x41)
    seg[0] = 0xff
    seg[1] = 0xe2
    seg.writeUInt16BE(payload + 2, 2)
    parts.push(seg)
    left -= payload
  }
  return Buffer.concat([...parts, bytes.subarray(2)])
}

describe('readImageHeaderByHeads: the heads the dataset and the scan read', () => {
  /** The heads asked for, and the header, of `bytes` read as a file would be. */
  async function heads(bytes: Buffer): Promise<{ asked: (number | undefined)[]; header: unknown }> {
    const asked: (number | undefined)[] = []
    const header = await readImageHeaderByHeads(async (head) => {
      asked.push(head)
      return head === undefined ? bytes : bytes.subarray(0, head)
    }, 'x.jpg')
    return { asked, header }
  }

  it('reads 16 KiB, then 256 KiB, then the whole file, only as far as the frame header needs', async () => {
    const plain = await jpeg(123, 45)
    expect(await heads(plain)).toEqual({ asked: [16384], header: { format: 'jpeg', width: 123, height: 45 } })
    const exif = withAppSegments(plain, 40_000)
    expect(await heads(exif)).toEqual({
      asked: [16384, 262144],
      header: { format: 'jpeg', width: 123, height: 45 },
    })
    const far = withAppSegments(plain, 300_000)
    expect(await heads(far)).toEqual({
      asked: [16384, 262144, undefined],
      header: { format: 'jpeg', width: 123, height: 45 },
    })
  })

  it('stops at the first head for a broken file and for one shorter than the head', async () => {
    const cut = (await jpeg(40, 30, 6)).subarray(0, 100)
    const asked: (number | undefined)[] = []
    const err = await caught(() =>
      readImageHeaderByHeads(async (head) => {
        asked.push(head)
        return cut
      }, 'cut.jpg'),
    )
    expect(err.code).toBe('image-corrupt')
    expect(asked).toEqual([16384])
    await expectCode(
      () => readImageHeaderByHeads(async () => Buffer.from('not an image at all, long enough'), 'x.bin'),
      'image-corrupt',
    )
  })

  it('applies the pixel limit', async () => {
    const bytes = await jpeg(100, 100)
    await expectCode(
      () => readImageHeaderByHeads(async () => bytes, 'x.jpg', { maxPixels: 9999 }),
      'image-too-large',
    )
  })
})
