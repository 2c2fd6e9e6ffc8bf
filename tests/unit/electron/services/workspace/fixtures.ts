/**
 * Real sources for workspace tests: masks drawn in code and encoded as real PNGs (8-bit grey, and
 * palette with its own PLTE and tRNS), in a zip (as the ISIC_WSM release) or a folder, and real JPEG
 * images of the same sizes in a folder.
 */
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import yazl from 'yazl'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { encodeMaskPng, type MaskPngFormat } from '../../../../../electron/services/mask/maskPng'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { buildChildBundle } from '../../../../support/childBundle'

export interface MaskSpec {
  id: string
  width: number
  height: number
  kind: 'grey' | 'palette'
  /** Uncertain squares besides the ring (each its own component). */
  blobs?: number
  /** Ring width (uncertain band around the lesion disc); 0 for none. */
  band?: number
}

/** A 256-entry palette that is not the VOC one, so a test can tell it was kept byte for byte. */
export const TEST_PALETTE = Uint8Array.from({ length: 768 }, (_, k) => {
  const i = Math.floor(k / 3)
  return k % 3 === 0 ? i : k % 3 === 1 ? 255 - i : (i * 7) & 255
})
export const TEST_TRNS = Uint8Array.of(0, 128, 255)

export function formatOf(kind: MaskSpec['kind']): MaskPngFormat {
  return kind === 'grey'
    ? { colorType: 0, bitDepth: 8, interlaced: false }
    : { colorType: 3, bitDepth: 8, interlaced: false, palette: TEST_PALETTE, transparency: TEST_TRNS }
}

/** A lesion disc, an uncertain ring around it, and `blobs` uncertain squares along the top edge. */
export function drawMask(spec: MaskSpec): LabelMap {
  const { width, height } = spec
  const band = spec.band ?? Math.max(2, Math.round(Math.min(width, height) / 20))
  const data = new Uint8Array(width * height)
  const cx = width / 2
  const cy = height / 2
  const r = Math.min(width, height) / 4
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy)
      data[y * width + x] = d <= r ? 1 : d <= r + band ? 255 : 0
    }
  }
  const blobs = spec.blobs ?? 2
  for (let b = 0; b < blobs; b++) {
    const x0 = 2 + b * 6
    for (let y = 1; y < 4; y++) for (let x = x0; x < x0 + 3; x++) data[y * width + x] = 255
  }
  return { width, height, data }
}

export const DEFAULT_SPECS: readonly MaskSpec[] = [
  { id: 'ISIC_0000001', width: 96, height: 64, kind: 'grey' },
  { id: 'ISIC_0000002', width: 80, height: 80, kind: 'palette' },
  { id: 'ISIC_0000003', width: 120, height: 90, kind: 'grey', band: 0, blobs: 0 },
  { id: 'ISIC_0000004', width: 64, height: 48, kind: 'grey', band: 8, blobs: 3 },
  { id: 'ISIC_0000005', width: 100, height: 75, kind: 'palette', blobs: 1 },
]

export interface Sources {
  root: string
  masks: string
  images: string
  ids: string[]
  specs: readonly MaskSpec[]
}

function zipBuffer(entries: { name: string; bytes: Buffer }[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile()
    const chunks: Buffer[] = []
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c))
    zip.outputStream.on('error', reject)
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)))
    for (const e of entries) zip.addBuffer(e.bytes, e.name, { mtime: new Date(2020, 0, 1), compress: true })
    zip.end()
  })
}

