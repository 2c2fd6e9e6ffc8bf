/**
 * A workspace whose masks source holds an ISIC challenge mask (0 background / 255 LESION) next to a
 * weak map: the challenge mask is never read as "all uncertain" — not by the statistics (its 255s are
 * lesion, it has no uncertain pixel), not by the assisted resolution (refused with its code, nothing
 * saved), not by the triage pass (scored as converted, reason `challenge-convention`) — and the
 * current-mask read refuses it unless told to convert it or take it as stored.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { countLabels, type LabelMap } from '../../../../../shared/labels/codes'
import { initCommand } from '../../../../../electron/cli/commands/init'
import { reviewCommand } from '../../../../../electron/cli/commands/review'
import { statsCommand } from '../../../../../electron/cli/commands/stats'
import { resolvePairs } from '../../../../../electron/services/assist/batchResolve'
import { encodeMaskPng } from '../../../../../electron/services/mask/maskPng'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { runCommand } from '../../../../support/cli'
import { caught } from '../../../../support/datasetFixtures'
import { drawMask } from './fixtures'

const W = 96
const H = 72
const WEAK = 'ISIC_0000001'
const CHALLENGE = 'ISIC_0000002'

/** A solid lesion disc in the challenge convention: 0 background, 255 lesion, no 1. */
function challengeMask(): LabelMap {
  const data = new Uint8Array(W * H)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) if (Math.hypot(x + 0.5 - W / 2, y + 0.5 - H / 2) <= 20) data[y * W + x] = 255
  }
  return { width: W, height: H, data }
}

let root: string
let ws: Workspace
const disc = countLabels(challengeMask().data).uncertain
const grey = { colorType: 0, bitDepth: 8, interlaced: false } as const

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-challenge-'))
  const masks = path.join(root, 'masks')
  const images = path.join(root, 'images')
  await fsp.mkdir(masks)
  await fsp.mkdir(images)
  await fsp.writeFile(
    path.join(masks, `${WEAK}.png`),
    encodeMaskPng(drawMask({ id: WEAK, width: W, height: H, kind: 'grey' }), grey),
  )
  await fsp.writeFile(path.join(masks, `${CHALLENGE}_segmentation.png`), encodeMaskPng(challengeMask(), grey))
  // A dark disc on skin, where the masks put their lesion.
  const rgb = new Uint8Array(W * H * 3)
  for (let i = 0; i < W * H; i++) {
    const inside = Math.hypot((i % W) + 0.5 - W / 2, Math.floor(i / W) + 0.5 - H / 2) <= 20
    rgb.set(inside ? [90, 60, 40] : [220, 180, 160], i * 3)
  }
  for (const id of [WEAK, CHALLENGE]) {
    await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
      .jpeg({ quality: 95 })
      .toFile(path.join(images, `${id}.jpg`))
  }
  ws = await Workspace.create(path.join(root, 'ws'), { masks, images: [images], curator: 'ana' })
  await ws.startStatsScan({ workers: 0 })
})

afterEach(async () => {
  await ws.close()
  await fsp.rm(root, { recursive: true, force: true })
})

function statsRow(id: string): {
  uncertain: number
  lesion: number
  uncertain_fraction: number
  scan_error: string
} {
  return ws.store.db
    .prepare('SELECT uncertain, lesion, uncertain_fraction, scan_error FROM pairs WHERE id = ?')
    .get(id) as { uncertain: number; lesion: number; uncertain_fraction: number; scan_error: string }
}

