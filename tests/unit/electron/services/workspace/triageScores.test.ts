/**
 * The triage room on a real workspace (real PNG masks in a zip, real JPEG images, real SQLite, the
 * real worker thread): scores stored with their key, unchanged pairs skipped, a changed image or a
 * save rescored, an unreadable image scored from the mask alone with `image-unreadable`, listings by
 * score and filters by reason and score bounds.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TRIAGE_REASON_CODES } from '../../../../../shared/labels/triage/types'
import { defaultScanner } from '../../../../../electron/services/workspace/statsScan'
import { TRIAGE_MODEL_TAG, TriageRoom } from '../../../../../electron/services/workspace/triageScores'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { makeWorkspace, resolveUncertain, type Sources } from './fixtures'

let root: string
let sources: Sources
let ws: Workspace

beforeEach(async () => {
  ;({ root, sources, ws } = await makeWorkspace('wsm-triage-'))
  await ws.startStatsScan({ workers: 0 })
})

afterEach(async () => {
  await ws.close()
  await fsp.rm(root, { recursive: true, force: true })
})

function keyOf(id: string): string | null {
  return ws.store.db.prepare('SELECT triage_key FROM pairs WHERE id = ?').pluck().get(id) as string | null
}

describe('Workspace triage pass', () => {
  it('the statistics scan stores the mask-only score of every pair at once, keyless (the image pass refines it)', () => {
    for (const id of sources.ids) {
      const t = ws.triage(id)!
      expect(t, id).not.toBeNull()
      expect(t.withImage).toBe(false)
      expect(t.score).toBeGreaterThanOrEqual(0)
      expect(t.score).toBeLessThanOrEqual(1)
      expect(t.reasons.some((r) => r.code === 'image-unreadable')).toBe(false)
      expect(keyOf(id)).toBeNull()
    }
    // Keyless scores count as not scored yet: the image pass has them all to do.
    expect(ws.triageUnscoredCount()).toBe(5)
    expect(
      ws
        .triageAll()
        .map((p) => p.id)
        .sort(),
    ).toEqual([...sources.ids].sort())
  })

  it('scores every pair with statistics on a worker thread, then skips them all while nothing changed', async () => {
    expect(ws.triageUnscoredCount()).toBe(5)
    const first = await ws.startTriagePass({ workers: 1 })
    expect(first).toMatchObject({ done: 5, toScore: 5, failed: 0, aborted: false })
    expect(ws.triageUnscoredCount()).toBe(0)
    for (const id of sources.ids) {
      const t = ws.triage(id)!
      expect(t.score).toBeGreaterThanOrEqual(0)
      expect(t.score).toBeLessThanOrEqual(1)
      expect(t.withImage).toBe(true)
      for (const r of t.reasons) expect(TRIAGE_REASON_CODES).toContain(r.code)
      expect(keyOf(id)).toMatch(/^s:z:\d+:\d+\|f:\d+:[\d.]+\|m:[0-9a-f]{12}$/)
    }
    const again = await ws.startTriagePass({ workers: 1 })
    expect(again).toMatchObject({ done: 0, toScore: 0, skipped: 5 })
  })

  it('lists by score (highest first, as triageAll) and filters by reason and score bounds', async () => {
    await ws.startTriagePass({ workers: 0 })
    // The fixture's flat-coloured images give the five pairs one score: spread them (in an order
    // that is not the ids') so that the listing's order is by score, not by the tie rule.
    const spread = ws.store.db.prepare('UPDATE pairs SET triage_score = ? WHERE id = ?')
    sources.ids.forEach((id, k) => spread.run([0.41, 0.93, 0.17, 0.66, 0.8][k], id))
    const all = ws.triageAll()
    expect(new Set(all.map((t) => t.score)).size).toBe(5)
    expect(all.map((t) => t.score)).toEqual([...all.map((t) => t.score)].sort((a, b) => b - a))
    const listed = ws.listPairs({ sort: 'score', order: 'desc' }).items.map((i) => i.id)
    // Equal scores (rounded to 3 decimals) are listed by id in the sort's direction.
    expect(listed).toEqual(
      [...all].sort((a, b) => b.score - a.score || b.id.localeCompare(a.id)).map((t) => t.id),
    )
    const mid = all[2].score
    expect(ws.listIds({ scoreMin: mid }).sort()).toEqual(
      all
        .filter((t) => t.score >= mid)
        .map((t) => t.id)
        .sort(),
    )
    expect(ws.listIds({ scoreMax: mid }).sort()).toEqual(
      all
        .filter((t) => t.score <= mid)
        .map((t) => t.id)
        .sort(),
    )
    const code = all.flatMap((t) => t.reasons.map((r) => r.code))[0]
    expect(code).toBeDefined()
    expect(ws.listIds({ reason: code }).sort()).toEqual(
      all
        .filter((t) => t.reasons.some((r) => r.code === code))
        .map((t) => t.id)
        .sort(),
    )
    expect(ws.listIds({ reason: 'no-such-reason' })).toEqual([])
  })

  it('an unreadable image gives the mask-only score with image-unreadable, not a crash', async () => {
    const id = sources.ids[2]
    await fsp.writeFile(path.join(sources.images, `${id}.jpg`), Buffer.from('not a jpeg at all'))
    const r = await ws.startTriagePass({ workers: 1 })
    expect(r).toMatchObject({ done: 5, failed: 0 })
    const t = ws.triage(id)!
    expect(t.withImage).toBe(false)
    expect(t.reasons.map((x) => x.code)).toContain('image-unreadable')
    expect(ws.triage(sources.ids[0])!.withImage).toBe(true)
  })

  it('rescores a pair whose image changed, and only that one', async () => {
    await ws.startTriagePass({ workers: 0 })
    const id = sources.ids[1]
    const file = path.join(sources.images, `${id}.jpg`)
    const later = new Date(Date.now() + 5000)
    await fsp.utimes(file, later, later)
    const before = keyOf(id)
    const r = await ws.startTriagePass({ workers: 0 })
    expect(r).toMatchObject({ done: 1, toScore: 1 })
    expect(keyOf(id)).not.toBe(before)
  })

  it('rescores the pairs scored under another model or measures version (a refit model), and only those', async () => {
    await ws.startTriagePass({ workers: 0 })
    expect(TRIAGE_MODEL_TAG).toMatch(/^[0-9a-f]{12}$/)
    const older = sources.ids.slice(0, 2)
    const kept = new Map(sources.ids.slice(2).map((id) => [id, keyOf(id)]))
    for (const id of older) {
      const key = keyOf(id)!
      expect(key.endsWith(`|m:${TRIAGE_MODEL_TAG}`)).toBe(true)
      ws.store.db
        .prepare('UPDATE pairs SET triage_key = ? WHERE id = ?')
        .run(key.replace(`|m:${TRIAGE_MODEL_TAG}`, '|m:000000000000'), id)
    }
    const r = await ws.startTriagePass({ workers: 0 })
    expect(r).toMatchObject({ done: 2, toScore: 2, skipped: 3 })
    for (const id of older) expect(keyOf(id)!.endsWith(`|m:${TRIAGE_MODEL_TAG}`)).toBe(true)
    for (const [id, key] of kept) expect(keyOf(id)).toBe(key)
  })

  it('rescores a pair after its save (off the save), keyed by the corrected mask; the pass then skips it', async () => {
    await ws.startTriagePass({ workers: 0 })
    const id = sources.ids[0]
    const before = ws.triage(id)!
    const current = await ws.readCurrentMask(id)
    // The uncertain band resolved to lesion: a different mask, so a different score.
    const saved = await ws.saveMask(id, resolveUncertain(current.map, 1, Number.MAX_SAFE_INTEGER))
    // Until the rescore commits, the old mask's score is gone: the pair is not scored yet.
    expect(ws.triage(id)).toBeNull()
    expect(
      ws.store.db
        .prepare('SELECT triage_score, triage_reasons, triage_key, triage_image FROM pairs WHERE id = ?')
        .get(id),
    ).toEqual({ triage_score: null, triage_reasons: null, triage_key: null, triage_image: null })
    expect(ws.triageAll().map((p) => p.id)).not.toContain(id)
    await ws.triageSettled()
    expect(keyOf(id)!.startsWith(`c:${saved.sha256}|f:`)).toBe(true)
    expect(ws.triage(id)!.withImage).toBe(true)
    const after = ws.triage(id)!
    expect(after.score).not.toBe(before.score)
    expect(await ws.startTriagePass({ workers: 0 })).toMatchObject({ done: 0, toScore: 0 })
  })

  it('saves in quick succession: the rescores run one at a time and the pair ends keyed by its last mask', async () => {
    await ws.startTriagePass({ workers: 0 })
    const id = sources.ids[1]
    const current = await ws.readCurrentMask(id)
    const toLesion = resolveUncertain(current.map, 1, Number.MAX_SAFE_INTEGER)
    const toBackground = resolveUncertain(current.map, 0, Number.MAX_SAFE_INTEGER)
    let running = 0
    let most = 0
    const original = TriageRoom.prototype.rescore
    const spy = vi.spyOn(TriageRoom.prototype, 'rescore').mockImplementation(async function (
      this: TriageRoom,
      pairId: string,
    ) {
      running++
      most = Math.max(most, running)
      try {
        return await original.call(this, pairId)
      } finally {
        running--
      }
    })
    try {
      await ws.saveMask(id, toLesion)
      await ws.saveMask(id, toBackground)
      const last = await ws.saveMask(id, toLesion)
      await ws.triageSettled()
      expect(most).toBe(1)
      // The second and third saves came while the first rescore waited or ran: at most two ran.
      expect(spy.mock.calls.length).toBeLessThanOrEqual(2)
      expect(keyOf(id)!.startsWith(`c:${last.sha256}|f:`)).toBe(true)
    } finally {
      spy.mockRestore()
    }
  })

  it('a rescan of the same source mask keeps its image score (keyed by that mask); a changed key is replaced', async () => {
    await ws.startTriagePass({ workers: 0 })
    const [id, other] = sources.ids
    const key = keyOf(id)!
    const scoreOf = (pair: string) => ws.triage(pair)!
    const before = scoreOf(id)
    expect(before.withImage).toBe(true)
    // Forget both pairs' statistics (same files, same fingerprints): the scan analyses them again.
    // The other pair's stored key is made to name another mask: its image score must go.
    ws.store.db.prepare('UPDATE pairs SET uncertain_fraction = NULL WHERE id IN (?, ?)').run(id, other)
    ws.store.db.prepare(`UPDATE pairs SET triage_key = 's:elsewhere|' || triage_key WHERE id = ?`).run(other)
    const scan = await ws.startStatsScan({ workers: 0 })
    expect(scan.done).toBe(2)
    expect(keyOf(id)).toBe(key)
    expect(scoreOf(id)).toEqual(before)
    expect(keyOf(other)).toBeNull()
    expect(scoreOf(other).withImage).toBe(false)
    expect(ws.store.db.prepare('SELECT triage_image FROM pairs WHERE id = ?').pluck().get(other)).toBe(0)
  })

  it('a mask analysed without a score gets no image flag next to its missing score', async () => {
    const dir = path.join(root, 'ws-noscore')
    await (
      await Workspace.create(dir, { masks: sources.masks, images: [sources.images], curator: 'ana' })
    ).close()
    const noScore = await Workspace.open(dir, {
      scanner: (dataset, request) =>
        defaultScanner(dataset, {
          ...request,
          onResult: (r) => request.onResult({ ...r, triage: undefined }),
        }),
    })
    try {
      await noScore.startStatsScan({ workers: 0 })
      const rows = noScore.store.db
        .prepare('SELECT uncertain_fraction, triage_score, triage_image FROM pairs WHERE idx IS NOT NULL')
        .all() as {
        uncertain_fraction: number | null
        triage_score: number | null
        triage_image: number | null
      }[]
      expect(rows).toHaveLength(5)
      for (const r of rows) {
        expect(r.uncertain_fraction).not.toBeNull()
        expect(r.triage_score).toBeNull()
        expect(r.triage_image).toBeNull()
      }
    } finally {
      await noScore.close()
    }
  })

  it('an aborted pass keeps what it committed and the next one resumes with the rest', async () => {
    const controller = new AbortController()
    const r = await ws.startTriagePass({
      signal: controller.signal,
      workers: 0,
      onProgress: (p) => {
        if (p.done >= 2) controller.abort()
      },
    })
    expect(r).toMatchObject({ aborted: true, done: 2 })
    // Committed at the end of the aborted run: only the other three are left.
    expect(ws.triageUnscoredCount()).toBe(3)
    expect(await ws.startTriagePass({ workers: 1 })).toMatchObject({ done: 3, toScore: 3, aborted: false })
    expect(ws.triageUnscoredCount()).toBe(0)
  })

  it('a save whose image is gone still succeeds, and its pair is rescored from the mask alone', async () => {
    await ws.startTriagePass({ workers: 0 })
    const id = sources.ids[3]
    // Read before the image goes: readCurrentMask checks the mask's size against the image's header (535ce65).
    const current = await ws.readCurrentMask(id)
    await fsp.rm(path.join(sources.images, `${id}.jpg`))
    const saved = await ws.saveMask(id, resolveUncertain(current.map, 0, 10))
    expect(saved.status).toBe('corrected')
    await ws.triageSettled()
    const t = ws.triage(id)!
    expect(t.withImage).toBe(false)
    expect(t.reasons.map((r) => r.code)).toContain('image-unreadable')
    expect(keyOf(id)!.startsWith(`c:${saved.sha256}|i:?|`)).toBe(true)
  })
})

describe('TriageRoom.record', () => {
  it('a failed result keeps no key, so the next pass retries it (a transient read error is not final)', async () => {
    const room = new TriageRoom(ws)
    const { items } = await room.stale()
    const [failed, ...rest] = items
    room.record(
      rest.map((i) => ({ index: i.index, id: i.id, key: i.key, score: 0.5, reasons: [], withImage: true })),
    )
    room.record([{ index: failed.index, id: failed.id, key: failed.key, error: 'EIO: transient' }])
    expect(ws.triage(failed.id)).toBeNull()
    expect(keyOf(failed.id)).toBeNull()
    const again = await room.stale()
    expect(again.items.map((i) => i.id)).toEqual([failed.id])
    expect(await ws.startTriagePass({ workers: 0 })).toMatchObject({ done: 1, toScore: 1, failed: 0 })
    expect(ws.triage(failed.id)!.score).toBeGreaterThanOrEqual(0)
  })
})
