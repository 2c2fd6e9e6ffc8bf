import { describe, expect, it } from 'vitest'
import { IMAGE_NAME, MASK_NAME } from '../../../../electron/services/dataset'
import {
  idNumber,
  idString,
  imageIdOf,
  imageIdOfBytes,
  maskIdOf,
  maskIdOfBytes,
  pairFiles,
} from '../../../../electron/services/pairing'
import { tableOfEntries } from '../../../../electron/services/zip/zipFormat'

/**
 * The byte parsers on `name` encoded as UTF-8, and as Latin-1 when it fits, placed between other bytes
 * (what a central directory looks like around a name): each must give what the string parser gives.
 */
function expectBytesAgree(name: string): void {
  const encodings: Buffer[] = [Buffer.from(name, 'utf8')]
  if ([...name].every((c) => c.charCodeAt(0) <= 0xff)) encodings.push(Buffer.from(name, 'latin1'))
  for (const bytes of encodings) {
    // Neighbours that would complete a rule if read past the bounds: '/', digits, '.png'.
    const framed = Buffer.concat([Buffer.from('/ISIC_'), bytes, Buffer.from('.png0')])
    const start = 6
    const end = start + bytes.length
    expect(maskIdOfBytes(framed, start, end), `mask bytes of ${name}`).toBe(maskIdOf(name))
    expect(imageIdOfBytes(framed, start, end), `image bytes of ${name}`).toBe(imageIdOf(name))
  }
}

const NAMES = [
  'ISIC_0000001.png',
  'ISIC_0000001.PNG',
  'ISIC_0000001.Png',
  'a/b/c/ISIC_1234567.png',
  'ISIC_0000002_segmentation.png',
  'ISIC_0000002_Segmentation.png',
  'ISIC_0000002_SEGMENTATION.png',
  'ISIC_0000002_segmentation.PNG',
  'ISIC_0000002_sEgmentation.png',
  'ISIC_0000002_superpixels.png',
  'isic_0000001.png',
  'ISIC_000001.png',
  'ISIC_00000001.png',
  'ISIC_000000a.png',
  'xISIC_0000001.png',
  'dir/xISIC_0000001.png',
  '._ISIC_0000001.png',
  'ISIC_0000001.jpg',
  'ISIC_0000001.JPG',
  'ISIC_0000001.jpeg',
  'ISIC_0000001.JPEG',
  'ISIC_0000001.jpe',
  'ISIC_0000001.gif',
  'ISIC_0000001.png.bak',
  'ISIC_0000001',
  'ISIC_0000001/',
  'ISIC_0000001/x.png',
  'ISIC_0000001_downsampled.jpg',
  '',
  '/',
]

describe('naming rules', () => {
  it('parse names exactly as MASK_NAME and IMAGE_NAME say', () => {
    for (const name of NAMES) {
      const m = MASK_NAME.exec(name)
      const i = IMAGE_NAME.exec(name)
      expect(maskIdOf(name), name).toBe(m ? idNumber(m[1]) : -1)
      expect(imageIdOf(name), name).toBe(i ? idNumber(i[1]) : -1)
      expectBytesAgree(name)
    }
    expect(maskIdOf('ISIC_0000002_Segmentation.png')).toBe(2)
    expect(imageIdOf('x/ISIC_0000003.JPEG')).toBe(3)
  })

  it('agree with MASK_NAME and IMAGE_NAME on random names near the rules (cases, lengths, near-letters)', () => {
    // Characters one bit away from the extension letters ('J' | 0x20 is 'j'; '@' | 0x20 is '`'),
    // separators, digits and a non-ASCII letter.
    const pieces = [
      'ISIC_',
      '0',
      '1',
      '9',
      '.',
      '/',
      'p',
      'P',
      'n',
      'N',
      'g',
      'G',
      'j',
      'J',
      'e',
      'E',
      'x',
      '@',
      '`',
      'N\u0300',
      'é',
      '_segmentation',
      '_Segmentation',
      '_SEGMENTATION',
      'png',
      'jpg',
      'jpeg',
      'JPEG',
      '0000123',
    ]
    let seed = 7
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
    for (let k = 0; k < 20000; k++) {
      let name = next() < 0.7 ? 'ISIC_' + String(Math.floor(next() * 1e7)).padStart(7, '0') : ''
      const parts = Math.floor(next() * 4)
      for (let p = 0; p < parts; p++) name += pieces[Math.floor(next() * pieces.length)]
      if (next() < 0.5)
        name =
          (next() < 0.5 ? 'd/' : '') +
          name +
          ['.png', '.PnG', '.jpg', '.JpG', '.jPeG', '.jpe', '.pn', ''][Math.floor(next() * 8)]
      const m = MASK_NAME.exec(name)
      const i = IMAGE_NAME.exec(name)
      expect(maskIdOf(name), name).toBe(m ? idNumber(m[1]) : -1)
      expect(imageIdOf(name), name).toBe(i ? idNumber(i[1]) : -1)
      expectBytesAgree(name)
    }
  })

  it('converts ids both ways', () => {
    expect(idString(42)).toBe('ISIC_0000042')
    expect(idNumber('ISIC_0000042')).toBe(42)
    expect(idNumber('ISIC_000042')).toBe(-1)
    expect(idNumber('ISIC_00000x2')).toBe(-1)
  })
})

