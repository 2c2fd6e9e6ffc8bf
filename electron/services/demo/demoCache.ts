import { existsSync, promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { WORKSPACE_FILE } from '../workspace/workspaceConfig'
import { Workspace, type OpenWorkspaceOptions } from '../workspace/workspace'
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

/**
 * The demo as a workspace: the dataset above plus a workspace folder beside it (`<dir>/workspace`),
 * created on first use. What the curator does in the demo persists there like in any workspace.
 */
export async function openDemoWorkspace(
  dir = defaultDemoDir(),
  options: OpenWorkspaceOptions = {},
): Promise<Workspace> {
  const sources = await ensureDemoDataset(dir)
  const workspaceDir = path.join(dir, 'workspace')
  if (!existsSync(path.join(workspaceDir, WORKSPACE_FILE))) {
    const created = await Workspace.create(workspaceDir, { masks: sources.masks, images: sources.images })
    await created.close()
  }
  return Workspace.open(workspaceDir, options)
}

export function defaultDemoDir(): string {
  return process.env.WSM_CURATOR_DEMO_DIR ?? path.join(os.tmpdir(), `wsm-curator-demo-v${DEMO_VERSION}`)
}
