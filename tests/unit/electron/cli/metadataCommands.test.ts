/**
 * The metadata CLI: `metadata` import, `stats --by`, `export --where` (with the manifests' metadata
 * columns, checked by verify-export) and `review --where`, on a real workspace over real sources.
 */
import { spawnSync } from 'node:child_process'
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtCli } from '../../../support/builtCli'
import { runCommand } from '../../../support/cli'
import { exportCommand } from '../../../../electron/cli/commands/export'
import { initCommand } from '../../../../electron/cli/commands/init'
import { metadataCommand } from '../../../../electron/cli/commands/metadata'
import { reviewCommand } from '../../../../electron/cli/commands/review'
import { statsCommand } from '../../../../electron/cli/commands/stats'
import { parseCsv, type ManifestJson } from '../../../../electron/services/export/format'
import { verifyExport } from '../../../../electron/services/export'
import { Workspace } from '../../../../electron/services/workspace/workspace'
import { makeSources, type Sources } from '../services/workspace/fixtures'

let root: string
let sources: Sources
let ws: string

const run = (command: (args: string[]) => Promise<number>, args: string[]) =>
  runCommand(command, args, { mapErrors: true })

const ARCHIVE =
  'isic_id,attribution,copyright_license,age_approx,anatom_site_general,benign_malignant,diagnosis,sex\n' +
  'ISIC_0000001,"MSK, NY",CC-BY,55,anterior torso,malignant,melanoma,male\n' +
  'ISIC_0000002,ViDIR,CC-BY,30,lower extremity,benign,nevus,female\n' +
  'ISIC_0000003,ViDIR,CC-BY,45,head/neck,benign,nevus,female\n' +
  'ISIC_0000004,MSK,CC-0,70,back,malignant,melanoma,male\n' +
  'ISIC_9999999,Other,CC-0,20,back,benign,nevus,male\n'

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-cli-meta-'))
  sources = await makeSources(path.join(root, 'src'))
  ws = path.join(root, 'ws')
  expect((await run(initCommand, [ws, '--masks', sources.masks, '--images', sources.images])).code).toBe(0)
  expect((await run(statsCommand, [ws, '--json'])).code).toBe(0)
  await fsp.writeFile(path.join(root, 'archive.csv'), ARCHIVE)
  await fsp.writeFile(
    path.join(root, 'gt.csv'),
    '\ufeffimage,MEL,NV\r\nISIC_0000001,1.0,0.0\r\nISIC_0000005,0.0,1.0\r\n',
  )
})

afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true })
})

describe('wsm-curator metadata', () => {
  it('imports an archive export and a challenge ground truth, printing {rows, matched, unmatched, columns}', async () => {
    const r = await run(metadataCommand, [
      ws,
      path.join(root, 'archive.csv'),
      path.join(root, 'gt.csv'),
      '--json',
    ])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out)).toEqual({
      rows: 7,
      matched: 6,
      unmatched: 1,
      columns: [
        'attribution',
        'copyright_license',
        'age_approx',
        'anatom_site_general',
        'benign_malignant',
        'diagnosis',
        'sex',
        'MEL',
        'NV',
      ],
    })
  })

  it('replaces the values of a column imported again, keeping the other pairs', async () => {
    const again = path.join(root, 'again.csv')
    await fsp.writeFile(again, 'isic_id,diagnosis\nISIC_0000003,seborrheic keratosis\n')
    expect((await run(metadataCommand, [ws, again])).out).toContain('1 matched')
    const w = await Workspace.open(ws, { readOnly: true })
    try {
      expect(w.metadataValues('diagnosis')).toEqual([
        { value: 'melanoma', pairs: 2 },
        { value: 'nevus', pairs: 1 },
        { value: 'seborrheic keratosis', pairs: 1 },
      ])
      expect(w.metadataColumns().map((c) => c.name)).toContain('MEL')
    } finally {
      await w.close()
    }
    await fsp.writeFile(again, 'isic_id,diagnosis\nISIC_0000003,nevus\n')
    expect((await run(metadataCommand, [ws, again])).code).toBe(0)
  })

  it('exits 1 with a [code] for a file with no id column or not a CSV, and 2 without a CSV', async () => {
    const noId = path.join(root, 'noid.csv')
    await fsp.writeFile(noId, 'name,diagnosis\nx,nevus\n')
    const r = await run(metadataCommand, [ws, noId])
    expect(r.code).toBe(1)
    expect(r.err).toContain('[metadata-no-id-column]')
    const bin = path.join(root, 'bin.csv')
    await fsp.writeFile(bin, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]))
    const b = await run(metadataCommand, [ws, bin])
    expect(b.code).toBe(1)
    expect(b.err).toContain('[metadata-not-csv]')
    expect((await run(metadataCommand, [ws])).code).toBe(2)
  })
})

