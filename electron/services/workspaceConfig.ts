import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { CodedError } from '../../shared/api/errors'
import type { DatasetSources } from './dataset'

export const WORKSPACE_FILE = 'workspace.json'

/** Reads the sources a workspace folder names in its workspace.json (paths relative to the folder). */
export async function readWorkspaceSources(dir: string): Promise<DatasetSources> {
  const file = path.join(path.resolve(dir), WORKSPACE_FILE)
  let raw: string
  try {
    raw = await fsp.readFile(file, 'utf8')
  } catch {
    throw new CodedError('not-found', `${file} not found: is ${dir} a workspace?`, file)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new CodedError('bad-request', `${file} is not valid JSON`, file)
  }
  const sources = (parsed as { sources?: { masks?: unknown; images?: unknown } }).sources
  if (
    !sources ||
    typeof sources.masks !== 'string' ||
    !Array.isArray(sources.images) ||
    !sources.images.every((p): p is string => typeof p === 'string')
  ) {
    throw new CodedError(
      'bad-request',
      `${file}: sources.masks (string) and sources.images (strings) are required`,
      file,
    )
  }
  const base = path.dirname(file)
  return {
    masks: path.resolve(base, sources.masks),
    images: sources.images.map((p) => path.resolve(base, p)),
  }
}
