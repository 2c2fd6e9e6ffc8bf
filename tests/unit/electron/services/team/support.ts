/**
 * Fixtures of the team tests: one dataset (small real PNG masks and JPEG images, generated), and
 * workspaces made on it for the lead and each curator — each curator has the same sources on their
 * own disk, as in a real team.
 */
import path from 'node:path'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { makeSources, type MaskSpec, type Sources } from '../workspace/fixtures'

export function teamSpecs(n: number): MaskSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `ISIC_${String(1_000_000 + i).padStart(7, '0')}`,
    width: 24 + (i % 3) * 4,
    height: 20,
    kind: i % 2 === 0 ? 'grey' : 'palette',
    band: 2,
    blobs: 0,
  }))
}

export function teamSources(root: string, n: number): Promise<Sources> {
  return makeSources(path.join(root, 'sources'), { specs: teamSpecs(n) })
}

export async function makeWorkspace(root: string, name: string, sources: Sources): Promise<string> {
  const dir = path.join(root, name)
  const ws = await Workspace.create(dir, { masks: sources.masks, images: [sources.images], curator: name })
  await ws.close()
  return dir
}

/** Opens a workspace writable, runs `fn`, closes it. */
export async function inWorkspace<T>(dir: string, fn: (ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await Workspace.open(dir)
  try {
    return await fn(ws)
  } finally {
    await ws.close()
  }
}

/** The source mask with its uncertain pixels set: lesion on the first `k` of them (scan order), background on the rest. */
export function resolved(source: LabelMap, k: number): LabelMap {
  const data = source.data.slice()
  let n = 0
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 255) data[i] = n++ < k ? 1 : 0
  }
  return { width: source.width, height: source.height, data }
}
