import { promises as fsp } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { Dataset } from '../electron/services/dataset'
import { DEMO_PAIRS, generateDemoDataset } from '../electron/services/demo/demoDataset'
import type { Metric } from './index'
import { ZipReader } from '../electron/services/zip/zipReader'

/** Median of `runs` timings of fn, after one warm-up. */
export async function medianMs(runs: number, fn: () => unknown): Promise<number> {
  await fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await fn()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

/**
 * Opening one pair (zip entry read + exact mask decode + image read) for the largest demo pair,
 * against the floor: reading the same bytes and sharp's decode of the same mask PNG.
 */
export async function benchPairOpen(work: string): Promise<Metric[]> {
  const dir = path.join(work, 'demo')
  const largest = [...DEMO_PAIRS].sort((a, b) => b.width * b.height - a.width * a.height)[0]
  await generateDemoDataset(dir, { pairs: [largest] })
  const masks = path.join(dir, 'ISIC_WSM_labels.zip')
  // No prefetch cache: every open below is a real one (read, decode, checks).
  const dataset = await Dataset.open({ masks, images: [path.join(dir, 'images')] }, { prefetchBytes: 0 })
  const zip = await ZipReader.open(masks)
  const entry = zip.entries[0]
  const imagePath = path.join(dir, 'images', `${largest.id}.jpg`)
  try {
    const open = await medianMs(15, () => dataset.openPair(0))
    const floor = await medianMs(15, async () => {
      const [png] = await Promise.all([zip.read(entry), fsp.readFile(imagePath)])
      await sharp(png).raw().toBuffer()
    })
    return [
      {
        name: 'pair_open_ms',
        value: open,
        unit: 'ms',
        floor,
        ratio: open / floor,
        note: `${largest.width}×${largest.height}, in process; floor = same reads + sharp decode of the mask`,
      },
    ]
  } finally {
    await zip.close()
    await dataset.close()
  }
}
