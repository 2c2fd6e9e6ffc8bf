import { spawnSync } from 'node:child_process'
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtCli } from '../../../support/builtCli'
import { runCommand, thrown } from '../../../support/cli'
import { type CodedError } from '../../../../shared/api/errors'
import { importMaskCommand } from '../../../../electron/cli/commands/importMask'
import { initCommand } from '../../../../electron/cli/commands/init'
import { reviewCommand } from '../../../../electron/cli/commands/review'
import { statsCommand } from '../../../../electron/cli/commands/stats'
import { UsageError } from '../../../../electron/cli/util'
import { decodeMaskPng, encodeMaskPng } from '../../../../electron/services/mask/maskPng'
import { Workspace } from '../../../../electron/services/workspace/workspace'
import {
  drawMask,
  formatOf,
  hashTree,
  makeSources,
  pngChunk,
  resolveUncertain,
  TEST_PALETTE,
  type Sources,
} from '../services/workspace/fixtures'

/** The CLI bundle built from the current sources (tests/support/builtCli.ts), for the spawned tests. */
let cliBundle: string

let root: string
let sources: Sources
let hashes: Map<string, string>
let ws: string

const run = (command: (args: string[]) => Promise<number>, args: string[]) => runCommand(command, args)

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliBundle, ...args], { encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-cli-ws-'))
  sources = await makeSources(path.join(root, 'src'))
  hashes = await hashTree(sources.root)
  ws = path.join(root, 'ws')
})

afterAll(async () => {
  expect(await hashTree(sources.root)).toEqual(hashes)
  await fsp.rm(root, { recursive: true, force: true })
})

describe('wsm-curator init', () => {
  it('creates a workspace and refuses to create it twice', async () => {
    const r = await run(initCommand, [
      ws,
      '--masks',
      sources.masks,
      '--images',
      sources.images,
      '--curator',
      'bo',
    ])
    expect(r.code).toBe(0)
    expect(r.out).toContain('5 pairs, curator bo')
    const again = await thrown(run(initCommand, [ws, '--masks', sources.masks, '--images', sources.images]))
    expect((again as CodedError).code).toBe('workspace-exists')
    expect(await thrown(run(initCommand, [path.join(root, 'x'), '--masks', sources.masks]))).toBeInstanceOf(
      UsageError,
    )
  })
})

describe('wsm-curator stats', () => {
  it('scans, then reports per status, scanned, histogram and uncertain pixels (JSON and text)', async () => {
    const first = await run(statsCommand, [ws, '--json'])
    expect(first.code).toBe(0)
    const j = JSON.parse(first.out)
    expect(j).toMatchObject({ total: 5, scanned: 5, unscanned: 0, reviewed: 0, scan: { toScan: 5, done: 5 } })
    expect(j.byStatus.unreviewed).toBe(5)
    expect(j.uncertainHistogram).toHaveLength(10)
    const uncertain = sources.specs.reduce((a, s) => a + drawMask(s).data.filter((v) => v === 255).length, 0)
    expect(j.uncertainPixels).toBe(uncertain)

    const again = JSON.parse((await run(statsCommand, [ws, '--json'])).out)
    expect(again.scan).toMatchObject({ toScan: 0, skipped: 5 })

    const text = (await run(statsCommand, [ws])).out
    expect(text).toMatch(/unreviewed\s+5/)
    expect(text).toContain('[0.9, 1.0]')
    expect(text).toContain(`uncertain pixels left: ${uncertain}`)
  })
})

describe('wsm-curator review', () => {
  it('sets statuses in bulk by ids, by @file, and by uncertain fraction, audited', async () => {
    let r = await run(reviewCommand, [
      ws,
      '--set',
      'accepted',
      '--ids',
      'ISIC_0000001,ISIC_0000002',
      '--note',
      'ok',
    ])
    expect(r.out).toMatch(/set 2 pairs to accepted/)
    const list = path.join(root, 'ids.txt')
    await fsp.writeFile(list, 'ISIC_0000004\nISIC_0000005\n')
    r = await run(reviewCommand, [ws, '--set', 'flagged', '--ids', `@${list}`])
    expect(r.out).toMatch(/set 2 pairs to flagged/)
    // Only ISIC_0000003 has no uncertain pixel; decided pairs are never selected by a fraction rule.
    r = await run(reviewCommand, [ws, '--set', 'rejected', '--uncertain-max', '0.5'])
    expect(r.out).toMatch(/set 1 pairs to rejected/)
    const err = await thrown(
      run(reviewCommand, [ws, '--set', 'accepted', '--ids', 'ISIC_0000001,ISIC_0001234']),
    )
    expect((err as CodedError).code).toBe('not-found')
    const corr = await thrown(run(reviewCommand, [ws, '--set', 'corrected', '--ids', 'ISIC_0000003']))
    expect((corr as CodedError).code).toBe('bad-request')
    expect(await thrown(run(reviewCommand, [ws, '--set', 'done', '--ids', 'ISIC_0000001']))).toBeInstanceOf(
      UsageError,
    )

    const w = await Workspace.open(ws, { readOnly: true })
    try {
      expect(w.progress().byStatus).toMatchObject({ accepted: 2, flagged: 2, rejected: 1, unreviewed: 0 })
      expect(w.events('ISIC_0000001')[0]).toMatchObject({
        from: 'unreviewed',
        to: 'accepted',
        note: 'ok',
        curator: 'bo',
      })
      expect(w.events().length).toBe(5)
    } finally {
      await w.close()
    }
  })
})