describe('pairFiles', () => {
  it('joins by id, sorted, with duplicates resolved by source order then path', () => {
    const masks = {
      names: ['z/ISIC_0000003.png', 'ISIC_0000001.png', 'a/ISIC_0000003.png', 'ISIC_0000004.png', 'x.txt'],
    }
    const images = [
      { names: ['ISIC_0000003.png', 'ISIC_0000001.jpg', 'ISIC_0000003.jpg', 'ISIC_0000009.jpg'] },
      { names: ['ISIC_0000001.jpg', 'ISIC_0000008.jpg'] },
    ]
    const p = pairFiles(masks, images)
    expect(Array.from(p.ids)).toEqual([1, 3])
    expect(Array.from(p.maskFiles)).toEqual([1, 2]) // 'a/…' < 'z/…'
    expect(Array.from(p.imageSources)).toEqual([0, 0])
    expect(Array.from(p.imageFiles)).toEqual([1, 2]) // '.jpg' < '.png'
    expect(Array.from(p.unpairedIds)).toEqual([4])
    expect(Array.from(p.unpairedFiles)).toEqual([3])
    expect(Array.from(p.imagesWithoutMask)).toEqual([8, 9])
    expect(p.ignored).toBe(1)
    expect(p.duplicates).toEqual([
      { id: 1, role: 'image', used: { source: 0, file: 1 }, ignored: [{ source: 1, file: 0 }] },
      { id: 3, role: 'mask', used: { source: 0, file: 2 }, ignored: [{ source: 0, file: 0 }] },
      { id: 3, role: 'image', used: { source: 0, file: 2 }, ignored: [{ source: 0, file: 0 }] },
    ])
  })

  it('pairs a source given as name bytes (a zip table) exactly like its names, without touching names', () => {
    const maskNames = [
      'z/ISIC_0000003.png',
      'ISIC_0000001.png',
      'a/ISIC_0000003.png',
      'ISIC_0000004.png',
      'x.txt',
    ]
    const imageNames = ['ISIC_0000003.png', 'ISIC_0000001.jpg', 'ISIC_0000003.jpg', 'ISIC_0000009.jpg']
    const tableOf = (names: string[]) =>
      tableOfEntries(
        names.map((name, i) => ({
          name,
          method: 0,
          compressedSize: i,
          uncompressedSize: i,
          crc32: 0,
          localHeaderOffset: 0,
        })),
      )
    const noNames = (names: string[]) => ({
      get names(): string[] {
        throw new Error('names read')
      },
      nameTable: tableOf(names),
    })
    const expected = pairFiles({ names: maskNames }, [{ names: imageNames }])
    expect(pairFiles(noNames(maskNames), [noNames(imageNames)])).toEqual(expected)
    expect(pairFiles(noNames(maskNames), [{ names: imageNames }])).toEqual(expected)
    expect(expected.duplicates.length).toBe(2)
  })

  it('handles the full release size quickly and exactly', () => {
    const n = 43_885
    const masks = { names: Array.from({ length: n }, (_, i) => `ISIC_WSM_labels/${idString(n - 1 - i)}.png`) }
    const images = [{ names: Array.from({ length: n }, (_, i) => `${idString(i)}.jpg`) }]
    const p = pairFiles(masks, images)
    expect(p.ids.length).toBe(n)
    expect(p.ids[0]).toBe(0)
    expect(p.ids[n - 1]).toBe(n - 1)
    expect(p.maskFiles[0]).toBe(n - 1)
    expect(p.imageFiles[n - 1]).toBe(n - 1)
  })
})
