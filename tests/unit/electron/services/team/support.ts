/**
 * Fixtures of the team tests: one dataset (small real PNG masks and JPEG images, generated), and
 * workspaces made on it for the lead and each curator — each curator has the same sources on their
 * own disk, as in a real team.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { TeamLocal } from '../../../../../electron/services/team/localState'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { postgresSkipReason, startPostgres, type PostgresServer } from '../../../../support/postgres'
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

/**
 * For a test file: a throwaway PostgreSQL and a dataset of `n` team pairs under a temp folder named
 * `prefix`, started before its tests and removed after (nothing when PostgreSQL is absent: the
 * tests skip with `postgresSkipReason`). Read the fields inside the tests.
 */
export function teamServer(
  prefix: string,
  n: number,
): { readonly server: PostgresServer; readonly root: string; readonly sources: Sources } {
  const state: { server?: PostgresServer; root?: string; sources?: Sources } = {}
  beforeAll(async () => {
    if (postgresSkipReason !== null) return
    state.root = await fsp.mkdtemp(path.join(os.tmpdir(), prefix))
    ;[state.server, state.sources] = await Promise.all([startPostgres(), teamSources(state.root, n)])
  })
  afterAll(async () => {
    await state.server?.stop()
    if (state.root) await fsp.rm(state.root, { recursive: true, force: true })
  })
  return {
    get server() {
      return state.server!
    },
    get root() {
      return state.root!
    },
    get sources() {
      return state.sources!
    },
  }
}

/** The ids of the assignments the workspace's last sync pulled. */
export function pulled(dir: string): string[] {
  const local = TeamLocal.open(dir)
  try {
    return local.assignedIds()
  } finally {
    local.close()
  }
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
