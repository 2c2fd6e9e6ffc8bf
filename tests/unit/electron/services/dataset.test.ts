import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Dataset } from '../../../../electron/services/dataset'
import { scanMasks } from '../../../../electron/services/scan/maskScan'
import {
  badValuesPng,
  challengeMap,
  expectCode,
  greyPng,
  grey16Png,
  jpeg,
  jpegHeaderClaiming,
  palettePng,
  pngClaiming,
  pngImage,
  rgbPng,
  writeTree,
  writeZip,
  wsmMap,
} from '../../../support/datasetFixtures'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dataset-test-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const id = (n: number) => `ISIC_${String(n).padStart(7, '0')}`

describe('pairing', () => {
  let masksZip: string
  let folder: string
  let imagesZip: string

  beforeAll(async () => {
    const m = greyPng(wsmMap(30, 20))
    const img = await jpeg(30, 20)
    const png = await pngImage(30, 20)
    masksZip = await writeZip(path.join(dir, 'pairing', 'masks.zip'), [
      [`ISIC_WSM_labels/deep/er/${id(1)}.png`, m],
      [`${id(2)}_segmentation.png`, m],
      [`${id(2)}.png`, m], // duplicate mask id: the first by path is used
      [`x/${id(3)}_Segmentation.png`, m],
      [`${id(4)}.png`, m], // no image
      [`${id(7)}.PNG`, m],
      ['readme.txt', Buffer.from('hello')],
      [`__MACOSX/ISIC_WSM_labels/._${id(1)}.png`, Buffer.from('junk')],
      [`${id(8)}_superpixels.png`, m], // not a mask name
      ['../evil/ISIC_0000009.png', m], // unsafe: never listed as a file
    ])
    folder = await writeTree(path.join(dir, 'pairing', 'images'), [
      [`${id(1)}.jpg`, img],
      [`sub/${id(2)}.JPG`, img],
      [`${id(3)}.jpeg`, img],
      [`${id(5)}.png`, png], // no mask
      [`${id(7)}.png`, png],
      [`${id(7)}.jpg`, img], // duplicate image id inside one source: first by path (.jpg < .png)
      ['notes.md', Buffer.from('x')],
    ])
    imagesZip = await writeZip(path.join(dir, 'pairing', 'more-images.zip'), [
      [`imgs/${id(1)}.jpg`, img], // also in the folder
      [`${id(6)}.png`, png],
    ])
  })

  it('pairs by ISIC id across suffixes, extensions and folder depths, and reports the rest', async () => {
    const ds = await Dataset.open({ masks: masksZip, images: [folder, imagesZip] })
    try {
      expect(ds.size).toBe(4)
      expect(ds.page(0, 10).items.map((p) => p.id)).toEqual([id(1), id(2), id(3), id(7)])
      const r = ds.report()
      expect(r.pairs).toBe(4)
      expect(r.masksWithoutImage).toEqual([id(4)])
      expect(r.imagesWithoutMask).toEqual([id(5), id(6)])
      // readme.txt, the __MACOSX junk, the superpixels file, notes.md
      expect(r.ignoredFiles).toBe(4)
      expect(r.refusedEntries).toEqual([
        { file: `${masksZip}!../evil/ISIC_0000009.png`, code: 'zip-unsafe-path' },
      ])
      expect(r.duplicates).toEqual([
        {
          id: id(1),
          role: 'image',
          used: path.join(folder, `${id(1)}.jpg`),
          ignored: [`${imagesZip}!imgs/${id(1)}.jpg`],
        },
        {
          id: id(2),
          role: 'mask',
          used: `${masksZip}!${id(2)}.png`,
          ignored: [`${masksZip}!${id(2)}_segmentation.png`],
        },
        {
          id: id(7),
          role: 'image',
          used: path.join(folder, `${id(7)}.jpg`),
          ignored: [path.join(folder, `${id(7)}.png`)],
        },
      ])
      expect(ds.summary()).toMatchObject({ pairCount: 4, masksWithoutImage: 1, imagesWithoutMask: 2 })
      for (let i = 0; i < ds.size; i++) {
        const p = await ds.openPair(i)
        expect(p.mask).toMatchObject({ width: 30, height: 20 })
        expect(p.image).toMatchObject({ width: 30, height: 20, mime: 'image/jpeg' })
      }
      expect(ds.locate(0).image).toEqual({ kind: 'folder', path: path.join(folder, `${id(1)}.jpg`) })
    } finally {
      await ds.close()
    }
  })

  it('uses the first image source that holds an id (order given)', async () => {
    const ds = await Dataset.open({ masks: masksZip, images: [imagesZip, folder] })
    try {
      const dup = ds.report().duplicates.find((d) => d.id === id(1))
      expect(dup).toEqual({
        id: id(1),
        role: 'image',
        used: `${imagesZip}!imgs/${id(1)}.jpg`,
        ignored: [path.join(folder, `${id(1)}.jpg`)],
      })
      expect((await ds.readImageBytes(ds.find(id(1)).index)).file).toBe(`${imagesZip}!imgs/${id(1)}.jpg`)
    } finally {
      await ds.close()
    }
  })

  it('reads masks from a folder too', async () => {
    const masks = await writeTree(path.join(dir, 'pairing', 'mask-folder'), [
      [`a/b/${id(3)}_segmentation.png`, greyPng(wsmMap(30, 20))],
    ])
    const ds = await Dataset.open({ masks, images: [folder] })
    try {
      expect(ds.page(0, 5).items).toEqual([{ index: 0, id: id(3) }])
      expect((await ds.openPair(0)).counts.lesion).toBeGreaterThan(0)
    } finally {
      await ds.close()
    }
  })
})

