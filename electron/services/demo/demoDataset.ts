/**
 * The demo dataset: a dozen synthetic dermoscopy pairs laid out like the real ISIC_WSM release,
 *
 *   <dir>/images/ISIC_xxxxxxx.jpg           the images
 *   <dir>/ISIC_WSM_labels.zip               entries ISIC_WSM_labels/ISIC_xxxxxxx.png (weak maps)
 *   <dir>/truth/ISIC_xxxxxxx.png            the hidden true 0/1 segmentation, for evaluation
 *
 * Byte-identical across runs: seeded drawing (see synthesize.ts), fixed encoder settings, and zip
 * entries with a fixed DOS timestamp and mode.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import yazl from 'yazl'
import { findInvalidLabel } from '../../../shared/labels/codes'
import type { LabelMap } from '../../../shared/labels/codes'
import { synthesizePair, validatePairSpec } from './synthesize'
import type { DemoPairSpec } from './synthesize'
import { makeFolder } from '../fs/paths'

export { lowResFactor, synthesizePair } from './synthesize'
export type { DemoPairSpec, SyntheticPair } from './synthesize'

/** Sizes span the ISIC range we care about, odd ones included (767×576, 1022×767, 1504×1129). */
export const DEMO_PAIRS: readonly DemoPairSpec[] = Object.freeze(
  (
    [
      [600, 450, 1001],
      [640, 480, 1002],
      [767, 576, 1003],
      [1022, 767, 1004],
      [1024, 768, 1005],
      [1280, 960, 1006],
      [1504, 1129, 1007],
      [1800, 1200, 1008],
      [2048, 1536, 1009],
      [2400, 1800, 1010],
      [2592, 1728, 1011],
      [3000, 2000, 1012],
    ] as const
  ).map(([width, height, seed], i) =>
    Object.freeze({ id: `ISIC_${String(i).padStart(7, '0')}`, width, height, seed }),
  ),
)

export interface DemoDatasetInfo {
  dir: string
  imagesDir: string
  masksZip: string
  truthDir: string
  ids: string[]
}

export const DEMO_MASKS_ZIP = 'ISIC_WSM_labels.zip'
export const DEMO_ZIP_FOLDER = 'ISIC_WSM_labels'
const JPEG_QUALITY = 90
/** Local-time components, so the DOS timestamp bytes do not depend on the time zone. */
const ZIP_MTIME = new Date(2020, 0, 1, 0, 0, 0)
const ZIP_MODE = 0o100644
const ID_PATTERN = /^ISIC_\d{7}$/
const DEMO_FILE_PATTERN = /^ISIC_\d{7}\.(jpg|png)(\.tmp)?$/
/** Pairs being encoded while the next one is drawn. */
const MAX_IN_FLIGHT = 2

/**
 * An 8-bit greyscale PNG (colour type 0) holding the exact label values. Rejects any value outside
 * {0, 1, 255} and a data length that does not match the size.
 */
export async function encodeGreyMaskPng(map: LabelMap): Promise<Buffer> {
  const { width, height, data } = map
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`bad mask size ${width}×${height}`)
  }
  if (data.length !== width * height) {
    throw new RangeError(`mask data has ${data.length} bytes, expected ${width * height}`)
  }
  const bad = findInvalidLabel(data)
  if (bad >= 0) throw new RangeError(`mask value ${data[bad]} at index ${bad} is not a label`)
  // Without toColourspace('b-w') sharp 0.35 writes a 1-channel raw input as RGB (colour type 2).
  return sharp(data, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
    .toBuffer()
}

function encodeJpeg(image: { width: number; height: number; rgb: Uint8Array }): Promise<Buffer> {
  const { width, height, rgb } = image
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: JPEG_QUALITY, mozjpeg: false })
    .toBuffer()
}

async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp`
  await fsp.writeFile(tmp, bytes)
  await fsp.rename(tmp, file)
}

function validatePairs(pairs: readonly DemoPairSpec[]): void {
  if (pairs.length === 0) throw new RangeError('no demo pairs')
  const seen = new Set<string>()
  for (const p of pairs) {
    if (!ID_PATTERN.test(p.id)) throw new RangeError(`bad demo id ${JSON.stringify(p.id)}`)
    if (seen.has(p.id)) throw new RangeError(`duplicate demo id ${p.id}`)
    seen.add(p.id)
    validatePairSpec(p)
  }
}

function buildZip(entries: readonly { name: string; bytes: Buffer }[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile()
    const chunks: Buffer[] = []
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c))
    zip.outputStream.on('error', reject)
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)))
    for (const e of entries) {
      zip.addBuffer(e.bytes, e.name, {
        mtime: ZIP_MTIME,
        mode: ZIP_MODE,
        compress: true,
        forceDosTimestamp: true,
      })
    }
    zip.end()
  })
}

/** Removes demo-named files (and leftover temporaries) that are not part of this demo. */
async function removeStale(dir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const name of await fsp.readdir(dir)) {
    if (DEMO_FILE_PATTERN.test(name) && !keep.has(name)) await fsp.rm(path.join(dir, name), { force: true })
  }
}

/**
 * Writes the demo dataset into `dir` (created if needed; an existing demo there is overwritten).
 * Pairs are drawn one after the other on this thread while sharp encodes the previous ones.
 */
export async function generateDemoDataset(
  dir: string,
  opts: { pairs?: readonly DemoPairSpec[] } = {},
): Promise<DemoDatasetInfo> {
  const pairs = opts.pairs ?? DEMO_PAIRS
  validatePairs(pairs)
  const imagesDir = path.join(dir, 'images')
  const truthDir = path.join(dir, 'truth')
  const masksZip = path.join(dir, DEMO_MASKS_ZIP)
  await makeFolder(imagesDir)
  await makeFolder(truthDir)

  const maskPngs: Buffer[] = new Array(pairs.length)
  const pending: Promise<void>[] = []
  let failure: unknown = null
  for (let i = 0; i < pairs.length && !failure; i++) {
    const spec = pairs[i]
    const pair = synthesizePair(spec)
    pending.push(
      (async () => {
        const [jpg, mask, truth] = await Promise.all([
          encodeJpeg(pair.image),
          encodeGreyMaskPng(pair.mask),
          encodeGreyMaskPng(pair.truth),
        ])
        maskPngs[i] = mask
        await Promise.all([
          writeAtomic(path.join(imagesDir, `${spec.id}.jpg`), jpg),
          writeAtomic(path.join(truthDir, `${spec.id}.png`), truth),
        ])
      })().catch((err: unknown) => {
        failure ??= err
      }),
    )
    if (pending.length >= MAX_IN_FLIGHT) await pending.shift()
  }
  await Promise.all(pending)
  if (failure) throw failure

  const zip = await buildZip(
    pairs.map((p, i) => ({ name: `${DEMO_ZIP_FOLDER}/${p.id}.png`, bytes: maskPngs[i] })),
  )
  await writeAtomic(masksZip, zip)

  const ids = pairs.map((p) => p.id)
  await removeStale(imagesDir, new Set(ids.map((id) => `${id}.jpg`)))
  await removeStale(truthDir, new Set(ids.map((id) => `${id}.png`)))
  return { dir, imagesDir, masksZip, truthDir, ids }
}
