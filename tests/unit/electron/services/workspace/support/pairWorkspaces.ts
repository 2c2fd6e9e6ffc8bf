/**
 * The workspaces the save/decision concurrency tests share: one set of generated sources per test
 * file (in a fresh temporary folder named from `prefix`), fresh workspaces made from them by 'ana'
 * (closed after each test, the folder removed after the file), and the API a `serve` tab calls.
 * Call `pairWorkspaces` at the top of a test file: it registers the hooks.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { dispatch } from '../../../../../../shared/api/dispatch'
import type { OpenedPair } from '../../../../../../shared/api/contract'
import type { Result } from '../../../../../../shared/api/result'
import type { LabelMap } from '../../../../../../shared/labels/codes'
import { createApiHandlers } from '../../../../../../electron/services/api'
import { nodeAtomicFs, type AtomicFs } from '../../../../../../electron/services/fs/atomicWrite'
import { CurationSession } from '../../../../../../electron/services/session'
import { openSqlite, type SqliteDatabase } from '../../../../../../electron/services/workspace/sqlite'
import { Workspace } from '../../../../../../electron/services/workspace/workspace'
import { makeSources, resolveUncertain, type Sources } from '../fixtures'

export interface PairWorkspaces {
  /** The temporary folder (sources under `src`). */
  readonly root: string
  readonly sources: Sources
  /** A fresh path under the root, `name-<k>`, never used before. */
  dir(name?: string): string
  /** A fresh workspace over the sources (`images`: another images folder), closed after the test. */
  create(images?: string): Promise<Workspace>
  /** A fresh workspace and a session on it (no scan). */
  session(images?: string): Promise<{ ws: Workspace; session: CurationSession }>
  /** A fresh workspace whose pair `id` is corrected once (`saved`), reopened with `fs` for mask writes. */
  corrected(
    id: string,
    fs?: AtomicFs,
  ): Promise<{ ws: Workspace; source: LabelMap; saved: Awaited<ReturnType<Workspace['saveMask']>> }>
}

export function pairWorkspaces(prefix: string): PairWorkspaces {
  const open: Workspace[] = []
  let root = ''
  let sources: Sources | undefined
  let n = 0
  const dir = (name = 'ws') => path.join(root, `${name}-${n++}`)
  const options = (images: string) => ({
    masks: sources!.masks,
    images: [images],
    curator: 'ana',
  })
  const create = async (images = sources!.images) => {
    const ws = await Workspace.create(dir(), options(images))
    open.push(ws)
    return ws
  }

  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), prefix))
    sources = await makeSources(path.join(root, 'src'))
  })
  afterEach(async () => {
    while (open.length) await open.pop()!.close()
  })
  afterAll(async () => {
    await fsp.rm(root, { recursive: true, force: true })
  })

  return {
    get root() {
      return root
    },
    get sources() {
      return sources!
    },
    dir,
    create,
    async session(images) {
      const ws = await create(images)
      return { ws, session: new CurationSession(ws, { scan: false }) }
    },
    async corrected(id, fs = nodeAtomicFs) {
      const at = dir()
      const created = await Workspace.create(at, options(sources!.images))
      const source = (await created.readCurrentMask(id)).map
      const saved = await created.saveMask(id, resolveUncertain(source, 1, 10))
      await created.close()
      const ws = await Workspace.open(at, { fs })
      open.push(ws)
      return { ws, source, saved }
    },
  }
}

/** The API handlers a `serve` tab reaches on `session`, called through the one dispatcher (schemas checked). */
export function serveApi(session: CurationSession) {
  const handlers = createApiHandlers({
    host: 'serve',
    session: () => session,
    setSession: () => {},
    allowPath: () => false,
    recent: async () => [],
    addRecent: async () => {},
  })
  return async <T>(name: string, args: unknown) => (await dispatch(handlers, name, args)) as Result<T>
}

/** Two tabs opening pair `id` on `session`, and the mask they show (as a label map). */
export async function twoTabs(session: CurationSession, id: string) {
  const tabA = await session.openPair(id)
  const tabB = await session.openPair(id)
  const source: LabelMap = { width: tabA.mask.width, height: tabA.mask.height, data: tabA.mask.data }
  return { tabA, tabB, source }
}

/** `read` on a second, read-only connection to the workspace's SQLite file (what another process sees). */
export function onSqlite<T>(ws: Workspace, read: (db: SqliteDatabase) => T): T {
  const db = openSqlite(path.join(ws.dir, 'workspace.sqlite'), { readonly: true })
  try {
    return read(db)
  } finally {
    db.close()
  }
}

/** The dispatcher call `serveApi` gives. */
export type ServeCall = ReturnType<typeof serveApi>

/** `pair:open` of `id` through `call`, and an edit of its mask (10 uncertain pixels made lesion) as `pair:saveMask`'s arguments. */
export async function openForEdit(call: ServeCall, id: string) {
  const opened = await call<OpenedPair>('pair:open', { id })
  if (!opened.ok) throw new Error(opened.error.message)
  const { width, height, data } = opened.value.mask
  const edit = { id, width, height, data: resolveUncertain({ width, height, data }, 1, 10).data }
  return { base: opened.value.base, edit }
}