describe('wsm-curator stats --by', () => {
  it('groups the pairs by a metadata column, with statuses and mean uncertain fraction', async () => {
    const r = await run(statsCommand, [ws, '--json', '--by', 'diagnosis'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.out)
    expect(j.by.column).toBe('diagnosis')
    const groups = j.by.groups as {
      value: string | null
      pairs: number
      statuses: Record<string, number>
      uncertainMean: number
    }[]
    expect(groups.map((g) => [g.value, g.pairs])).toEqual([
      ['melanoma', 2],
      ['nevus', 2],
      [null, 1],
    ])
    expect(groups[0].statuses.unreviewed).toBe(2)
    expect(groups[0].uncertainMean).toBeGreaterThan(0)
    expect(groups[0].uncertainMean).toBeLessThan(1)
    const text = await run(statsCommand, [ws, '--no-scan', '--by', 'sex'])
    expect(text.out).toMatch(/by sex:[\s\S]*female\s+2/)
  })

  it('an unknown column is exit 2 naming it', async () => {
    const r = await run(statsCommand, [ws, '--json', '--by', 'nope'])
    expect(r.code).toBe(2)
    expect(r.err).toContain('"nope"')
  })
})

describe('wsm-curator export --where', () => {
  it('exports the pairs meeting every condition; the manifests carry every metadata column; verify-export passes', async () => {
    const out = path.join(root, 'melanoma-male')
    const r = await run(exportCommand, [
      ws,
      '--out',
      out,
      '--status',
      'any',
      '--where',
      'diagnosis=melanoma,nevus',
      '--where',
      'sex=male',
      '--json',
    ])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out).exported).toBe(2)
    const manifest = JSON.parse(await fsp.readFile(path.join(out, 'manifest.json'), 'utf8')) as ManifestJson
    expect(manifest.pairs.map((p) => p.id)).toEqual(['ISIC_0000001', 'ISIC_0000004'])
    expect(manifest.metadataColumns).toEqual([
      'attribution',
      'copyright_license',
      'age_approx',
      'anatom_site_general',
      'benign_malignant',
      'diagnosis',
      'sex',
      'MEL',
      'NV',
    ])
    expect(manifest.pairs[0].metadata).toMatchObject({
      attribution: 'MSK, NY',
      diagnosis: 'melanoma',
      MEL: '1.0',
    })
    expect(manifest.pairs[1].metadata?.MEL).toBeUndefined()
    const csv = parseCsv(await fsp.readFile(path.join(out, 'manifest.csv'), 'utf8'))
    const head = csv[0]
    expect(head.slice(-9)).toEqual(manifest.metadataColumns)
    expect(csv[1][head.indexOf('attribution')]).toBe('MSK, NY')
    expect(csv[2][head.indexOf('MEL')]).toBe('')
    const exportJson = JSON.parse(await fsp.readFile(path.join(out, 'export.json'), 'utf8'))
    expect(exportJson.selection.where).toEqual([
      { column: 'diagnosis', values: ['melanoma', 'nevus'] },
      { column: 'sex', values: ['male'] },
    ])
    const report = await verifyExport(out)
    expect(report.problems).toEqual([])
    expect(report.ok).toBe(true)
  })

  it('an unknown column is exit 2 naming it, and nothing is written', async () => {
    const out = path.join(root, 'never')
    const r = await run(exportCommand, [ws, '--out', out, '--where', 'diagnosys=melanoma'])
    expect(r.code).toBe(2)
    expect(r.err).toContain('"diagnosys"')
    await expect(fsp.stat(out)).rejects.toThrow()
    expect((await run(exportCommand, [ws, '--out', out, '--where', 'diagnosis'])).code).toBe(2)
  })
})

describe('wsm-curator review --where', () => {
  it('sets the status of the unreviewed pairs meeting the conditions', async () => {
    const dry = await run(reviewCommand, [
      ws,
      '--set',
      'flagged',
      '--where',
      'benign_malignant=malignant',
      '--dry-run',
    ])
    expect(dry.out).toBe('would set 2 pairs to flagged\nISIC_0000001\nISIC_0000004\n')
    const r = await run(reviewCommand, [
      ws,
      '--set',
      'flagged',
      '--where',
      'benign_malignant=malignant',
      '--where',
      'age_approx=70',
    ])
    expect(r.code).toBe(0)
    expect(r.out).toContain('set 1 pairs to flagged')
    const w = await Workspace.open(ws, { readOnly: true })
    try {
      expect(w.pairState('ISIC_0000004').status).toBe('flagged')
      expect(w.pairState('ISIC_0000001').status).toBe('unreviewed')
    } finally {
      await w.close()
    }
    expect((await run(reviewCommand, [ws, '--set', 'flagged', '--where', 'x=y'])).code).toBe(2)
  })
})

describe('the built CLI', () => {
  let cliBundle: string
  beforeAll(async () => {
    cliBundle = await builtCli()
  }, 300_000)

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cliBundle, ...args], { encoding: 'utf8', timeout: 60_000 })
    return { status: r.status, stdout: r.stdout, stderr: r.stderr }
  }

  it('metadata: exit 0 with the JSON, 1 with the [code] of a bad file, 2 for an unknown --where column', () => {
    const ok = cli('metadata', ws, path.join(root, 'gt.csv'), '--json')
    expect(ok.status).toBe(0)
    expect(JSON.parse(ok.stdout)).toEqual({ rows: 2, matched: 2, unmatched: 0, columns: ['MEL', 'NV'] })
    const bad = cli('metadata', ws, path.join(root, 'noid.csv'))
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/^wsm-curator: \[metadata-no-id-column\]/)
    const unknown = cli('export', ws, '--out', path.join(root, 'x'), '--where', 'nope=1')
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('"nope"')
    expect(cli('--help').stdout).toContain('wsm-curator metadata <workspace> <csv>…')
  })
})
