import { spawnSync } from 'node:child_process'
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtCli } from '../../../support/builtCli'
import { runCommand, thrown, type CommandRun } from '../../../support/cli'
import { type CodedError } from '../../../../shared/api/errors'
import { resolveCommand } from '../../../../electron/cli/commands/resolve'
import { type ResolveReport } from '../../../../electron/services/assist/batchResolve'
import { UsageError } from '../../../../electron/cli/util'
import {
  DEMO_PAIRS,
  encodeGreyMaskPng,
  generateDemoDataset,
  type DemoDatasetInfo,
} from '../../../../electron/services/demo/demoDataset'
import { decodeMaskPng } from '../../../../electron/services/mask/maskPng'
import { Workspace } from '../../../../electron/services/workspace/workspace'

/** The CLI bundle built from the current sources (tests/support/builtCli.ts), for the spawned test. */
let cliBundle: string

/** The three smallest demo pairs (600×450, 640×480, 767×576). */
const SMALL = DEMO_PAIRS.filter((p) => p.width <= 800)
const IDS = SMALL.map((p) => p.id)

let root: string
let demo: DemoDatasetInfo
/** The source masks, decoded, by id. */
const sources = new Map<string, Uint8Array>()

function run(args: string[]): Promise<CommandRun> {
  return runCommand(resolveCommand, args)
}

async function createWorkspace(name: string, images = demo.imagesDir): Promise<string> {
  const dir = path.join(root, name)
  const ws = await Workspace.create(dir, { masks: demo.masksZip, images: [images], curator: 'test' })
  await ws.close()
  return dir
}

async function withWorkspace<T>(dir: string, f: (ws: Workspace) => T | Promise<T>): Promise<T> {
  const ws = await Workspace.open(dir, { readOnly: true })
  try {
    return await f(ws)
  } finally {
    await ws.close()
  }
}

async function maskFiles(dir: string): Promise<string[]> {
  return (await fsp.readdir(path.join(dir, 'masks')).catch(() => [] as string[])).sort()
}

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-cli-resolve-'))
  demo = await generateDemoDataset(path.join(root, 'demo'), { pairs: SMALL })
  const dir = await createWorkspace('read-sources')
  await withWorkspace(dir, async (ws) => {
    for (const id of IDS) sources.set(id, (await ws.readCurrentMask(id)).map.data)
  })
}, 120_000)

afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true })
})

describe('wsm-curator resolve: arguments', () => {
  let ws: string
  beforeAll(async () => {
    ws = await createWorkspace('args')
  })

  it.each([
    ['no selection', []],
    ['both selections', ['--ids', IDS[0], '--all']],
    ['an empty id list', ['--ids', ',']],
    ['a malformed id', ['--ids', `${IDS[0]},ISIC_12`]],
    ['an unknown id', ['--ids', `${IDS[0]},ISIC_9999999`]],
    ['a missing truth folder', ['--all', '--truth', path.join(os.tmpdir(), 'no-such-truth-folder')]],
  ])('%s is a usage error (exit 2), and nothing is done', async (_name, extra) => {
    expect(await thrown(run([ws, ...extra]))).toBeInstanceOf(UsageError)
    expect(await maskFiles(ws)).toEqual([])
    await withWorkspace(ws, (w) => expect(w.stats().byStatus.unreviewed).toBe(IDS.length))
  })

  it('an unknown id names itself and says nothing was done', async () => {
    const err = await thrown(run([ws, '--ids', `ISIC_9999999,${IDS[1]}`]))
    expect(err.message).toContain('1 id(s) are not pairs of this workspace (nothing was done): ISIC_9999999')
  })

  it('a workspace open in another program: refused with workspace-locked, a dry run still works', async () => {
    const holder = await Workspace.open(ws)
    try {
      expect(((await thrown(run([ws, '--all']))) as CodedError).code).toBe('workspace-locked')
      const dry = await run([ws, '--ids', IDS[0], '--dry-run', '--json'])
      expect(dry.code).toBe(0)
      expect((JSON.parse(dry.out) as ResolveReport).summary.resolved).toBe(1)
    } finally {
      await holder.close()
    }
    expect(await maskFiles(ws)).toEqual([])
  })

  it.skipIf(process.getuid?.() === 0)(
    'a workspace folder that is not writable: read-only (skipped as root, who may write into it anyway)',
    async () => {
      await fsp.chmod(ws, 0o555)
      try {
        expect(((await thrown(run([ws, '--all']))) as CodedError).code).toBe('read-only')
      } finally {
        await fsp.chmod(ws, 0o755)
      }
    },
  )
})

