/**
 * The queue's rows carry the triage score (qa7 #14a): sorted by score, the list shows each row's
 * score, read with the page (a few hundred rows), on a real workspace with real SQLite.
 */
import { promises as fsp } from 'node:fs'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { CurationSession } from '../../../../../electron/services/session'
import type { Workspace } from '../../../../../electron/services/workspace/workspace'
import { makeWorkspace, type Sources } from './fixtures'

let root: string
let sources: Sources
let ws: Workspace

beforeEach(async () => {
  ;({ root, sources, ws } = await makeWorkspace('wsm-queue-score-'))
})

afterEach(async () => {
  await ws.close()
  await fsp.rm(root, { recursive: true, force: true })
})

it('queue:page gives each row its triage score, null for a pair not scored yet', async () => {
  const session = new CurationSession(ws, { scan: false })
  session.setQueue({ sort: 'id', order: 'asc' })
  expect(session.queuePage(0, 10).items.map((i) => i.score)).toEqual(sources.ids.map(() => null))

  await ws.startStatsScan({ workers: 0 })
  await ws.startTriagePass({ workers: 0 })
  const spread = ws.store.db.prepare('UPDATE pairs SET triage_score = ? WHERE id = ?')
  const scores = [0.41, 0.93, 0.17, 0.66, 0.8]
  sources.ids.forEach((id, k) => spread.run(scores[k], id))
  session.setQueue({ sort: 'score', order: 'desc' })
  const items = session.queuePage(0, 10).items
  expect(items.map((i) => i.score)).toEqual([...scores].sort((a, b) => b - a))
  for (const item of items) expect(item.score).toBe(ws.triage(item.id)?.score)
})
