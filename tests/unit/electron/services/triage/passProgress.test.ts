/**
 * The triage pass as the app runs it (CurationSession on a real workspace: real PNG masks in a zip,
 * real JPEGs, real SQLite, the real worker threads): the statistics scan leaves every pair its
 * mask-only score, then the image pass refines them, its progress in workspace:info (the status
 * bar's "scoring n / N"), until every pair has its image score.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { TriagePassStatus, WorkspaceInfo } from '../../../../../shared/api/contract'
import { CurationSession } from '../../../../../electron/services/session'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { makeSources, type Sources } from '../workspace/fixtures'

let root: string
let sources: Sources
let session: CurationSession | undefined

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-triage-progress-'))
  sources = await makeSources(path.join(root, 'src'))
})

afterEach(async () => {
  await session?.close()
  session = undefined
  await fsp.rm(root, { recursive: true, force: true })
})

describe('the triage pass in workspace:info', () => {
  it('reports its progress after the scan and ends with every pair scored with its image', async () => {
    const ws = await Workspace.create(path.join(root, 'ws'), {
      masks: sources.masks,
      images: [sources.images],
      curator: 'ana',
    })
    session = new CurationSession(ws)
    const seen: TriagePassStatus[] = []
    let info: WorkspaceInfo = session.info()
    // Not started while the scan runs.
    if (info.scan?.running) expect(info.triage).toBeNull()
    await vi.waitFor(
      () => {
        info = session!.info()
        if (info.triage) seen.push(info.triage)
        if (info.scan?.running !== false || info.triage?.running !== false) throw new Error('still running')
      },
      { timeout: 60_000, interval: 5 },
    )
    expect(info.scan).toMatchObject({ running: false, error: null })
    expect(info.triage).toEqual({ running: false, done: 5, toScore: 5, skipped: 0, failed: 0, error: null })
    // Counts only grow, and never past the total.
    const done = seen.map((s) => s.done)
    expect(done).toEqual([...done].sort((a, b) => a - b))
    for (const s of seen) expect(s.done).toBeLessThanOrEqual(Math.max(s.toScore, 0))
    for (const id of sources.ids) expect(session.pairTriage(id)?.withImage, id).toBe(true)
  })

  it('a reopened workspace whose scores are current has nothing to score', async () => {
    const dir = path.join(root, 'ws')
    session = new CurationSession(
      await Workspace.create(dir, { masks: sources.masks, images: [sources.images], curator: 'ana' }),
    )
    await vi.waitFor(
      () => {
        const i = session!.info()
        if (i.scan?.running !== false || i.triage?.running !== false) throw new Error('still running')
      },
      { timeout: 60_000, interval: 5 },
    )
    await session.close()
    session = new CurationSession(await Workspace.open(dir))
    await vi.waitFor(
      () => {
        const i = session!.info()
        if (i.scan?.running !== false || i.triage?.running !== false) throw new Error('still running')
      },
      { timeout: 60_000, interval: 5 },
    )
    expect(session.info().triage).toMatchObject({ running: false, done: 0, toScore: 0, skipped: 5 })
  })
})
