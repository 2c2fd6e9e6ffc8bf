import { existsSync, promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { DatasetSources } from '../dataset'
import { DEMO_PAIRS, generateDemoDataset } from './demoDataset'

/** Bump when the generator's output changes, so stale cached demos are rebuilt. */
const DEMO_VERSION = 1

/**
 * The demo dataset, generated once into a cache folder (or `WSM_CURATOR_DEMO_DIR`) and reused.
 * A marker file written last tells a complete demo from one interrupted half way.
 */
export async function ensureDemoDataset(dir = defaultDemoDir()): Promise<DatasetSources> {
  const marker = path.join(dir, `.complete-v${DEMO_VERSION}`)
  const info = {
    masks: path.join(dir, 'ISIC_WSM_labels.zip'),
    images: [path.join(dir, 'images')],
  }
  if (existsSync(marker)) return info
  await generateDemoDataset(dir, { pairs: DEMO_PAIRS })
  await fsp.writeFile(marker, new Date().toISOString())
  return info
}

export function defaultDemoDir(): string {
  return process.env.WSM_CURATOR_DEMO_DIR ?? path.join(os.tmpdir(), `wsm-curator-demo-v${DEMO_VERSION}`)
}
