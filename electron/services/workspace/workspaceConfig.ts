/**
 * `workspace.json`: what a curation workspace is about — its read-only sources and its curator.
 *
 *   { "format": "wsm-curator-workspace", "version": 1,
 *     "sources": { "masks": "/data/ISIC_WSM_labels.zip", "images": ["/data/images"] },
 *     "curator": "ana", "createdAt": "2025-01-01T00:00:00.000Z" }
 *
 * Source paths are stored absolute; a relative path is resolved against the workspace folder (so a
 * hand-written file may say `"../images"`).
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import type { DatasetSources } from '../dataset'
import { atomicWriteFile } from '../fs/atomicWrite'

export const WORKSPACE_FILE = 'workspace.json'
export const WORKSPACE_FORMAT = 'wsm-curator-workspace'
export const WORKSPACE_CONFIG_VERSION = 1

export interface WorkspaceConfig {
  format: typeof WORKSPACE_FORMAT
  version: number
  sources: DatasetSources
  /** The default curator name recorded in the audit trail (a session may override it). */
  curator?: string
  createdAt?: string
}

/** Reads and checks `<dir>/workspace.json`. Source paths come back absolute. */
export async function readWorkspaceConfig(dir: string): Promise<WorkspaceConfig> {
  const file = path.join(path.resolve(dir), WORKSPACE_FILE)
  let raw: string
  try {
    raw = await fsp.readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CodedError('not-found', `${file} not found: is ${dir} a workspace?`, file)
    throw new CodedError(
      'io-error',
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      file,
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new CodedError('bad-request', `${file} is not valid JSON`, file)
  }
  const obj = (parsed ?? {}) as {
    format?: unknown
    version?: unknown
    sources?: { masks?: unknown; images?: unknown }
    curator?: unknown
    createdAt?: unknown
  }
  const sources = obj.sources
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
  const version = obj.version === undefined ? 1 : obj.version
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new CodedError('bad-request', `${file}: version must be a positive integer`, file)
  }
  if (version > WORKSPACE_CONFIG_VERSION) {
    throw new CodedError(
      'workspace-version',
      `${file} has version ${version}; this app reads up to ${WORKSPACE_CONFIG_VERSION}: update WSM Curator`,
      file,
    )
  }
  const base = path.dirname(file)
  const config: WorkspaceConfig = {
    format: WORKSPACE_FORMAT,
    version,
    sources: {
      masks: path.resolve(base, sources.masks),
      images: sources.images.map((p) => path.resolve(base, p)),
    },
  }
  if (typeof obj.curator === 'string' && obj.curator.trim() !== '') config.curator = obj.curator.trim()
  if (typeof obj.createdAt === 'string') config.createdAt = obj.createdAt
  return config
}

/** Writes `<dir>/workspace.json` atomically (source paths made absolute). */
export async function writeWorkspaceConfig(dir: string, config: WorkspaceConfig): Promise<void> {
  const abs = path.resolve(dir)
  const body: WorkspaceConfig = {
    format: WORKSPACE_FORMAT,
    version: config.version,
    sources: {
      masks: path.resolve(abs, config.sources.masks),
      images: config.sources.images.map((p) => path.resolve(abs, p)),
    },
  }
  if (config.curator !== undefined) body.curator = config.curator
  if (config.createdAt !== undefined) body.createdAt = config.createdAt
  await atomicWriteFile(path.join(abs, WORKSPACE_FILE), Buffer.from(JSON.stringify(body, null, 2) + '\n'))
}

/** Reads the sources a workspace folder names in its workspace.json (absolute paths). */
export async function readWorkspaceSources(dir: string): Promise<DatasetSources> {
  return (await readWorkspaceConfig(dir)).sources
}