describe('broken sources', () => {
  let masksZip: string
  let good: string
  let truncated: string
  let notAZip: string

  beforeAll(async () => {
    masksZip = await writeZip(path.join(dir, 'broken', 'masks.zip'), [
      [`${id(1)}.png`, greyPng(wsmMap(30, 20))],
      [`${id(2)}.png`, greyPng(wsmMap(30, 20))],
    ])
    good = await writeTree(path.join(dir, 'broken', 'good'), [[`${id(1)}.jpg`, await jpeg(30, 20)]])
    const whole = await readFile(
      await writeZip(path.join(dir, 'broken', 'whole.zip'), [[`${id(2)}.jpg`, await jpeg(30, 20), false]]),
    )
    truncated = path.join(dir, 'broken', 'truncated.zip')
    await writeFile(truncated, whole.subarray(0, whole.length - 30))
    notAZip = path.join(dir, 'broken', 'not-a-zip.zip')
    await writeFile(notAZip, Buffer.alloc(5000, 7))
  })

  it('reports a broken image zip and opens the other sources', async () => {
    const ds = await Dataset.open({ masks: masksZip, images: [truncated, good] })
    try {
      expect(ds.size).toBe(1)
      const bad = ds.report().sources.find((s) => s.path === truncated)
      expect(bad?.error?.code).toMatch(/^zip-(corrupt|truncated)$/)
      expect(bad?.error?.message).toContain(truncated)
      expect(ds.report().masksWithoutImage).toEqual([id(2)])
      expect((await ds.openPair(0)).id).toBe(id(1))
    } finally {
      await ds.close()
    }
  })

  it('fails when every image source fails, or when the masks source fails, naming the file', async () => {
    const err = await expectCode(Dataset.open({ masks: masksZip, images: [notAZip] }), 'zip-corrupt')
    expect(err.message).toContain(notAZip)
    const both = await expectCode(
      Dataset.open({ masks: masksZip, images: [notAZip, notAZip + '.missing'] }),
      'zip-corrupt',
    )
    expect(both.message).toContain('none of the 2 image sources')
    const m = await expectCode(Dataset.open({ masks: truncated, images: [good] }), 'zip-corrupt')
    expect(m.message).toContain(truncated)
    await expectCode(Dataset.open({ masks: path.join(dir, 'nope.zip'), images: [good] }), 'io-error')
  })
})

describe('files that are not regular files', () => {
  it.skipIf(process.platform === 'win32')(
    'a FIFO named like an image fails with a code, never hangs (skipped on Windows: no mkfifo)',
    async () => {
      const masks = await writeZip(path.join(dir, 'fifo', 'masks.zip'), [
        [`${id(1)}.png`, greyPng(wsmMap(30, 20))],
      ])
      const images = path.join(dir, 'fifo', 'images')
      await mkdir(images, { recursive: true })
      execFileSync('mkfifo', [path.join(images, `${id(1)}.jpg`)])
      const ds = await Dataset.open({ masks, images: [images] })
      try {
        expect(ds.size).toBe(1)
        await expectCode(ds.openPair(0), 'io-error')
        const results: string[] = []
        await scanMasks(ds, { workers: 0, onResult: (r) => results.push(r.code ?? 'ok') })
        expect(results).toHaveLength(1)
        expect(results[0]).toMatch(/^(io-error|image-corrupt)$/)
      } finally {
        await ds.close()
      }
    },
  )
})

