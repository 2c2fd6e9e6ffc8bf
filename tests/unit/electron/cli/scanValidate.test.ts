import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { LIST_LIMIT, runScan, scanCommand, type ScanReport } from '../../../../electron/cli/commands/scan'
import { runValidate, validateCommand } from '../../../../electron/cli/commands/validate'
import { UsageError } from '../../../../electron/cli/util'
import {
  badValuesPng,
  challengeMap,
  greyPng,
  jpeg,
  rgbPng,
  writeTree,
  writeZip,
  wsmMap,
} from '../../../support/datasetFixtures'
import { builtCli } from '../../../support/builtCli'

const id = (n: number) => `ISIC_${String(n).padStart(7, '0')}`
let dir: string
let masks: string
let cleanMasks: string
let images: string
let brokenZip: string
let cli: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cli-scan-test-'))
  const img = await jpeg(40, 30)
  const fine = greyPng(wsmMap(40, 30))
  const entries: [string, Uint8Array][] = [
    [`m/${id(0)}.png`, fine],
    [`m/${id(1)}.png`, await rgbPng(40, 30)],
    [`m/${id(2)}.png`, badValuesPng(40, 30)],
    [`m/${id(3)}.png`, greyPng(challengeMap(40, 30))],
    [`m/${id(4)}.png`, greyPng(wsmMap(30, 40))],
    [`m/${id(5)}_segmentation.png`, fine],
  ]
  // 105 masks without an image: the id list is cut at LIST_LIMIT, the count stays exact.
  for (let n = 1000; n < 1105; n++) entries.push([`m/${id(n)}.png`, greyPng(wsmMap(4, 4))])
  masks = await writeZip(path.join(dir, 'masks.zip'), entries)
  cleanMasks = await writeZip(path.join(dir, 'clean.zip'), [
    [`${id(0)}.png`, fine],
    [`${id(5)}.png`, fine],
  ])
  images = await writeTree(path.join(dir, 'images'), [
    ...[0, 1, 2, 3, 4, 5].map((n): [string, Uint8Array] => [`${id(n)}.jpg`, img]),
    [`${id(9)}.jpg`, img],
  ])
  brokenZip = path.join(dir, 'broken.zip')
  await writeFile(brokenZip, Buffer.alloc(3000, 1))

  // The real build (electron-vite, the project's main config) of the current sources.
  cli = await builtCli()
}, 300_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function expectShape(r: ScanReport) {
  expect(Object.keys(r)).toEqual(
    expect.arrayContaining([
      'pairs',
      'masksWithoutImage',
      'imagesWithoutMask',
      'duplicates',
      'problems',
      'problemCounts',
      'masks',
      'sources',
      'elapsedMs',
    ]),
  )
  for (const p of r.problems) expect(Object.keys(p).sort()).toEqual(['code', 'file', 'id', 'message'])
}