describe('wsm-curator resolve on the demo', () => {
  let ws: string
  let dryReport: ResolveReport

  beforeAll(async () => {
    ws = await createWorkspace('main')
  })

  it('--dry-run --json --truth: resolves and scores every pair, writes nothing', async () => {
    const before = await fsp.readFile(path.join(ws, 'workspace.sqlite'))
    const r = await run([ws, '--all', '--dry-run', '--json', '--truth', demo.truthDir])
    expect(r.code).toBe(0)
    dryReport = JSON.parse(r.out) as ResolveReport
    expect(dryReport.pairs.map((p) => p.id)).toEqual(IDS)
    for (const p of dryReport.pairs) {
      expect(p).toMatchObject({ status: 'resolved', truth: '0/1' })
      expect(p.uncertain).toBeGreaterThan(0)
      expect(p.toLesion + p.toBackground).toBe(p.uncertain)
      expect(p.uncertain).toBe(sources.get(p.id)!.filter((v) => v === 255).length)
      // Whole milliseconds, the pair's own figure (no timing is asserted: speed is `npm run bench`'s).
      expect(Number.isInteger(p.ms)).toBe(true)
      // The safety net: never under the nearest-label fill (the committed fit keeps the image off,
      // so the two are equal on these maps; a fit that turns it on must not go below).
      expect(p.baselineAccuracy!).toBeGreaterThan(0.5)
      expect(p.accuracy).toBeGreaterThanOrEqual(p.baselineAccuracy!)
      expect(p.dice).toBeGreaterThan(0.9)
      expect(p.error).toBeUndefined()
    }
    const s = dryReport.summary
    expect(s).toMatchObject({
      dryRun: true,
      selected: 3,
      resolved: 3,
      skipped: 0,
      failed: 0,
      notRun: 0,
      interrupted: false,
      excludedDecided: 0,
    })
    expect(s.uncertain).toBe(s.toLesion + s.toBackground)
    // The summary's figures are the pairs' figures added up.
    const total = (f: (p: ResolveReport['pairs'][number]) => number) =>
      dryReport.pairs.reduce((a, p) => a + f(p), 0)
    expect(s.uncertain).toBe(total((p) => p.uncertain))
    expect(s.toLesion).toBe(total((p) => p.toLesion))
    expect(s.ms).toBe(total((p) => p.ms))
    expect(s.msPerResolvedPair).toBe(Math.round(s.ms / 3))
    expect(s.truth).toMatchObject({ dir: demo.truthDir, scored: 3, missing: 0, challengeConvention: 0 })
    expect(s.truth!.accuracy).toBeGreaterThanOrEqual(s.truth!.baselineAccuracy)
    expect(s.truth!.meanAccuracy).toBeGreaterThanOrEqual(s.truth!.baselineMeanAccuracy)
    expect(s.truth!.minAccuracy).toBeLessThanOrEqual(s.truth!.meanAccuracy)
    // Nothing written: no mask, statuses and database unchanged.
    expect(await maskFiles(ws)).toEqual([])
    expect(await fsp.readFile(path.join(ws, 'workspace.sqlite'))).toEqual(before)
    await withWorkspace(ws, (w) => {
      for (const id of IDS) expect(w.pairState(id).status).toBe('unreviewed')
      expect(w.events()).toEqual([])
    })
  })

  it('the text table: one line per pair and a summary', async () => {
    const r = await run([ws, '--ids', IDS[0], '--dry-run', '--truth', demo.truthDir])
    expect(r.code).toBe(0)
    const lines = r.out.split('\n')
    expect(lines[0]).toMatch(
      /^id\s+result\s+uncertain\s+→lesion\s+→backgr\.\s+ms\s+accuracy\s+baseline\s+dice$/,
    )
    expect(lines[1]).toMatch(
      new RegExp(
        `^${IDS[0]}\\s+resolved\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+[\\d.]+%\\s+[\\d.]+%\\s+0\\.\\d{4}$`,
      ),
    )
    expect(r.out).toContain(
      '1 pairs: 1 would be resolved, 0 skipped (no uncertain pixel), 0 failed — dry run, nothing written',
    )
    expect(r.out).toMatch(/accuracy on the uncertain pixels: [\d.]+% pooled/)
    expect(r.out).toMatch(/nearest-label baseline: +[\d.]+% pooled/)
    expect(await maskFiles(ws)).toEqual([])
  })

  it('a real run: pairs corrected, only 0/1 where the source had 255, identical bytes elsewhere', async () => {
    const r = await run([ws, '--all', '--json', '--truth', demo.truthDir, '--note', 'assisted'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.out) as ResolveReport
    expect(report.summary).toMatchObject({ dryRun: false, resolved: 3, failed: 0 })
    // Deterministic: the same proposal as the dry run.
    for (const [k, p] of report.pairs.entries()) {
      const d = dryReport.pairs[k]
      expect({ ...p, ms: 0 }).toEqual({ ...d, ms: 0 })
    }
    expect(await maskFiles(ws)).toEqual(IDS.map((id) => `${id}.png`))
    await withWorkspace(ws, async (w) => {
      for (const [k, id] of IDS.entries()) {
        const state = w.pairState(id)
        expect(state).toMatchObject({
          status: 'corrected',
          corrected: true,
          note: 'assisted',
          curator: 'test',
        })
        const saved = decodeMaskPng(await fsp.readFile(path.join(ws, 'masks', `${id}.png`))).data
        const src = sources.get(id)!
        expect(saved.length).toBe(src.length)
        let lesion = 0
        for (let i = 0; i < src.length; i++) {
          if (src[i] === 255) {
            expect(saved[i] === 0 || saved[i] === 1).toBe(true)
            lesion += saved[i]
          } else if (saved[i] !== src[i]) expect.fail(`${id}: certain pixel ${i} changed`)
        }
        expect(lesion).toBe(report.pairs[k].toLesion)
        const [event] = w.events(id)
        expect(event).toMatchObject({ kind: 'save', from: 'unreviewed', to: 'corrected' })
        expect(event.transitions.every((t) => t.from === 255 && (t.to === 0 || t.to === 1))).toBe(true)
        expect(event.transitions.reduce((a, t) => a + t.pixels, 0)).toBe(report.pairs[k].uncertain)
      }
    })
  })

  it('a second run: every pair skipped (no uncertain pixel left), nothing changes', async () => {
    const before = await Promise.all(IDS.map((id) => fsp.readFile(path.join(ws, 'masks', `${id}.png`))))
    const r = await run([ws, '--all'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('3 pairs: 0 resolved (now corrected), 3 skipped (no uncertain pixel), 0 failed')
    expect(r.out).toMatch(new RegExp(`${IDS[0]}\\s+skipped\\s+0 .*no uncertain pixel`))
    const after = await Promise.all(IDS.map((id) => fsp.readFile(path.join(ws, 'masks', `${id}.png`))))
    expect(after).toEqual(before)
  })
})

describe('wsm-curator resolve: failures, decided pairs, truth conventions', () => {
  let ws: string

  beforeAll(async () => {
    // ISIC_0000001's image is replaced by one of another size: that pair fails, the others go on.
    const images = path.join(root, 'images-bad')
    await fsp.cp(demo.imagesDir, images, { recursive: true })
    const small = await sharp({ create: { width: 50, height: 40, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer()
    await fsp.writeFile(path.join(images, `${IDS[1]}.jpg`), small)
    ws = await createWorkspace('failures', images)
  })

  it('--all leaves accepted and rejected pairs alone; a failing pair is reported and the others go on (exit 1)', async () => {
    const w = await Workspace.open(ws)
    await w.setStatus(IDS[2], 'accepted')
    await w.close()
    const r = await run([ws, '--all', '--json'])
    expect(r.code).toBe(1)
    const report = JSON.parse(r.out) as ResolveReport
    expect(report.pairs.map((p) => [p.id, p.status])).toEqual([
      [IDS[0], 'resolved'],
      [IDS[1], 'failed'],
    ])
    expect(report.pairs[1].error).toMatchObject({ code: 'mask-size' })
    expect(report.pairs[1].error!.message).toContain('50×40')
    expect(report.summary).toMatchObject({ selected: 2, resolved: 1, failed: 1, excludedDecided: 1 })
    expect(await maskFiles(ws)).toEqual([`${IDS[0]}.png`])
    await withWorkspace(ws, (ro) => {
      expect(ro.pairState(IDS[1]).status).toBe('unreviewed')
      expect(ro.pairState(IDS[2]).status).toBe('accepted')
    })
    const text = await run([ws, '--ids', IDS[1]])
    expect(text.code).toBe(1)
    expect(text.out).toMatch(new RegExp(`${IDS[1]}\\s+failed\\s+\\d+\\s+\\[mask-size\\]`))
  })

  it('--ids names decided pairs explicitly; 0/255 truth as <id>_segmentation.png is read as lesion, and said so', async () => {
    const truth = path.join(root, 'truth-challenge')
    await fsp.mkdir(truth, { recursive: true })
    const t = decodeMaskPng(await fsp.readFile(path.join(demo.truthDir, `${IDS[2]}.png`)))
    const png = await encodeGreyMaskPng({
      width: t.width,
      height: t.height,
      data: t.data.map((v) => (v === 1 ? 255 : 0)),
    })
    await fsp.writeFile(path.join(truth, `${IDS[2]}_segmentation.png`), png)
    const r = await run([ws, '--ids', `${IDS[2]},${IDS[0]}`, '--dry-run', '--json', '--truth', truth])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.out) as ResolveReport
    // IDS[0] was resolved by the previous test: nothing uncertain left.
    expect(report.pairs.map((p) => [p.id, p.status, p.truth])).toEqual([
      [IDS[2], 'resolved', '0/255'],
      [IDS[0], 'skipped', undefined],
    ])
    expect(report.summary.truth).toMatchObject({ scored: 1, missing: 0, challengeConvention: 1 })
    expect(r.err).toMatch(
      /1 truth masks hold 0\/255 \(the ISIC challenge convention\): 255 was read as lesion/,
    )
    // Scored like the 0/1 truth.
    const reference = await run([ws, '--ids', IDS[2], '--dry-run', '--json', '--truth', demo.truthDir])
    const ref = (JSON.parse(reference.out) as ResolveReport).pairs[0]
    expect(report.pairs[0].accuracy).toBe(ref.accuracy)
    expect(report.pairs[0].dice).toBe(ref.dice)

    const text = await run([ws, '--ids', IDS[2], '--dry-run', '--truth', truth])
    expect(text.out).toContain('(truth 0/255)')
    expect(text.out).toContain('1 in the 0/255 challenge convention (255 read as lesion)')
  })

  it('a pair without a truth file is resolved but not scored; a bad truth file fails the pair', async () => {
    const truth = path.join(root, 'truth-partial')
    await fsp.mkdir(truth, { recursive: true })
    await fsp.writeFile(
      path.join(truth, `${IDS[2]}.png`),
      await encodeGreyMaskPng({ width: 3, height: 2, data: new Uint8Array(6) }),
    )
    const r = await run([ws, '--ids', `${IDS[2]},${IDS[1]}`, '--dry-run', '--json', '--truth', truth])
    expect(r.code).toBe(1)
    const report = JSON.parse(r.out) as ResolveReport
    expect(report.pairs[0]).toMatchObject({ id: IDS[2], status: 'failed', error: { code: 'mask-size' } })
    expect(report.pairs[0].error!.message).toContain('truth')

    await fsp.rm(path.join(truth, `${IDS[2]}.png`))
    const r2 = await run([ws, '--ids', IDS[2], '--dry-run', '--json', '--truth', truth])
    expect(r2.code).toBe(0)
    const p = (JSON.parse(r2.out) as ResolveReport).pairs[0]
    expect(p).toMatchObject({ status: 'resolved', truth: 'missing' })
    expect(p.accuracy).toBeUndefined()
    expect((JSON.parse(r2.out) as ResolveReport).summary.truth).toMatchObject({ scored: 0, missing: 1 })
  })
})

describe('the built CLI', () => {
  beforeAll(async () => {
    cliBundle = await builtCli()
  }, 300_000)

  it('node cli.js resolve: a dry run in JSON, and exit 2 for bad --ids', async () => {
    const ws = await createWorkspace('spawned')
    const r = spawnSync(
      process.execPath,
      [cliBundle, 'resolve', ws, '--ids', IDS[0], '--dry-run', '--json'],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    )
    expect(r.status).toBe(0)
    expect((JSON.parse(r.stdout) as ResolveReport).pairs[0]).toMatchObject({ id: IDS[0], status: 'resolved' })
    const bad = spawnSync(process.execPath, [cliBundle, 'resolve', ws, '--ids', 'nope'], { encoding: 'utf8' })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('--ids: not ISIC ids')
    const real = spawnSync(process.execPath, [cliBundle, 'resolve', ws, '--all'], {
      encoding: 'utf8',
      timeout: 120_000,
    })
    expect(real.status).toBe(0)
    expect(real.stdout).toContain('3 pairs: 3 resolved (now corrected)')
    expect(await maskFiles(ws)).toEqual(IDS.map((id) => `${id}.png`))
  }, 180_000)
})
