/**
 * The curation session's pair opening (QA 6, finding 5): a pair with a corrected mask opens with it,
 * whatever its source mask is — a challenge-convention source (0 / 255 lesion) no longer brings the
 * challenge-convention error and the Convert offer back, and a source that no longer reads does not
 * hide the correction. Real PNG and JPEG files, a real workspace.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { countLabels, type LabelMap } from '../../../../shared/labels/codes'
import { encodeMaskPng } from '../../../../electron/services/mask/maskPng'
import { CurationSession } from '../../../../electron/services/session'
import { Workspace } from '../../../../electron/services/workspace/workspace'
import { caught } from '../../../support/datasetFixtures'
import { makeSources, resolveUncertain } from './workspace/fixtures'

const W = 64
const H = 48
const CHALLENGE = 'ISIC_0000001'
const TRUNCATED = 'ISIC_0000002'
const RGB = 'ISIC_0000003'
const grey = { colorType: 0, bitDepth: 8, interlaced: false } as const

/** A lesion disc in the challenge convention: 0 background, 255 lesion, no 1. */
function challengeMask(): LabelMap {
  const data = new Uint8Array(W * H)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) if (Math.hypot(x + 0.5 - W / 2, y + 0.5 - H / 2) <= 12) data[y * W + x] = 255
  }
  return { width: W, height: H, data }
}

let root: string
let masks: string
let ws: Workspace
let session: CurationSession

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-session-'))
  masks = path.join(root, 'masks')
  const images = path.join(root, 'images')
  await fsp.mkdir(masks)
  await fsp.mkdir(images)
  await fsp.writeFile(path.join(masks, `${CHALLENGE}.png`), encodeMaskPng(challengeMask(), grey))
  const whole = encodeMaskPng(challengeMask(), grey)
  await fsp.writeFile(path.join(masks, `${TRUNCATED}.png`), whole.subarray(0, whole.length - 30))
  await sharp({ create: { width: W, height: H, channels: 3, background: { r: 0, g: 1, b: 0 } } })
    .png()
    .toFile(path.join(masks, `${RGB}.png`))
  for (const id of [CHALLENGE, TRUNCATED, RGB]) {
    await sharp({ create: { width: W, height: H, channels: 3, background: { r: 200, g: 160, b: 140 } } })
      .jpeg()
      .toFile(path.join(images, `${id}.jpg`))
  }
  ws = await Workspace.create(path.join(root, 'ws'), { masks, images: [images], curator: 'ana' })
  session = new CurationSession(ws, { scan: false })
})

afterEach(async () => {
  await ws.close()
  await fsp.rm(root, { recursive: true, force: true })
})

/** Converts the challenge pair as the editor does, erases 5 lesion pixels and saves it. */
async function correct(): Promise<LabelMap> {
  const opened = await session.openPair(CHALLENGE, 'convert')
  expect(opened).toMatchObject({ converted: true, mask: { origin: 'source' } })
  const data = Uint8Array.from(opened.mask.data)
  for (let i = 0, n = 0; i < data.length && n < 5; i++) {
    if (data[i] === 1) {
      data[i] = 0
      n++
    }
  }
  const map = { width: W, height: H, data }
  await session.saveMask(CHALLENGE, map)
  return map
}

