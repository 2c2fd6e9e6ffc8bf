/**
 * The real dev set for triage (../shared/isic-dev): each image decoded once on the triage grid, each
 * ground-truth mask (challenge convention, 0/255) reduced with nearest neighbour to a working mask
 * size, both cached as raw bytes under the OS temp folder (never in the repo).
 */
import { existsSync, promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { gridSizeFor } from '../../shared/labels/triage/grid'
import type { TriageImage } from '../../shared/labels/triage/types'
import { decodeTriageImage } from '../../electron/services/triage/scoreFromBytes'

/** A binary mask: 1 lesion, 0 background. */
export interface Binary {
  width: number
  height: number
  data: Uint8Array
}

export interface DevPair {
  id: string
  /** Original size. */
  width: number
  height: number
  image: TriageImage
  /** Ground truth at the working mask size (longer side MASK_SIDE). */
  truth: Binary
}

/** Working mask size: the weak maps are generated at this longer side, then reduced like real ones. */
export const MASK_SIDE = 512

export function devSetRoot(repoRoot: string): string {
  return path.resolve(repoRoot, '..', 'shared', 'isic-dev')
}

export function hasDevSet(repoRoot: string): boolean {
  return existsSync(path.join(devSetRoot(repoRoot), 'images'))
}

/** The dev pairs, images on a grid whose longer side is `side` cells. */
export async function loadDevSet(
  repoRoot: string,
  side: number,
  log: (s: string) => void = () => {},
): Promise<DevPair[]> {
  const root = devSetRoot(repoRoot)
  const cache = path.join(os.tmpdir(), `wsm-triage-dev-${side}-${MASK_SIDE}`)
  await fsp.mkdir(cache, { recursive: true })
  const ids = (await fsp.readdir(path.join(root, 'images')))
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => f.slice(0, -4))
    .sort()
  const out: DevPair[] = []
  for (const id of ids) {
    const metaFile = path.join(cache, `${id}.json`)
    let meta: { width: number; height: number; gw: number; gh: number; mw: number; mh: number }
    if (!existsSync(metaFile)) {
      const bytes = await fsp.readFile(path.join(root, 'images', `${id}.jpg`))
      const info = await sharp(bytes).metadata()
      const width = info.width ?? 0
      const height = info.height ?? 0
      const image = await decodeTriageImage(bytes, width, height, side)
      const m = gridSizeFor(width, height, MASK_SIDE)
      const truth = await sharp(path.join(root, 'masks', `${id}_segmentation.png`))
        .greyscale()
        .resize({ width: m.width, height: m.height, fit: 'fill', kernel: 'nearest' })
        .raw()
        .toBuffer()
      const bin = new Uint8Array(m.width * m.height)
      for (let i = 0; i < bin.length; i++) bin[i] = truth[i] >= 128 ? 1 : 0
      await fsp.writeFile(path.join(cache, `${id}.rgb`), image.data)
      await fsp.writeFile(path.join(cache, `${id}.bin`), bin)
      meta = { width, height, gw: image.width, gh: image.height, mw: m.width, mh: m.height }
      await fsp.writeFile(metaFile, JSON.stringify(meta))
      log(`cached ${id}`)
    } else {
      meta = JSON.parse(await fsp.readFile(metaFile, 'utf8'))
    }
    const rgb = new Uint8Array(await fsp.readFile(path.join(cache, `${id}.rgb`)))
    const bin = new Uint8Array(await fsp.readFile(path.join(cache, `${id}.bin`)))
    out.push({
      id,
      width: meta.width,
      height: meta.height,
      image: { width: meta.gw, height: meta.gh, data: rgb },
      truth: { width: meta.mw, height: meta.mh, data: bin },
    })
  }
  return out
}