describe('openPair checks', () => {
  let ds: Dataset
  const W = 40
  const H = 30
  // id number → [mask bytes, image bytes, image extension]
  const cases: Record<string, number> = {}

  beforeAll(async () => {
    const img = await jpeg(W, H)
    const fine = greyPng(wsmMap(W, H))
    const specs: [string, Uint8Array, Uint8Array, string?][] = [
      ['ok', fine, img],
      ['palette', palettePng(wsmMap(W, H)), img],
      ['mask-colour', await rgbPng(W, H), img],
      ['mask-16bit', await grey16Png(W, H), img],
      ['mask-values', badValuesPng(W, H), img],
      ['mask-size', greyPng(wsmMap(W + 2, H)), img],
      ['png-truncated', fine.subarray(0, fine.length - 20), img],
      ['png-corrupt', Buffer.concat([Buffer.from('not a png at all'), fine]), img],
      ['challenge-convention', greyPng(challengeMap(W, H)), img],
      ['image-too-large', fine, jpegHeaderClaiming(20000, 20000)],
      ['image-corrupt', fine, Buffer.from('garbage garbage garbage')],
      ['image-unsupported', fine, await sharp(img).gif().toBuffer()],
      ['exif6', fine, await jpeg(W, H, 6)],
      ['exif6-rotated-mask', greyPng(wsmMap(H, W)), await jpeg(W, H, 6)],
      ['png-image', fine, await pngImage(W, H), 'png'],
      ['zip-crc-mismatch', fine, img],
      ['mask-size-huge', pngClaiming(16384, 16383), img],
    ]
    const masks: [string, Uint8Array, boolean?][] = []
    const images: [string, Uint8Array][] = []
    specs.forEach(([name, mask, image, ext], n) => {
      cases[name] = n
      // Stored (not deflated) so that a flipped byte reaches the CRC check.
      masks.push([`${id(n)}.png`, mask, name !== 'zip-crc-mismatch'])
      images.push([`${id(n)}.${ext ?? 'jpg'}`, image])
    })
    const zipPath = await writeZip(path.join(dir, 'checks', 'masks.zip'), masks)
    // Flip one byte of the stored entry's data (its IEND CRC bytes: only the zip CRC notices).
    const zip = await readFile(zipPath)
    const nameAt = zip.indexOf(Buffer.from(`${id(cases['zip-crc-mismatch'])}.png`))
    zip[nameAt + 16 + fine.length - 2] ^= 0xff
    await writeFile(zipPath, zip)
    const imagesDir = await writeTree(path.join(dir, 'checks', 'images'), images)
    ds = await Dataset.open({ masks: zipPath, images: [imagesDir] })
  })
  afterAll(async () => {
    await ds?.close()
  })

  const at = (name: string) => ds.find(id(cases[name])).index

  it.each([
    'mask-colour',
    'mask-16bit',
    'mask-values',
    'mask-size',
    'png-truncated',
    'png-corrupt',
    'challenge-convention',
    'image-too-large',
    'image-corrupt',
    'image-unsupported',
    'zip-crc-mismatch',
  ] as const)('refuses with %s, naming the file', async (code) => {
    const err = await expectCode(ds.openPair(at(code)), code)
    expect(err.message + (err.file ?? '')).toContain(id(cases[code]))
  })

  it('refuses a mask whose header declares the wrong size before inflating it (its data is only a start)', async () => {
    // The IDAT holds a few KB of a 268 Mpx image: inflating first said png-truncated.
    const err = await expectCode(ds.openPair(at('mask-size-huge')), 'mask-size')
    expect(err.message).toContain('16384')
  })

  it('keeps working after failures: good pairs open, grey and palette alike', async () => {
    const ok = await ds.openPair(at('ok'))
    const pal = await ds.openPair(at('palette'))
    expect(Buffer.from(pal.mask.data).equals(Buffer.from(ok.mask.data))).toBe(true)
    expect(ok.counts.lesion).toBeGreaterThan(0)
    expect(ok.challengeConvention).toBe(false)
    expect((await ds.openPair(at('png-image'))).image).toMatchObject({
      mime: 'image/png',
      width: W,
      height: H,
    })
  })

  it('reports EXIF orientation 6, never applies it: the mask must match the stored size', async () => {
    const p = await ds.openPair(at('exif6'))
    expect(p.image).toMatchObject({ width: W, height: H, orientation: 6 })
    const err = await expectCode(ds.openPair(at('exif6-rotated-mask')), 'mask-size')
    expect(err.message).toContain('EXIF orientation 6')
  })

  it('converts a challenge-convention mask only on request, or opens it as stored', async () => {
    const i = at('challenge-convention')
    const converted = await ds.openPair(i, { challenge: 'convert' })
    expect(converted).toMatchObject({ challengeConvention: true, converted: true })
    expect(converted.counts.uncertain).toBe(0)
    expect(converted.mask.data.includes(255)).toBe(false)
    const asIs = await ds.openPair(i, { challenge: 'as-is' })
    expect(asIs).toMatchObject({ challengeConvention: true, converted: false })
    expect(asIs.counts.lesion).toBe(0)
    expect(asIs.mask.data.includes(255)).toBe(true)
    await expectCode(ds.openPair(i), 'challenge-convention')
  })

  it('does not cache a pair that failed to load (prefetched or opened)', async () => {
    const i = at('mask-values')
    ds.prefetch(i)
    await expectCode(ds.openPair(i), 'mask-values')
    expect(ds.cacheState().indexes).not.toContain(i)
  })

  it('refuses positions outside the list', async () => {
    await expectCode(ds.openPair(-1), 'not-found')
    await expectCode(ds.openPair(ds.size), 'not-found')
    await expectCode(ds.openPair(1.5), 'not-found')
  })
})

