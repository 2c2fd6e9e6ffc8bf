import { readFileSync } from 'node:fs'
import path from 'node:path'
import { decodeMaskPng, readPngHeader } from '../../../electron/services/mask/maskPng'
import { ZipReader } from '../../../electron/services/zip/zipReader'
import { LABEL_UNCERTAIN, type LabelMap } from '../../../shared/labels/codes'
import type { Page } from '@playwright/test'

/** The source mask of a demo pair, decoded exactly from the demo zip. */
export async function sourceMask(masksZip: string, id: string): Promise<LabelMap & { colorType: number }> {
  const zip = await ZipReader.open(masksZip)
  try {
    const entry = zip.getEntry(`ISIC_WSM_labels/${id}.png`)
    if (!entry) throw new Error(`${id} not in ${masksZip}`)
    const bytes = await zip.read(entry)
    const d = decodeMaskPng(bytes)
    return { width: d.width, height: d.height, data: d.data, colorType: d.format.colorType }
  } finally {
    await zip.close()
  }
}

/** A saved mask file, decoded exactly, with its PNG colour type. */
export function savedMask(workspace: string, id: string): LabelMap & { colorType: number } {
  const bytes = readFileSync(path.join(workspace, 'masks', `${id}.png`))
  const d = decodeMaskPng(bytes)
  return { width: d.width, height: d.height, data: d.data, colorType: readPngHeader(bytes).colorType }
}

export function count(map: LabelMap, value: number): number {
  let n = 0
  for (const v of map.data) if (v === value) n++
  return n
}

/** A pixel whose whole (2r+1)² neighbourhood is uncertain: a safe place to paint inside the band. */
export function uncertainPoint(map: LabelMap, r: number, skip = 0): { x: number; y: number } {
  const { width, height, data } = map
  let found = 0
  for (let y = r; y < height - r; y += 3) {
    for (let x = r; x < width - r; x += 3) {
      let all = true
      for (let dy = -r; dy <= r && all; dy++)
        for (let dx = -r; dx <= r && all; dx++)
          if (data[(y + dy) * width + x + dx] !== LABEL_UNCERTAIN) all = false
      if (all && found++ === skip) return { x, y }
    }
  }
  throw new Error('no uncertain neighbourhood found')
}

/**
 * Where an image pixel's centre lands on the page: the pair is fitted inside `editor-canvas`
 * (zoom = min(cw/w, ch/h), centred), the automation contract of the editor.
 */
export async function toPage(
  page: Page,
  map: LabelMap,
  p: { x: number; y: number },
): Promise<{ x: number; y: number }> {
  const box = (await page.getByTestId('editor-canvas').boundingBox())!
  const zoom = Math.min(box.width / map.width, box.height / map.height)
  const ox = (box.width - map.width * zoom) / 2
  const oy = (box.height - map.height * zoom) / 2
  return { x: box.x + ox + (p.x + 0.5) * zoom, y: box.y + oy + (p.y + 0.5) * zoom }
}