describe('wsm-curator import-mask', () => {
  it('stores a mask made elsewhere in the source format and refuses wrong sizes or values', async () => {
    const id = 'ISIC_0000002' // a palette source
    const spec = sources.specs[1]
    const edited = resolveUncertain(drawMask(spec), 1, 33)
    const file = path.join(root, 'edited.png')
    // Made elsewhere as 8-bit grey: stored as the source's palette PNG.
    await fsp.writeFile(file, encodeMaskPng(edited, formatOf('grey')))
    const r = await run(importMaskCommand, [ws, id, file, '--note', 'from GIMP'])
    expect(r.out).toContain(`${id}: accepted → corrected`)
    expect(r.out).toContain('255→1: 33')
    const stored = await fsp.readFile(path.join(ws, 'masks', `${id}.png`))
    expect(Buffer.from(pngChunk(stored, 'PLTE')!).equals(Buffer.from(TEST_PALETTE))).toBe(true)
    expect(Buffer.from(decodeMaskPng(stored).data).equals(Buffer.from(edited.data))).toBe(true)

    const wrongSize = path.join(root, 'small.png')
    await fsp.writeFile(wrongSize, encodeMaskPng(drawMask({ ...spec, width: 79 }), formatOf('grey')))
    expect(((await thrown(run(importMaskCommand, [ws, id, wrongSize]))) as CodedError).code).toBe('mask-size')
    const badValues = path.join(root, 'bad.png')
    const bad = drawMask(spec)
    bad.data[5] = 128
    const { default: sharp } = await import('sharp')
    await fsp.writeFile(
      badValues,
      await sharp(bad.data, { raw: { width: bad.width, height: bad.height, channels: 1 } })
        .toColourspace('b-w')
        .png()
        .toBuffer(),
    )
    const e = (await thrown(run(importMaskCommand, [ws, id, badValues]))) as CodedError
    expect(e.code).toBe('mask-values')
    expect(e.message).toMatch(/128/)
  })
})

describe('the built CLI', () => {
  beforeAll(async () => {
    cliBundle = await builtCli()
  }, 300_000)

  it('runs the commands with exit codes 0, 1 [code], 2 usage', () => {
    const stats = cli('stats', ws, '--json')
    expect(stats.status).toBe(0)
    expect(JSON.parse(stats.stdout)).toMatchObject({ total: 5, byStatus: { corrected: 1 } })
    const bad = cli('review', ws, '--set', 'nope', '--ids', 'ISIC_0000001')
    expect(bad.status).toBe(2)
    const wrong = path.join(root, 'small.png')
    const imp = cli('import-mask', ws, 'ISIC_0000002', wrong)
    expect(imp.status).toBe(1)
    expect(imp.stderr).toMatch(/^wsm-curator: \[mask-size\]/)
    expect(cli('--help').stdout).toContain('wsm-curator import-mask <workspace> <id> <png>')
  })

  it('a second instance: review is refused with workspace-locked, stats reads without scanning', async () => {
    const holder = await Workspace.open(ws)
    try {
      const review = cli('review', ws, '--set', 'skipped', '--ids', 'ISIC_0000001')
      expect(review.status).toBe(1)
      expect(review.stderr).toMatch(/\[workspace-locked\].*open in another program/)
      const stats = cli('stats', ws, '--json')
      expect(stats.status).toBe(0)
      expect(stats.stderr).toMatch(/open in another program/)
      expect(JSON.parse(stats.stdout).scan).toBeNull()
    } finally {
      await holder.close()
    }
  })

  it('a second instance: review --dry-run reads the held workspace and lists what it would set, writing nothing (qa7s #6)', async () => {
    const holder = await Workspace.open(ws)
    try {
      const before = holder.listIds({ status: ['skipped'] })
      const dry = cli('review', ws, '--set', 'skipped', '--ids', 'ISIC_0000001', '--dry-run')
      expect(dry.stderr).toMatch(/open in another program; listing what its state would select/)
      expect(dry.status).toBe(0)
      expect(dry.stdout).toBe('would set 1 pairs to skipped\nISIC_0000001\n')
      expect(holder.listIds({ status: ['skipped'] })).toEqual(before)
      expect(before).not.toContain('ISIC_0000001')
      // The holder still holds it: a real review is refused as ever.
      expect(cli('review', ws, '--set', 'skipped', '--ids', 'ISIC_0000001').status).toBe(1)
    } finally {
      await holder.close()
    }
  })

  it('init, stats and a save through the CLI on a fresh workspace', () => {
    const dir = path.join(root, 'ws-cli')
    expect(cli('init', dir, '--masks', sources.masks, '--images', sources.images).status).toBe(0)
    expect(cli('stats', dir).stdout).toContain('statistics: 5 pairs scanned')
    const file = path.join(root, 'edited.png')
    const r = cli('import-mask', dir, 'ISIC_0000002', file)
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('unreviewed → corrected')
  })
})