describe('prefetch', () => {
  let masks: string
  let images: string
  const W = 200
  const H = 150

  beforeAll(async () => {
    const m: [string, Uint8Array][] = []
    const i: [string, Uint8Array][] = []
    const img = await jpeg(W, H)
    for (let n = 0; n < 6; n++) {
      m.push([`${id(n)}.png`, greyPng(wsmMap(W, H, n))])
      i.push([`${id(n)}.jpg`, img])
    }
    i.push([`${id(6)}.jpg`, img])
    m.push([`${id(6)}.png`, greyPng(challengeMap(W, H))])
    masks = await writeZip(path.join(dir, 'prefetch', 'masks.zip'), m)
    images = await writeTree(path.join(dir, 'prefetch', 'images'), i)
  })

  it('keeps the cache within its byte budget, least recently used out first', async () => {
    const img = await jpeg(W, H)
    const perPair = W * H + img.length
    const ds = await Dataset.open({ masks, images: [images] }, { prefetchBytes: perPair * 2 + 10 })
    try {
      const first = await ds.openPair(0)
      ds.prefetch(1)
      await vi.waitFor(() => expect(ds.cacheState().indexes).toEqual([0, 1]))
      // Served from the cache: the very same buffers.
      expect((await ds.openPair(0)).mask.data).toBe(first.mask.data)
      ds.prefetch(2)
      await vi.waitFor(() => expect(ds.cacheState().indexes).toEqual([0, 2]))
      expect(ds.cacheState().bytes).toBeLessThanOrEqual(ds.cacheState().limit)
      expect(ds.cacheState().bytes).toBe(perPair * 2)
      // Ignored: out of range, already cached.
      ds.prefetch(-1)
      ds.prefetch(99)
      ds.prefetch(2)
      await ds.openPair(3)
      expect(ds.cacheState().indexes).toEqual([2, 3])
    } finally {
      await ds.close()
    }
  })

  it('does not keep a pair larger than the budget, nor a failed one; a budget of 0 disables it', async () => {
    const ds = await Dataset.open({ masks, images: [images] }, { prefetchBytes: 1000 })
    try {
      await ds.openPair(0)
      expect(ds.cacheState()).toMatchObject({ bytes: 0, indexes: [] })
    } finally {
      await ds.close()
    }
    const ds2 = await Dataset.open({ masks, images: [images] })
    try {
      await expectCode(ds2.openPair(6), 'challenge-convention') // a loaded pair refused on the way out: kept
      ds2.prefetch(5)
      await vi.waitFor(() => expect(ds2.cacheState().indexes).toContain(5))
      expect(ds2.cacheState().indexes).toContain(6)
    } finally {
      await ds2.close()
    }
    const ds3 = await Dataset.open({ masks, images: [images] }, { prefetchBytes: 0 })
    try {
      ds3.prefetch(1)
      await ds3.openPair(1)
      expect(ds3.cacheState().indexes).toEqual([])
    } finally {
      await ds3.close()
    }
  })
})
