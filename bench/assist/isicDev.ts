/**
 * The real development set of the assisted resolution: ISIC 2017 dermoscopy images with their
 * ground-truth lesion masks in `../shared/isic-dev/` (challenge convention 0/255; read-only, never
 * copied into the repository). Pairs are decoded once with sharp, optionally downscaled (image with
 * sharp's default kernel, mask with nearest neighbour) and cached as raw bytes under the OS temp
 * folder, so repeated evaluations skip the JPEG decode.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import type { LabelMap } from '../../shared/labels/codes'
import type { AssistImage } from '../../shared/labels/assist/types'

/** `../shared/isic-dev` relative to the repository root (this file is bench/assist/isicDev.ts). */
export function isicDevRoot(repoRoot: string): string {
  return path.resolve(repoRoot, '..', 'shared', 'isic-dev')
}

/** Ids of the pairs with both an image and a mask, sorted; empty when the folder is absent. */
export async function listIsicDev(root: string): Promise<string[]> {
  let names: string[]
  try {
    names = await fsp.readdir(path.join(root, 'images'))
  } catch {
    return []
  }
  const masks = new Set(await fsp.readdir(path.join(root, 'masks')).catch(() => [] as string[]))
  return names
    .filter((n) => n.endsWith('.jpg') && masks.has(n.replace(/\.jpg$/, '_segmentation.png')))
    .map((n) => n.replace(/\.jpg$/, ''))
    .sort()
}

export interface DevPair {
  id: string
  image: AssistImage
  /** The true lesion mask as labels 0/1. */
  truth: LabelMap
  /** Width of the original image (to scale full-resolution widths to this grid). */
  fullWidth: number
}

/**
 * Loads one pair; `longSide` > 0 downscales so the longer side is about that many pixels (0 keeps
 * the full resolution). Cached under `<tmp>/wsm-isic-dev/`.
 */
export async function loadIsicPair(root: string, id: string, longSide = 0): Promise<DevPair> {
  const cacheDir = path.join(os.tmpdir(), 'wsm-isic-dev')
  const cache = path.join(cacheDir, `${id}_${longSide}.bin`)
  try {
    const buf = await fsp.readFile(cache)
    const head = new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + 12))
    const [w, h, fw] = head
    const n = w * h
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    if (bytes.length === 12 + 4 * n) {
      return {
        id,
        image: { width: w, height: h, channels: 3, data: bytes.slice(12, 12 + 3 * n) },
        truth: { width: w, height: h, data: bytes.slice(12 + 3 * n) },
        fullWidth: fw,
      }
    }
  } catch {
    // not cached yet
  }
  const imgPath = path.join(root, 'images', `${id}.jpg`)
  const maskPath = path.join(root, 'masks', `${id}_segmentation.png`)
  const meta = await sharp(imgPath, { autoOrient: false }).metadata()
  const fw = meta.width ?? 0
  const fh = meta.height ?? 0
  const f = longSide > 0 ? Math.min(1, longSide / Math.max(fw, fh)) : 1
  const w = Math.round(fw * f)
  const h = Math.round(fh * f)
  let img = sharp(imgPath, { autoOrient: false }).toColourspace('srgb').removeAlpha()
  if (f < 1) img = img.resize(w, h, { fit: 'fill' })
  const rgb = await img.raw().toBuffer()
  let m = sharp(maskPath).extractChannel(0)
  if (f < 1) m = m.resize(w, h, { fit: 'fill', kernel: 'nearest' })
  const grey = await m.raw().toBuffer()
  if (rgb.length !== 3 * w * h || grey.length !== w * h) throw new Error(`${id}: unexpected decoded size`)
  const truth = new Uint8Array(w * h)
  for (let i = 0; i < truth.length; i++) truth[i] = grey[i] >= 128 ? 1 : 0
  const image = new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength).slice()
  await fsp.mkdir(cacheDir, { recursive: true })
  const out = new Uint8Array(12 + 4 * w * h)
  new Uint32Array(out.buffer, 0, 3).set([w, h, fw])
  out.set(image, 12)
  out.set(truth, 12 + 3 * w * h)
  await fsp.writeFile(cache, out)
  return {
    id,
    image: { width: w, height: h, channels: 3, data: image },
    truth: { width: w, height: h, data: truth },
    fullWidth: fw,
  }
}

/** The nearest folder at or above `from` holding a package.json (the repository root). */
export async function findRepoRoot(from: string): Promise<string> {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      await fsp.access(path.join(dir, 'package.json'))
      return dir
    } catch {
      if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`)
    }
  }
}
