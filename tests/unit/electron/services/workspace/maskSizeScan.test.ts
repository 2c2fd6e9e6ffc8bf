/**
 * A workspace whose source mask has another size than its image (QA 6, finding 2): the statistics
 * scan reads the image's header and records `mask-size` as the pair's problem (stats, the Problems
 * filter, the queue's ⚠ and the review rules all see it), rows scanned before the size check are
 * scanned again once, and the triage pass scores the pair from its mask alone with reason `mask-size`
 * instead of stretching the image onto it.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { reviewCommand } from '../../../../../electron/cli/commands/review'
import { statsCommand } from '../../../../../electron/cli/commands/stats'
import { encodeMaskPng } from '../../../../../electron/services/mask/maskPng'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { runCommand } from '../../../../support/cli'
import { drawMask } from './fixtures'

const W = 96
const H = 72
const RIGHT = 'ISIC_0000001'
const SMALL = 'ISIC_0000002'
const UNREADABLE_IMAGE = 'ISIC_0000003'
const grey = { colorType: 0, bitDepth: 8, interlaced: false } as const

let root: string
let ws: Workspace

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-masksize-'))
  const masks = path.join(root, 'masks')
  const images = path.join(root, 'images')
  await fsp.mkdir(masks)
  await fsp.mkdir(images)
  for (const id of [RIGHT, UNREADABLE_IMAGE]) {
    await fsp.writeFile(
      path.join(masks, `${id}.png`),
      encodeMaskPng(drawMask({ id, width: W, height: H, kind: 'grey' }), grey),
    )
  }
  // Half the image's size in each direction.
  await fsp.writeFile(
    path.join(masks, `${SMALL}.png`),
    encodeMaskPng(drawMask({ id: SMALL, width: W / 2, height: H / 2, kind: 'grey' }), grey),
  )
  const rgb = new Uint8Array(W * H * 3)
  for (let i = 0; i < W * H; i++) {
    const inside = Math.hypot((i % W) + 0.5 - W / 2, Math.floor(i / W) + 0.5 - H / 2) <= H / 4
    rgb.set(inside ? [90, 60, 40] : [220, 180, 160], i * 3)
  }
  for (const id of [RIGHT, SMALL]) {
    await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
      .jpeg({ quality: 95 })
      .toFile(path.join(images, `${id}.jpg`))
  }
  // Not a JPEG at all: its header does not read, which is not the mask's problem.
  await fsp.writeFile(path.join(images, `${UNREADABLE_IMAGE}.jpg`), 'not an image')
  ws = await Workspace.create(path.join(root, 'ws'), { masks, images: [images], curator: 'ana' })
  await ws.startStatsScan({ workers: 0 })
})

afterEach(async () => {
  await ws.close()
  await fsp.rm(root, { recursive: true, force: true })
})

function scanError(id: string): string | null {
  return (
    ws.store.db.prepare('SELECT scan_error FROM pairs WHERE id = ?').get(id) as { scan_error: string | null }
  ).scan_error
}

describe('a source mask of another size than its image', () => {
  it('the statistics scan records mask-size as its problem, with its statistics; the others have none', () => {
    expect(scanError(SMALL)).toBe('mask-size')
    expect(scanError(RIGHT)).toBeNull()
    expect(scanError(UNREADABLE_IMAGE)).toBeNull()
    const stats = ws.stats()
    expect(stats.scanProblems).toBe(1)
    expect(stats.scanProblemCodes).toEqual({ 'mask-size': 1 })
    expect(ws.pairState(SMALL)).toMatchObject({
      scanError: 'mask-size',
      stats: { width: W / 2, height: H / 2 },
    })
    expect(ws.listPairs({ problem: 'mask-size' }).items.map((p) => p.id)).toEqual([SMALL])
    // Its mask-only score from the scan says why the image is not used.
    expect(ws.triage(SMALL)?.reasons[0]).toEqual({ code: 'mask-size', score: 1 })
  })

  it('rows scanned before the size check are scanned again, once, resuming after an abort', async () => {
    await ws.startTriagePass({ workers: 0 })
    const imageScore = ws.triage(RIGHT)
    expect(imageScore?.withImage).toBe(true)
    // As an older app left it: no scan version, the wrong-size mask recorded without a problem.
    ws.store.db.prepare('UPDATE pairs SET scan_error = NULL WHERE id = ?').run(SMALL)
    ws.store.db.prepare(`DELETE FROM meta WHERE key = 'statsScanVersion'`).run()
    const controller = new AbortController()
    const first = await ws.startStatsScan({
      workers: 0,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 1) controller.abort()
      },
    })
    expect(first).toMatchObject({ toScan: 3, done: 1, aborted: true })
    const rest = await ws.startStatsScan({ workers: 0 })
    expect(rest).toMatchObject({ toScan: 2, skipped: 1, aborted: false })
    expect(scanError(SMALL)).toBe('mask-size')
    // Only the pair whose image header does not read is looked at again (review 6b, finding 3).
    expect((await ws.startStatsScan({ workers: 0 })).toScan).toBe(1)
    // The image score of the right pair was kept: the triage pass redoes only the wrong-size pair (a
    // mask-only score is never kept by a rescan). The pair whose image does not read keeps the
    // mask-only score of the scan, unkeyed until a scan checks its image (review 6b, finding 3).
    expect(ws.triage(RIGHT)).toEqual(imageScore)
    expect(await ws.startTriagePass({ workers: 0 })).toMatchObject({ toScore: 1, skipped: 2, failed: 0 })
    expect(ws.triage(UNREADABLE_IMAGE)).toMatchObject({ withImage: false })
    expect(ws.triage(SMALL)?.reasons[0]).toEqual({ code: 'mask-size', score: 1 })
  })

  it('the worker-thread scan finds it too', async () => {
    ws.store.db.prepare(`DELETE FROM meta WHERE key = 'statsScanVersion'`).run()
    ws.store.db.prepare('UPDATE pairs SET scan_error = NULL WHERE id = ?').run(SMALL)
    expect(await ws.startStatsScan({ workers: 1 })).toMatchObject({ toScan: 3, problems: 1 })
    expect(scanError(SMALL)).toBe('mask-size')
  })

  it('the triage pass scores it from the mask alone, with the reason mask-size first', async () => {
    expect(await ws.startTriagePass({ workers: 0 })).toMatchObject({ failed: 0, aborted: false })
    const t = ws.triage(SMALL)!
    expect(t.reasons[0]).toEqual({ code: 'mask-size', score: 1 })
    expect(t.withImage).toBe(false)
    expect(ws.triage(RIGHT)).toMatchObject({ withImage: true })
    expect(ws.triage(RIGHT)!.reasons.some((r) => r.code === 'mask-size')).toBe(false)
    expect(ws.listPairs({ reason: 'mask-size' }).items.map((p) => p.id)).toEqual([SMALL])
  })

  it('a bulk decision by rule leaves it out and says so; stats names the code', async () => {
    const dir = ws.dir
    await ws.close()
    const stats = await runCommand(statsCommand, [dir])
    expect(stats.out).toMatch(/1 with a problem \(mask-size 1; see wsm-curator scan\)/)
    const rule = await runCommand(reviewCommand, [dir, '--set', 'accepted', '--uncertain-max', '1'])
    expect(rule.out).toMatch(/set 2 pairs to accepted/)
    expect(rule.err).toMatch(/1 pairs whose mask has a problem were left out/)
    ws = await Workspace.open(dir)
    expect(ws.pairState(SMALL).status).toBe('unreviewed')
    expect(ws.pairState(RIGHT).status).toBe('accepted')
  })

  it('a challenge-convention mask (0/255) of the wrong size is recorded as what it means, and old rows are repaired (review 6b, finding 4)', async () => {
    const masks = path.join(root, 'masks-challenge')
    const images = path.join(root, 'images-challenge')
    await fsp.mkdir(masks)
    await fsp.mkdir(images)
    // A 0/255 disc at half the image's size in each direction.
    const w = W / 2
    const h = H / 2
    const data = new Uint8Array(w * h)
    for (let i = 0; i < data.length; i++) {
      if (Math.hypot((i % w) + 0.5 - w / 2, Math.floor(i / w) + 0.5 - h / 2) <= h / 3) data[i] = 255
    }
    const lesion = data.filter((v) => v === 255).length
    expect(lesion).toBeGreaterThan(0)
    await fsp.writeFile(path.join(masks, `${SMALL}.png`), encodeMaskPng({ width: w, height: h, data }, grey))
    await sharp({ create: { width: W, height: H, channels: 3, background: { r: 200, g: 160, b: 140 } } })
      .jpeg()
      .toFile(path.join(images, `${SMALL}.jpg`))
    const other = await Workspace.create(path.join(root, 'ws-challenge'), {
      masks,
      images: [images],
      curator: 'ana',
    })
    try {
      const row = () =>
        other.store.db
          .prepare('SELECT scan_error, lesion, uncertain, uncertain_fraction FROM pairs WHERE id = ?')
          .get(SMALL) as { scan_error: string; lesion: number; uncertain: number; uncertain_fraction: number }
      const expected = { scan_error: 'mask-size', lesion, uncertain: 0, uncertain_fraction: 0 }
      for (const workers of [0, 1]) {
        other.store.db.prepare('UPDATE pairs SET scan_fp = NULL').run()
        await other.startStatsScan({ workers })
        expect(row()).toEqual(expected)
      }
      // As the previous scan version recorded it: the 255 pixels as uncertain. A new scan repairs it.
      other.store.db
        .prepare('UPDATE pairs SET lesion = 0, uncertain = ?, uncertain_fraction = 1 WHERE id = ?')
        .run(lesion, SMALL)
      other.store.db.prepare(`UPDATE meta SET value = '2' WHERE key = 'statsScanVersion'`).run()
      expect(await other.startStatsScan({ workers: 0 })).toMatchObject({ toScan: 1 })
      expect(row()).toEqual(expected)
    } finally {
      await other.close()
    }
  })

  it('a pair whose image header did not read is checked again by the next scan (review 6b, finding 3)', async () => {
    // Scanned in beforeEach with an image that does not read: no problem recorded for the mask.
    expect(scanError(UNREADABLE_IMAGE)).toBeNull()
    // The image replaced by a real one of another size (half the mask's in each direction).
    await sharp({
      create: { width: W / 2, height: H / 2, channels: 3, background: { r: 200, g: 160, b: 140 } },
    })
      .jpeg()
      .toFile(path.join(root, 'images', `${UNREADABLE_IMAGE}.jpg`))
    expect(await ws.startStatsScan({ workers: 0 })).toMatchObject({ toScan: 1, problems: 1 })
    expect(scanError(UNREADABLE_IMAGE)).toBe('mask-size')
    // Now checked against a header that reads: not scanned again.
    expect((await ws.startStatsScan({ workers: 0 })).toScan).toBe(0)
  })
})