describe('challenge-convention masks in a workspace', () => {
  it('the statistics count its 255s as lesion, with the problem code, and none as uncertain', () => {
    expect(statsRow(CHALLENGE)).toEqual({
      uncertain: 0,
      lesion: disc,
      uncertain_fraction: 0,
      scan_error: 'challenge-convention',
    })
    const weak = countLabels(drawMask({ id: WEAK, width: W, height: H, kind: 'grey' }).data)
    const stats = ws.stats()
    expect(stats.scanProblems).toBe(1)
    expect(stats.uncertainPixels).toBe(weak.uncertain)
    expect(stats.uncertainPixelsUndecided).toBe(weak.uncertain)
  })

  it('a row recorded the old way (255s as uncertain) is scanned again and corrected', async () => {
    ws.store.db
      .prepare('UPDATE pairs SET uncertain = ?, lesion = 0, uncertain_fraction = ? WHERE id = ?')
      .run(disc, disc / (W * H), CHALLENGE)
    const again = await ws.startStatsScan({ workers: 0 })
    expect(again.toScan).toBe(1)
    expect(statsRow(CHALLENGE)).toMatchObject({ uncertain: 0, lesion: disc, uncertain_fraction: 0 })
    expect((await ws.startStatsScan({ workers: 0 })).toScan).toBe(0)
  })

  it('reading the current mask refuses it unless told to convert it or take it as stored', async () => {
    expect((await caught(ws.readCurrentMask(CHALLENGE))).code).toBe('challenge-convention')
    const converted = await ws.readCurrentMask(CHALLENGE, { challenge: 'convert' })
    expect(countLabels(converted.map.data)).toMatchObject({ lesion: disc, uncertain: 0 })
    const stored = await ws.readCurrentMask(CHALLENGE, { challenge: 'as-is' })
    expect(countLabels(stored.map.data)).toMatchObject({ lesion: 0, uncertain: disc })
    // A weak map is read as it is whatever the mode.
    const weak = await ws.readCurrentMask(WEAK)
    expect(countLabels(weak.map.data).uncertain).toBeGreaterThan(0)
  })

  it('saving it converted and unchanged records no transition (its 255s were never uncertain)', async () => {
    const converted = (await ws.readCurrentMask(CHALLENGE, { challenge: 'convert' })).map
    const saved = await ws.saveMask(CHALLENGE, converted)
    expect(saved.transitions).toEqual([])
    expect(ws.events(CHALLENGE)[0]).toMatchObject({ kind: 'save', transitions: [] })
  })

  it('the first save of a converted mask records the edits made to it, as lesion → background', async () => {
    const edited = (await ws.readCurrentMask(CHALLENGE, { challenge: 'convert' })).map
    let erased = 0
    for (let i = 0; i < edited.data.length && erased < 7; i++) {
      if (edited.data[i] === 1) {
        edited.data[i] = 0
        erased++
      }
    }
    expect((await ws.saveMask(CHALLENGE, edited)).transitions).toEqual([{ from: 1, to: 0, pixels: 7 }])
  })

  it('the assisted resolution refuses it with its code and saves nothing; the weak map is resolved', async () => {
    const { pairs } = await resolvePairs(ws, [CHALLENGE, WEAK])
    expect(pairs.map((p) => [p.id, p.status, p.error?.code])).toEqual([
      [CHALLENGE, 'failed', 'challenge-convention'],
      [WEAK, 'resolved', undefined],
    ])
    expect(ws.pairState(CHALLENGE)).toMatchObject({ status: 'unreviewed', corrected: false })
    expect(ws.pairState(WEAK).corrected).toBe(true)
  })

  it('the triage pass scores it as converted, with the reason challenge-convention first', async () => {
    const pass = await ws.startTriagePass({ workers: 0 })
    expect(pass).toMatchObject({ failed: 0, aborted: false })
    const t = ws.triage(CHALLENGE)!
    expect(t.reasons[0]).toEqual({ code: 'challenge-convention', score: 1 })
    // Read as all uncertain, the band would fill the lesion's neighbourhood.
    expect(t.reasons.some((r) => r.code === 'uncertain-large')).toBe(false)
    expect(ws.triage(WEAK)!.reasons.some((r) => r.code === 'challenge-convention')).toBe(false)
    expect(ws.listPairs({ reason: 'challenge-convention' }).items.map((p) => p.id)).toEqual([CHALLENGE])
  })

  it('a bulk decision by rule leaves it out (its uncertain fraction is 0 now) and says so; --ids decides it', async () => {
    const dir = ws.dir
    await ws.close()
    const rule = await runCommand(reviewCommand, [dir, '--set', 'accepted', '--uncertain-max', '1'])
    expect(rule.out).toMatch(/set 1 pairs to accepted/)
    expect(rule.err).toMatch(/1 pairs whose mask has a problem were left out/)
    const named = await runCommand(reviewCommand, [dir, '--set', 'rejected', '--ids', CHALLENGE])
    expect(named.out).toMatch(/set 1 pairs to rejected/)
    ws = await Workspace.open(dir)
    expect(ws.pairState(WEAK).status).toBe('accepted')
    expect(ws.pairState(CHALLENGE).status).toBe('rejected')
  })

  it('init warns when the masks looked at are challenge masks; stats names the problem codes', async () => {
    const made = await runCommand(initCommand, [
      path.join(root, 'ws2'),
      '--masks',
      path.join(root, 'masks'),
      '--images',
      path.join(root, 'images'),
    ])
    expect(made.out).toMatch(/warning: 1 of 2 masks looked at are ISIC challenge masks/)
    const stats = await runCommand(statsCommand, [path.join(root, 'ws2')])
    expect(stats.out).toMatch(/1 with a problem \(challenge-convention 1; see wsm-curator scan\)/)
    expect(stats.out).toMatch(/uncertain pixels left: (\d+)/)
    const json = await runCommand(statsCommand, [path.join(root, 'ws2'), '--json'])
    expect(JSON.parse(json.out).scanProblemCodes).toEqual({ 'challenge-convention': 1 })
  })

  it("init's warning looks at the masks alone: it holds when a challenge mask's image is unreadable", async () => {
    await fsp.writeFile(path.join(root, 'images', `${CHALLENGE}.jpg`), Buffer.from('not a jpeg'))
    const made = await runCommand(initCommand, [
      path.join(root, 'ws3'),
      '--masks',
      path.join(root, 'masks'),
      '--images',
      path.join(root, 'images'),
    ])
    expect(made.out).toMatch(/warning: 1 of 2 masks looked at are ISIC challenge masks/)
  })
})