describe('CurationSession.openPair', () => {
  it('refuses an uncorrected challenge-convention pair unless told to convert it', async () => {
    expect((await caught(session.openPair(CHALLENGE))).code).toBe('challenge-convention')
    expect((await session.openPair(CHALLENGE, 'convert')).converted).toBe(true)
  })

  it('opens a corrected challenge-convention pair with its corrected mask, no error, nothing to convert', async () => {
    const saved = await correct()
    for (const mode of ['refuse', 'convert'] as const) {
      const opened = await session.openPair(CHALLENGE, mode)
      expect(opened.converted).toBe(false)
      expect(opened.mask.origin).toBe('corrected')
      expect(opened.state.corrected).toBe(true)
      expect(Buffer.from(opened.mask.data).equals(Buffer.from(saved.data))).toBe(true)
      expect(opened.counts).toEqual(countLabels(saved.data))
      expect(opened.image.mime).toBe('image/jpeg')
    }
  })

  it('opens a corrected pair whose source mask no longer reads, with its corrected mask and image', async () => {
    const saved = await correct()
    const dir = ws.dir
    await ws.close()
    // The source mask truncated after the correction (a fresh open: nothing cached).
    const file = path.join(masks, `${CHALLENGE}.png`)
    const bytes = await fsp.readFile(file)
    await fsp.writeFile(file, bytes.subarray(0, bytes.length >> 1))
    ws = await Workspace.open(dir)
    session = new CurationSession(ws, { scan: false })
    const opened = await session.openPair(CHALLENGE)
    expect(opened.mask.origin).toBe('corrected')
    expect(Buffer.from(opened.mask.data).equals(Buffer.from(saved.data))).toBe(true)
    const image = await fsp.readFile(path.join(root, 'images', `${CHALLENGE}.jpg`))
    expect(Buffer.from(opened.image.bytes).equals(image)).toBe(true)
  })

  it('opens a corrected pair whose source mask file is gone, and names the image when it is gone too (review 6b, finding 2)', async () => {
    const saved = await correct()
    const dir = ws.dir
    await ws.close()
    ws = await Workspace.open(dir)
    session = new CurationSession(ws, { scan: false })
    // The source mask deleted while the workspace is open (nothing cached): an io-error, not a png-*.
    await fsp.rm(path.join(masks, `${CHALLENGE}.png`))
    const opened = await session.openPair(CHALLENGE)
    expect(opened.mask.origin).toBe('corrected')
    expect(Buffer.from(opened.mask.data).equals(Buffer.from(saved.data))).toBe(true)
    const imageFile = path.join(root, 'images', `${CHALLENGE}.jpg`)
    expect(Buffer.from(opened.image.bytes).equals(await fsp.readFile(imageFile))).toBe(true)
    // With the image gone as well, the error is the image's, not the source mask's.
    await ws.close()
    await fsp.writeFile(path.join(masks, `${CHALLENGE}.png`), encodeMaskPng(challengeMask(), grey))
    ws = await Workspace.open(dir)
    session = new CurationSession(ws, { scan: false })
    await fsp.rm(path.join(masks, `${CHALLENGE}.png`))
    await fsp.rm(imageFile)
    const err = await caught(session.openPair(CHALLENGE))
    expect(err.message).toContain(`${CHALLENGE}.jpg`)
    expect(err.message).not.toContain(`${CHALLENGE}.png`)
  })

  it('opens a corrected pair whose source zip entry is corrupt, with its corrected mask (review 6b, finding 2)', async () => {
    const id = 'ISIC_0000001'
    const src = await makeSources(path.join(root, 'zip-src'))
    let zws = await Workspace.create(path.join(root, 'zip-ws'), {
      masks: src.masks,
      images: [src.images],
      curator: 'ana',
    })
    try {
      const saved = resolveUncertain((await zws.readCurrentMask(id)).map, 1, 5)
      await new CurationSession(zws, { scan: false }).saveMask(id, saved)
      await zws.close()
      // Bytes in the middle of the entry's data changed: its CRC no longer matches.
      const zip = await fsp.readFile(src.masks)
      const header = zip.indexOf(`ISIC_WSM_labels/${id}.png`) - 30
      expect(zip.readUInt32LE(header)).toBe(0x04034b50)
      const data = header + 30 + zip.readUInt16LE(header + 26) + zip.readUInt16LE(header + 28)
      const size = zip.readUInt32LE(header + 18)
      for (let i = 0; i < 8; i++) zip[data + (size >> 1) + i] ^= 0xff
      await fsp.writeFile(src.masks, zip)
      zws = await Workspace.open(path.join(root, 'zip-ws'))
      const { index } = zws.dataset.find(id)
      expect((await caught(zws.dataset.openPair(index))).code).toBe('zip-corrupt')
      const opened = await new CurationSession(zws, { scan: false }).openPair(id)
      expect(opened.mask.origin).toBe('corrected')
      expect(Buffer.from(opened.mask.data).equals(Buffer.from(saved.data))).toBe(true)
      expect(
        Buffer.from(opened.image.bytes).equals(await fsp.readFile(path.join(src.images, `${id}.jpg`))),
      ).toBe(true)
    } finally {
      await zws.close()
    }
  })

  it('names the mask file in the message of every mask error (QA 6, finding 3)', async () => {
    for (const [id, code] of [
      [TRUNCATED, 'png-truncated'],
      [RGB, 'mask-colour'],
    ] as const) {
      const file = path.join(masks, `${id}.png`)
      const err = await caught(session.openPair(id))
      expect(err.code).toBe(code)
      expect(err.message.startsWith(`${file}: `)).toBe(true)
      expect(err.file).toBe(file)
    }
    // A corrected mask damaged afterwards (its header cut short).
    await correct()
    const corrected = ws.maskFile(CHALLENGE)
    await fsp.writeFile(corrected, (await fsp.readFile(corrected)).subarray(0, 20))
    const err = await caught(session.openPair(CHALLENGE))
    expect(err.code).toBe('png-truncated')
    expect(err.message.startsWith(`${corrected}: `)).toBe(true)
  })
})