/** Writes masks (zip or folder) and JPEG images under `root`. */
export async function makeSources(
  root: string,
  options: { specs?: readonly MaskSpec[]; masksAs?: 'zip' | 'folder' } = {},
): Promise<Sources> {
  const specs = options.specs ?? DEFAULT_SPECS
  const images = path.join(root, 'images')
  await fsp.mkdir(images, { recursive: true })
  const entries: { name: string; bytes: Buffer }[] = []
  for (const spec of specs) {
    entries.push({
      name: `ISIC_WSM_labels/${spec.id}.png`,
      bytes: encodeMaskPng(drawMask(spec), formatOf(spec.kind)),
    })
    const jpeg = await sharp({
      create: { width: spec.width, height: spec.height, channels: 3, background: { r: 200, g: 150, b: 120 } },
    })
      .jpeg()
      .toBuffer()
    await fsp.writeFile(path.join(images, `${spec.id}.jpg`), jpeg)
  }
  let masks: string
  if (options.masksAs === 'folder') {
    masks = path.join(root, 'masks-src')
    await fsp.mkdir(path.join(masks, 'ISIC_WSM_labels'), { recursive: true })
    for (const e of entries) await fsp.writeFile(path.join(masks, e.name), e.bytes)
  } else {
    masks = path.join(root, 'ISIC_WSM_labels.zip')
    await fsp.writeFile(masks, await zipBuffer(entries))
  }
  return { root, masks, images, ids: specs.map((s) => s.id), specs }
}

/** A fresh temporary folder (named from `prefix`) with sources under `src` and a workspace in `ws` made from them by 'ana'. */
export async function makeWorkspace(
  prefix: string,
): Promise<{ root: string; sources: Sources; ws: Workspace }> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), prefix))
  const sources = await makeSources(path.join(root, 'src'))
  const ws = await Workspace.create(path.join(root, 'ws'), {
    masks: sources.masks,
    images: [sources.images],
    curator: 'ana',
  })
  return { root, sources, ws }
}

/** What a kill test's child works on: its bundle, and a closed workspace `dir` made by 'setup'. */
export interface KillRig {
  root: string
  outDir: string
  childJs: string
  dir: string
  ids: string[]
  /** Removes the temporary folder and the child's bundle. */
  dispose(): Promise<void>
}

/** Bundles the child script `child` (as `name`) and creates a workspace from fresh sources, then closes it. */
export async function makeKillRig(
  prefix: string,
  child: string,
  name: string,
  options: { specs?: readonly MaskSpec[] } = {},
): Promise<KillRig> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), prefix))
  const { file: childJs, dir: outDir } = await buildChildBundle(child, name)
  const sources = await makeSources(path.join(root, 'src'), options)
  const dir = path.join(root, 'ws')
  const ws = await Workspace.create(dir, { masks: sources.masks, images: [sources.images], curator: 'setup' })
  await ws.close()
  return {
    root,
    outDir,
    childJs,
    dir,
    ids: sources.ids,
    dispose: async () => {
      await fsp.rm(root, { recursive: true, force: true })
      await fsp.rm(outDir, { recursive: true, force: true })
    },
  }
}

/** SHA-256 of every file under `dir`, by relative path (to prove nothing was written there). */
export async function hashTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  const walk = async (d: string) => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else
        out.set(
          path.relative(dir, p),
          createHash('sha256')
            .update(await fsp.readFile(p))
            .digest('hex'),
        )
    }
  }
  await walk(dir)
  return out
}

/** A copy of a map with some pixels changed: `count` uncertain pixels become `to`, in scan order. */
export function resolveUncertain(map: LabelMap, to: 0 | 1, count: number): LabelMap {
  const data = map.data.slice()
  let n = 0
  for (let i = 0; i < data.length && n < count; i++) {
    if (data[i] === 255) {
      data[i] = to
      n++
    }
  }
  return { width: map.width, height: map.height, data }
}

/** Reads a PNG's chunk (raw body) by type, to compare PLTE and tRNS byte for byte. */
export function pngChunk(png: Uint8Array, type: string): Uint8Array | undefined {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  let pos = 8
  while (pos + 12 <= png.length) {
    const len = view.getUint32(pos)
    const t = String.fromCharCode(png[pos + 4], png[pos + 5], png[pos + 6], png[pos + 7])
    if (t === type) return png.subarray(pos + 8, pos + 8 + len)
    pos += 12 + len
  }
  return undefined
}