describe('scan (in process)', () => {
  it('reports pairs, unpaired ids (cut, counts exact), problems with codes, source errors', async () => {
    const r = await runScan({ masks, images: [images, brokenZip], workers: 2 })
    expectShape(r)
    expect(r.pairs).toBe(6)
    expect(r.masksWithoutImage.count).toBe(105)
    expect(r.masksWithoutImage.ids).toHaveLength(LIST_LIMIT)
    expect(r.masksWithoutImage.ids[0]).toBe(id(1000))
    expect(r.imagesWithoutMask).toEqual({ count: 1, ids: [id(9)] })
    expect(r.duplicates).toEqual({ count: 0, items: [] })
    expect(r.masks.scanned).toBe(6 + 105)
    expect(r.masks.valid).toBe(2 + 105)
    expect(r.problems.map((p) => [p.id, p.code])).toEqual([
      [null, 'zip-corrupt'],
      [id(1), 'mask-colour'],
      [id(2), 'mask-values'],
      [id(3), 'challenge-convention'],
      [id(4), 'mask-size'],
    ])
    expect(r.problems[0].file).toBe(brokenZip)
    expect(r.problemCounts).toEqual({
      'zip-corrupt': 1,
      'mask-colour': 1,
      'mask-values': 1,
      'challenge-convention': 1,
      'mask-size': 1,
    })
    expect(r.sources.find((s) => s.path === brokenZip)?.error).toContain('[zip-corrupt]')
  })

  it("counts a challenge-convention mask's 255s as lesion in the pixel totals, never as uncertain", async () => {
    const map = challengeMap(40, 30)
    const lesion = map.data.filter((v) => v === 255).length
    const challengeOnly = await writeZip(path.join(dir, 'challenge.zip'), [[`${id(3)}.png`, greyPng(map)]])
    const r = await runScan({ masks: challengeOnly, images: [images], workers: 0 })
    expect(r.problems.map((p) => p.code)).toEqual(['challenge-convention'])
    expect(lesion).toBeGreaterThan(0)
    expect(r.masks.pixels).toEqual({ background: 40 * 30 - lesion, lesion, uncertain: 0 })
  })

  it('returns exit status 1 with problems, 0 without, and refuses bad arguments', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    try {
      expect(await scanCommand(['--masks', masks, '--images', images, '--json'])).toBe(1)
      const printed = JSON.parse(String(out.mock.calls.at(-1)?.[0])) as ScanReport
      expectShape(printed)
      expect(await scanCommand(['--masks', cleanMasks, '--images', images])).toBe(0)
      expect(String(out.mock.calls.at(-1)?.[0])).toContain('pairs                 2')
    } finally {
      out.mockRestore()
    }
    await expect(scanCommand(['--images', images])).rejects.toBeInstanceOf(UsageError)
    await expect(scanCommand(['--masks', masks])).rejects.toBeInstanceOf(UsageError)
    await expect(
      scanCommand(['--masks', masks, '--images', images, '--workers', 'x']),
    ).rejects.toBeInstanceOf(UsageError)
  })
})

describe('validate (in process)', () => {
  it('checks masks alone: zips, folders and single files', async () => {
    const single = path.join(dir, 'single.png')
    await writeFile(single, badValuesPng(10, 10))
    const r = await runValidate([masks, single, brokenZip], { workers: 1 })
    expect(r.masks).toBe(6 + 105 + 1)
    // Without images there is no size check: only the mask's own problems.
    expect(r.problems.map((p) => [p.id, p.code])).toEqual([
      [null, 'zip-corrupt'],
      [id(1), 'mask-colour'],
      [id(2), 'mask-values'],
      [id(3), 'challenge-convention'],
      ['single', 'mask-values'],
    ])
    expect(r.valid).toBe(r.masks - 4)
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    try {
      expect(await validateCommand([cleanMasks])).toBe(0)
      expect(await validateCommand([masks, '--json'])).toBe(1)
    } finally {
      out.mockRestore()
    }
    await expect(validateCommand([])).rejects.toBeInstanceOf(UsageError)
    await expect(validateCommand([path.join(dir, 'missing.zip')])).rejects.toBeInstanceOf(UsageError)
  })
})

describe('the built CLI (electron-vite bundle, worker chunk included)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' })

  it('scan --json: exit 1 and the documented JSON when there are problems, 0 when clean', () => {
    const bad = run('scan', '--masks', masks, '--images', images, '--images', brokenZip, '--json')
    expect(bad.status, bad.stderr).toBe(1)
    const r = JSON.parse(bad.stdout) as ScanReport
    expectShape(r)
    expect(r.pairs).toBe(6)
    expect(r.problems).toHaveLength(5)
    const clean = run('scan', '--masks', cleanMasks, '--images', images, '--json')
    expect(clean.status, clean.stderr).toBe(0)
    expect((JSON.parse(clean.stdout) as ScanReport).problems).toEqual([])
  })

  it('validate: exit 0 / 1 / 2, never a stack trace for bad data', () => {
    expect(run('validate', cleanMasks).status).toBe(0)
    const bad = run('validate', masks, brokenZip)
    expect(bad.status).toBe(1)
    expect(bad.stdout).toContain('[zip-corrupt]')
    expect(bad.stdout).toContain('[mask-values]')
    expect(bad.stderr).not.toMatch(/\n\s+at /)
    expect(run('validate').status).toBe(2)
    expect(run('validate', path.join(dir, 'nope')).status).toBe(2)
    expect(run('scan', '--masks', masks).status).toBe(2)
  })

  it('scan names a broken masks zip with its code, exit 1', () => {
    const r = run('scan', '--masks', brokenZip, '--images', images)
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('[zip-corrupt]')
    expect(r.stderr).toContain(brokenZip)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
