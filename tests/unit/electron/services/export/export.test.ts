/**
 * Exports on real files: a workspace made with Workspace.create on a small generated demo, exported
 * to folders and zips under each profile and policy, then verified, and read back as a new dataset
 * (Dataset.open on the export) to compare pairs and bytes with the workspace.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, promises as fsp, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCommand } from '../../../../support/cli'
import { CodedError } from '../../../../../shared/api/errors'
import { countLabels, type LabelMap } from '../../../../../shared/labels/codes'
import { makeRepeatedSources } from '../../../../../bench/export'
import { exportCommand } from '../../../../../electron/cli/commands/export'
import { verifyExportCommand } from '../../../../../electron/cli/commands/verifyExport'
import { Dataset } from '../../../../../electron/services/dataset'
import { DEMO_PAIRS, generateDemoDataset } from '../../../../../electron/services/demo/demoDataset'
import {
  planExport,
  runExport,
  samplePairs,
  verifyExport,
  type ExportJson,
  type ExportSummary,
  type ManifestPair,
} from '../../../../../electron/services/export'
import { CSV_COLUMNS, parseCsv } from '../../../../../electron/services/export/format'
import { decodeMaskPng, encodeMaskPng } from '../../../../../electron/services/mask/maskPng'
import { openSqlite } from '../../../../../electron/services/workspace/sqlite'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { ZipReader } from '../../../../../electron/services/zip/zipReader'
import { hashTree, makeSources } from '../workspace/fixtures'

let root: string
let demoDir: string
let wsDir: string
let ws: Workspace
let sourceHashes: Map<string, string>

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex')
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    if (err instanceof CodedError) return err.code
    throw err
  }
  throw new Error('expected a CodedError')
}

async function exists(p: string): Promise<boolean> {
  return fsp.lstat(p).then(
    () => true,
    () => false,
  )
}

const run = (command: (args: string[]) => Promise<number>, args: string[]) =>
  runCommand(command, args, { mapErrors: true })

/** The bytes of the workspace's current mask of a pair (corrected file, else the source entry). */
async function currentMaskBytes(id: string): Promise<Buffer> {
  const s = ws.pairState(id)
  if (s.corrected) return fsp.readFile(ws.maskFile(id))
  return (await ws.dataset.readMaskBytes(s.index)).bytes
}

async function readExportFile(out: string, name: string): Promise<Buffer> {
  if (!out.endsWith('.zip')) return fsp.readFile(path.join(out, name))
  const z = await ZipReader.open(out)
  try {
    return await z.read(z.getEntry(name)!)
  } finally {
    await z.close()
  }
}

async function manifestOf(out: string): Promise<ManifestPair[]> {
  return (JSON.parse((await readExportFile(out, 'manifest.json')).toString()) as { pairs: ManifestPair[] })
    .pairs
}

async function recordOf(out: string): Promise<ExportJson> {
  return JSON.parse((await readExportFile(out, 'export.json')).toString()) as ExportJson
}

/** Opens an export as a new dataset, checks its pairs and bytes against the workspace. */
async function checkRoundTrip(out: string, profile: 'wsm' | 'isic-challenge'): Promise<Dataset> {
  const sources = out.endsWith('.zip')
    ? { masks: out, images: [out] }
    : { masks: path.join(out, 'masks'), images: [path.join(out, 'images')] }
  const ds = await Dataset.open(sources)
  const manifest = await manifestOf(out)
  expect(ds.page(0, 1000).items.map((p) => p.id)).toEqual(manifest.map((p) => p.id))
  for (let i = 0; i < ds.size; i++) {
    const id = ds.idAt(i)
    const image = await ds.readImageBytes(i)
    const source = await ws.dataset.readImageBytes(ws.pairState(id).index)
    expect(image.bytes.equals(source.bytes)).toBe(true)
    const mask = (await ds.readMaskBytes(i)).bytes
    const row = manifest[i]
    expect(sha256(mask)).toBe(row.mask.sha256)
    expect(sha256(image.bytes)).toBe(row.image.sha256)
    const decoded = decodeMaskPng(mask)
    expect(decoded.format).toMatchObject({ colorType: 0, bitDepth: 8 })
    const values = new Set(decoded.data)
    if (profile === 'wsm') {
      expect([...values].every((v) => v === 0 || v === 1 || v === 255)).toBe(true)
      // wsm output is the current mask itself: same values, and here the same bytes.
      expect(mask.equals(await currentMaskBytes(id))).toBe(true)
      expect(row.mask.written).toBe('copied')
    } else {
      expect([...values].every((v) => v === 0 || v === 255)).toBe(true)
    }
  }
  return ds
}

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-export-'))
  demoDir = path.join(root, 'demo')
  const info = await generateDemoDataset(demoDir, { pairs: DEMO_PAIRS.slice(0, 4) })
  sourceHashes = await hashTree(demoDir)
  wsDir = path.join(root, 'ws')
  ws = await Workspace.create(wsDir, { masks: info.masksZip, images: [info.imagesDir], curator: 'ana' })
  await ws.startStatsScan({ workers: 0 })
  await ws.setStatuses(['ISIC_0000000', 'ISIC_0000003'], 'accepted')
  await ws.setStatus('ISIC_0000002', 'rejected')
  // A correction resolving every uncertain pixel (half to lesion, half to background).
  const current = await ws.readCurrentMask('ISIC_0000001')
  const data = current.map.data.slice()
  let k = 0
  for (let i = 0; i < data.length; i++) if (data[i] === 255) data[i] = k++ % 2 === 0 ? 1 : 0
  await ws.saveMask('ISIC_0000001', { ...current.map, data })
})

afterAll(async () => {
  await ws?.close()
  // The sources are only ever read.
  if (sourceHashes) expect(await hashTree(demoDir)).toEqual(sourceHashes)
  await fsp.rm(root, { recursive: true, force: true })
})

describe('planExport', () => {
  it('selects accepted and corrected pairs by default, and lists what it leaves out', () => {
    const plan = planExport(ws, {})
    expect(plan.ids).toEqual(['ISIC_0000000', 'ISIC_0000001', 'ISIC_0000003'])
    expect(plan).toMatchObject({
      count: 3,
      excluded: [],
      unscanned: 0,
      profile: 'wsm',
      uncertainPolicy: null,
    })

    const named = planExport(ws, { ids: ['ISIC_0000002', 'ISIC_0000001', 'ISIC_9999999', 'junk'] })
    expect(named.ids).toEqual(['ISIC_0000001'])
    expect(named.excluded).toEqual([
      { id: 'ISIC_0000002', reason: 'status', detail: 'rejected' },
      { id: 'ISIC_9999999', reason: 'not-in-workspace' },
      { id: 'junk', reason: 'not-in-workspace' },
    ])

    const refuse = planExport(ws, { profile: 'isic-challenge' })
    expect(refuse.ids).toEqual(['ISIC_0000001'])
    expect(refuse.uncertainPolicy).toBe('refuse')
    expect(refuse.excluded.map((e) => [e.id, e.reason])).toEqual([
      ['ISIC_0000000', 'uncertain-pixels'],
      ['ISIC_0000003', 'uncertain-pixels'],
    ])
    expect(planExport(ws, { profile: 'isic-challenge', uncertainPolicy: 'lesion' }).count).toBe(3)

    const all = planExport(ws, { status: 'any', uncertainMax: 0 })
    expect(all.ids).toEqual(['ISIC_0000001'])
  })

  it('refuses malformed selections', () => {
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (err) {
        return (err as CodedError).code
      }
      return 'none'
    }
    expect(code(() => planExport(ws, { uncertainPolicy: 'lesion' }))).toBe('bad-request')
    expect(code(() => planExport(ws, { uncertainMax: 2 }))).toBe('bad-request')
    expect(code(() => planExport(ws, { status: ['nope' as 'accepted'] }))).toBe('bad-request')
    expect(code(() => planExport(ws, { sample: { count: 0, seed: 1 } }))).toBe('bad-request')
    expect(code(() => planExport(ws, { sample: { count: 1, seed: -1 } }))).toBe('bad-request')
  })

  it('samples reproducibly: the same seed gives the same pairs, another seed others', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `ISIC_${String(i).padStart(7, '0')}`)
    const a = samplePairs(ids, 50, 42)
    expect(samplePairs(ids, 50, 42)).toEqual(a)
    expect(a).toHaveLength(50)
    expect([...a].sort()).toEqual(a)
    expect(new Set(a).size).toBe(50)
    expect(samplePairs(ids, 50, 43)).not.toEqual(a)
    // Pinned: the algorithm (mulberry32 + partial Fisher–Yates) is part of the reproducibility promise.
    expect(samplePairs(ids.slice(0, 10), 3, 1)).toEqual(samplePairs(ids.slice(0, 10), 3, 1))
    expect(samplePairs(ids, 2000, 5)).toEqual(ids)
    const p1 = planExport(ws, { status: 'any', sample: { count: 2, seed: 7 } })
    expect(planExport(ws, { status: 'any', sample: { count: 2, seed: 7 } }).ids).toEqual(p1.ids)
    expect(p1.count).toBe(2)
    const seen = new Set<string>()
    for (let seed = 0; seed < 20; seed++)
      seen.add(planExport(ws, { status: 'any', sample: { count: 2, seed } }).ids.join())
    expect(seen.size).toBeGreaterThan(1)
  })
})

describe('runExport, wsm profile', () => {
  let folder: string
  let summary: ExportSummary

  it('exports to a folder: images unchanged, current masks copied, manifests, export.json', async () => {
    folder = path.join(root, 'out', 'subset')
    const progress: number[] = []
    summary = await runExport(ws, { out: folder }, { onProgress: (p) => progress.push(p.done) })
    expect(summary).toMatchObject({
      out: folder,
      container: 'folder',
      profile: 'wsm',
      exported: 3,
      excluded: [],
      masks: { copied: 3, reencoded: 0, converted: 0 },
    })
    expect(progress.at(-1)).toBe(3)
    expect((await fsp.readdir(folder)).sort()).toEqual([
      'export.json',
      'images',
      'manifest.csv',
      'manifest.json',
      'masks',
    ])
    expect((await fsp.readdir(path.dirname(folder))).filter((n) => n.includes('.partial-'))).toEqual([])
    const record = await recordOf(folder)
    expect(record).toMatchObject({
      format: 'wsm-curator-export',
      version: 1,
      container: 'folder',
      profile: 'wsm',
      uncertainPolicy: null,
      labels: { background: 0, lesion: 1, uncertain: 255 },
      selection: { status: ['accepted', 'corrected'], uncertainMax: null, ids: null, sample: null },
      counts: { selected: 3, exported: 3, excluded: 0 },
      workspace: { dir: wsDir, exportedBy: 'ana' },
    })
    expect(record.app.version).toMatch(/^\d+\.\d+\.\d+/)
    const manifest = await manifestOf(folder)
    const corrected = manifest.find((p) => p.id === 'ISIC_0000001')!
    expect(corrected).toMatchObject({
      status: 'corrected',
      curator: 'ana',
      uncertainAssigned: 0,
      mask: { origin: 'corrected', written: 'copied', source: ws.maskFile('ISIC_0000001') },
      pixels: { uncertain: 0 },
    })
    const accepted = manifest.find((p) => p.id === 'ISIC_0000000')!
    expect(accepted.mask.origin).toBe('source')
    expect(accepted.mask.source).toContain('ISIC_WSM_labels.zip!')
    // Fractions are those of the exported mask.
    const map = decodeMaskPng(await fsp.readFile(path.join(folder, accepted.mask.file)))
    const c = countLabels(map.data)
    expect(accepted.pixels).toEqual({ background: c.background, lesion: c.lesion, uncertain: c.uncertain })
    expect(accepted.fractions.uncertain).toBe(c.uncertain / (map.width * map.height))
    expect(accepted.reviewedAt).toBe(ws.pairState('ISIC_0000000').updatedAt)
    // The CSV holds the same rows.
    const rows = parseCsv((await fsp.readFile(path.join(folder, 'manifest.csv'))).toString())
    expect(rows[0]).toEqual([...CSV_COLUMNS])
    expect(rows.slice(1).map((r) => [r[0], r[15], r[19]])).toEqual(
      manifest.map((p) => [p.id, p.image.sha256, p.mask.sha256]),
    )
  })

  it('verifies, and reads back as a dataset with the same pairs and bytes', async () => {
    const report = await verifyExport(folder)
    expect(report).toMatchObject({ ok: true, container: 'folder', profile: 'wsm', pairs: 3, checked: 3 })
    const ds = await checkRoundTrip(folder, 'wsm')
    // The exported pairs open in the app like any dataset (size checks, values).
    expect((await ds.openPair(0)).mask.width).toBeGreaterThan(0)
    await ds.close()
  })

  it('exports to a zip: stored image and mask entries, readable by ZipReader and by unzip/zipfile', async () => {
    const zip = path.join(root, 'out', 'subset.zip')
    const s = await runExport(ws, { out: zip })
    expect(s).toMatchObject({ container: 'zip', exported: 3 })
    const z = await ZipReader.open(zip)
    try {
      const names = z.entries.map((e) => e.name)
      expect(names.filter((n) => !n.includes('/'))).toEqual(['manifest.csv', 'manifest.json', 'export.json'])
      for (const e of z.entries) {
        if (e.name.startsWith('images/') || e.name.startsWith('masks/')) expect(e.method).toBe(0)
      }
    } finally {
      await z.close()
    }
    if (spawnSync('which', ['unzip']).status === 0) {
      const out = execFileSync('unzip', ['-t', zip], { encoding: 'utf8' })
      expect(out).toContain('No errors detected')
    } else {
      execFileSync('python3', [
        '-c',
        'import sys, zipfile; sys.exit(zipfile.ZipFile(sys.argv[1]).testzip() is not None)',
        zip,
      ])
    }
    expect((await verifyExport(zip)).ok).toBe(true)
    const ds = await checkRoundTrip(zip, 'wsm')
    await ds.close()
    // Same selection, same workspace: the same manifest and the same image and mask entries.
    const again = path.join(root, 'out', 'again.zip')
    await runExport(ws, { out: again })
    expect(
      (await readExportFile(again, 'manifest.json')).equals(await readExportFile(zip, 'manifest.json')),
    ).toBe(true)
    expect(
      (await readExportFile(again, 'manifest.csv')).equals(await readExportFile(zip, 'manifest.csv')),
    ).toBe(true)
  })

  it('exports a seeded sample, the same one for the same seed', async () => {
    const a = path.join(root, 'out', 'sample-a')
    const b = path.join(root, 'out', 'sample-b.zip')
    const sel = { status: 'any' as const, sample: { count: 2, seed: 1234 } }
    await runExport(ws, { ...sel, out: a })
    await runExport(ws, { ...sel, out: b })
    const ma = await manifestOf(a)
    expect(ma).toHaveLength(2)
    expect((await manifestOf(b)).map((p) => p.id)).toEqual(ma.map((p) => p.id))
    expect((await recordOf(a)).selection.sample).toEqual({ count: 2, seed: 1234 })
  })
})

describe('runExport, isic-challenge profile', () => {
  it('refuse (default): leaves out pairs with uncertain pixels and lists them; only 0/255 written', async () => {
    const out = path.join(root, 'out', 'challenge-refuse')
    const s = await runExport(ws, { out, profile: 'isic-challenge' })
    expect(s.exported).toBe(1)
    expect(s.excluded.map((e) => [e.id, e.reason])).toEqual([
      ['ISIC_0000000', 'uncertain-pixels'],
      ['ISIC_0000003', 'uncertain-pixels'],
    ])
    const record = await recordOf(out)
    expect(record).toMatchObject({
      profile: 'isic-challenge',
      uncertainPolicy: 'refuse',
      labels: { background: 0, lesion: 255, uncertain: null },
      counts: { exported: 1, excluded: 2, masks: { converted: 1 } },
    })
    expect(record.excluded).toHaveLength(2)
    // 255 now means lesion: the corrected mask's lesion pixels are the output's 255s.
    const m = (await manifestOf(out))[0]
    const src = (await ws.readCurrentMask('ISIC_0000001')).map
    const outMap = decodeMaskPng(await fsp.readFile(path.join(out, m.mask.file)))
    expect(outMap.format).toMatchObject({ colorType: 0, bitDepth: 8 })
    let wrong = 0
    for (let i = 0; i < src.data.length; i++) if (outMap.data[i] !== (src.data[i] === 1 ? 255 : 0)) wrong++
    expect(wrong).toBe(0)
    expect(m.pixels.lesion).toBe(countLabels(src.data).lesion)
    expect(m.mask.written).toBe('converted')
    const report = await verifyExport(out)
    expect(report).toMatchObject({ ok: true, profile: 'isic-challenge' })
    ;(await checkRoundTrip(out, 'isic-challenge')).close()
  })

  for (const policy of ['lesion', 'background'] as const) {
    it(`${policy}: assigns every uncertain pixel to ${policy}, counted`, async () => {
      const out = path.join(root, 'out', `challenge-${policy}.zip`)
      const s = await runExport(ws, { out, profile: 'isic-challenge', uncertainPolicy: policy })
      expect(s.exported).toBe(3)
      expect(s.excluded).toEqual([])
      const manifest = await manifestOf(out)
      let assigned = 0
      for (const row of manifest) {
        const cur: LabelMap = (await ws.readCurrentMask(row.id)).map
        const c = countLabels(cur.data)
        const outMap = decodeMaskPng(await readExportFile(out, row.mask.file))
        const want = (v: number) => (v === 1 ? 255 : v === 0 ? 0 : policy === 'lesion' ? 255 : 0)
        let wrong = 0
        for (let i = 0; i < cur.data.length; i++) if (outMap.data[i] !== want(cur.data[i])) wrong++
        expect(wrong).toBe(0)
        expect(row.uncertainAssigned).toBe(c.uncertain)
        expect(row.pixels.uncertain).toBe(0)
        expect(row.pixels.lesion).toBe(c.lesion + (policy === 'lesion' ? c.uncertain : 0))
        assigned += c.uncertain
      }
      expect(s.uncertainAssigned).toBe(assigned)
      expect(assigned).toBeGreaterThan(0)
      expect((await recordOf(out)).uncertainPolicy).toBe(policy)
      expect((await verifyExport(out)).ok).toBe(true)
      ;(await checkRoundTrip(out, 'isic-challenge')).close()
    })
  }

  it('verify knows the profile: a wsm mask in an isic-challenge export is a problem', async () => {
    const out = path.join(root, 'out', 'challenge-swap')
    await runExport(ws, { out, profile: 'isic-challenge', uncertainPolicy: 'lesion' })
    const wsmOut = path.join(root, 'out', 'subset')
    const row = (await manifestOf(out))[0]
    await fsp.copyFile(path.join(wsmOut, row.mask.file), path.join(out, row.mask.file))
    const report = await verifyExport(out)
    expect(report.ok).toBe(false)
    const codes = report.problems.map((p) => p.code)
    expect(codes).toContain('checksum-mismatch')
    expect(codes).toContain('mask-values')
  })
})

describe('verify-export', () => {
  it('exit 0 when all is well; a flipped byte in a mask gives exit 1 naming the file', async () => {
    const out = path.join(root, 'out', 'to-corrupt')
    await runExport(ws, { out })
    const ok = await run(verifyExportCommand, [out])
    expect(ok.code).toBe(0)
    expect(ok.out).toContain('3 pairs')
    const row = (await manifestOf(out))[1]
    const file = path.join(out, row.mask.file)
    const bytes = await fsp.readFile(file)
    bytes[bytes.length - 20] ^= 0x01
    await fsp.writeFile(file, bytes)
    const bad = await run(verifyExportCommand, [out, '--json'])
    expect(bad.code).toBe(1)
    const report = JSON.parse(bad.out)
    expect(report.ok).toBe(false)
    expect(report.problems.some((p: { file?: string }) => p.file === file)).toBe(true)
    const text = await run(verifyExportCommand, [out])
    expect(text.code).toBe(1)
    expect(text.out).toContain(file)
  })

  it('in a zip too: a flipped byte in a mask entry is found, naming the entry', async () => {
    const zip = path.join(root, 'out', 'to-corrupt.zip')
    await runExport(ws, { out: zip })
    const row = (await manifestOf(zip))[0]
    const z = await ZipReader.open(zip)
    const entry = z.getEntry(row.mask.file)!
    await z.close()
    const bytes = await fsp.readFile(zip)
    // Stored: the entry's data follows its local header (30 bytes + name) unchanged.
    const at = entry.localHeaderOffset + 30 + Buffer.byteLength(entry.name) + 40
    bytes[at] ^= 0x40
    await fsp.writeFile(zip, bytes)
    const r = await run(verifyExportCommand, [zip])
    expect(r.code).toBe(1)
    expect(r.out).toContain(`${zip}!${row.mask.file}`)
  })

  it('finds unlisted files, missing files and an edited manifest', async () => {
    const out = path.join(root, 'out', 'to-edit')
    await runExport(ws, { out })
    const manifest = await manifestOf(out)
    await fsp.writeFile(path.join(out, 'masks', 'ISIC_0000009.png'), 'x')
    await fsp.rm(path.join(out, manifest[0].image.file))
    const csv = path.join(out, 'manifest.csv')
    await fsp.writeFile(csv, (await fsp.readFile(csv, 'utf8')).replace('accepted', 'rejected'))
    const report = await verifyExport(out)
    const got = report.problems.map((p) => [p.code, path.basename(p.file ?? '')])
    expect(got).toContainEqual(['export-corrupt', 'ISIC_0000009.png'])
    expect(got).toContainEqual(['not-found', path.basename(manifest[0].image.file)])
    expect(got).toContainEqual(['checksum-mismatch', 'manifest.csv'])
    expect(got).toContainEqual(['export-corrupt', 'manifest.csv'])
  })

  it('exit 2 for unusable arguments, 1 for a folder that is not an export', async () => {
    expect((await run(verifyExportCommand, [])).code).toBe(2)
    expect((await run(verifyExportCommand, [path.join(root, 'nope')])).code).toBe(2)
    const r = await run(verifyExportCommand, [demoDir])
    expect(r.code).toBe(1)
    expect(r.out).toContain('export-corrupt')
  })
})

describe('safety', () => {
  it('refuses an output inside the workspace, inside a source folder, or over an existing path', async () => {
    expect(await codeOf(runExport(ws, { out: path.join(wsDir, 'export') }))).toBe('export-target')
    expect(await codeOf(runExport(ws, { out: path.join(wsDir, 'cache', 'x.zip') }))).toBe('export-target')
    expect(await codeOf(runExport(ws, { out: path.join(demoDir, 'images', 'sub', 'x') }))).toBe(
      'export-target',
    )
    expect(await codeOf(runExport(ws, { out: path.join(root, 'out', 'subset') }))).toBe('export-target')
    // Through a symbolic link to the workspace, too.
    await fsp.symlink(wsDir, path.join(root, 'ws-link'))
    expect(await codeOf(runExport(ws, { out: path.join(root, 'ws-link', 'x') }))).toBe('export-target')
    // Next to the masks zip is fine (the zip is a file, not a folder we could write into).
    const beside = path.join(demoDir, 'export-beside.zip')
    await runExport(ws, { out: beside })
    await fsp.rm(beside)
    expect(await exists(path.join(wsDir, 'export'))).toBe(false)
  })

  it.skipIf(!existsSync('/proc/self'))(
    'an output whose folders cannot be made (under /proc) fails with a code, instead of hanging (skipped: no /proc)',
    async () => {
      expect(await codeOf(runExport(ws, { out: '/proc/wsm-no-such/export' }))).toMatch(
        /^(not-found|io-error)$/,
      )
    },
  )

  it('cancel: nothing under the final name, no partial left', async () => {
    for (const out of [path.join(root, 'out', 'cancelled'), path.join(root, 'out', 'cancelled.zip')]) {
      const controller = new AbortController()
      const p = runExport(
        ws,
        { out, status: 'any' },
        {
          signal: controller.signal,
          onProgress: (s) => s.done === 1 && controller.abort(),
        },
      )
      const err = await p.then(
        (v) => v,
        (e: unknown) => e,
      )
      expect(err).toMatchObject({ code: 'cancelled' })
      expect(await exists(out)).toBe(false)
      expect((await fsp.readdir(path.dirname(out))).filter((n) => n.includes('.partial-'))).toEqual([])
    }
  })

  it('an empty selection is refused and writes nothing', async () => {
    const out = path.join(root, 'out', 'empty')
    expect(await codeOf(runExport(ws, { out, status: ['flagged'] }))).toBe('bad-request')
    expect(await exists(out)).toBe(false)
  })
})

describe('wsm-curator export', () => {
  it('exports with filters and prints a summary (text and JSON)', async () => {
    await ws.close()
    try {
      const out = path.join(root, 'out', 'cli.zip')
      const r = await run(exportCommand, [wsDir, '--out', out, '--status', 'any', '--uncertain-max', '0.5'])
      expect(r.err).toBe('')
      expect(r.code).toBe(0)
      expect(r.out).toContain('exported 4 pairs')
      expect(r.out).toContain(`verify-export ${out}`)
      const j = await run(exportCommand, [
        wsDir,
        '--out',
        path.join(root, 'out', 'cli-json'),
        '--ids',
        'ISIC_0000000,ISIC_0000002',
        '--profile',
        'isic-challenge',
        '--uncertain-policy',
        'background',
        '--json',
      ])
      expect(j.code).toBe(0)
      const summary = JSON.parse(j.out)
      expect(summary).toMatchObject({ exported: 1, profile: 'isic-challenge', uncertainPolicy: 'background' })
      expect(summary.excluded).toEqual([{ id: 'ISIC_0000002', reason: 'status', detail: 'rejected' }])
      const sample = await run(exportCommand, [
        wsDir,
        '--out',
        path.join(root, 'out', 'cli-s'),
        '--sample',
        '2',
      ])
      expect(sample.code).toBe(0)
      expect(sample.err).toMatch(/seed \d+/)
      expect((await recordOf(path.join(root, 'out', 'cli-s'))).selection.sample?.count).toBe(2)

      for (const args of [
        [wsDir],
        [wsDir, '--out', path.join(root, 'u1'), '--uncertain-policy', 'lesion'],
        [wsDir, '--out', path.join(root, 'u2'), '--seed', '3'],
        [wsDir, '--out', path.join(root, 'u3'), '--status', 'good'],
        [wsDir, '--out', path.join(root, 'u4'), '--sample', '0'],
        [wsDir, '--out', path.join(root, 'u5'), '--profile', 'coco'],
      ]) {
        expect((await run(exportCommand, args)).code).toBe(2)
      }
      const inside = await run(exportCommand, [wsDir, '--out', path.join(wsDir, 'x')])
      expect(inside.code).toBe(1)
      expect(inside.err).toContain('[export-target]')
    } finally {
      ws = await Workspace.open(wsDir)
    }
  })
})

describe('other mask formats and unscanned pairs', () => {
  it('re-encodes palette masks as 8-bit grey (same values) and decodes masks without statistics', async () => {
    const src = await makeSources(path.join(root, 'fixture-src'))
    const dir = path.join(root, 'ws2')
    const w2 = await Workspace.create(dir, { masks: src.masks, images: [src.images], curator: 'bo' })
    try {
      const out = path.join(root, 'out', 'palette')
      const s = await runExport(w2, { out, status: 'any' })
      expect(s.masks).toEqual({ copied: 3, reencoded: 2, converted: 0 })
      const manifest = await manifestOf(out)
      for (const row of manifest) {
        const cur = (await w2.readCurrentMask(row.id)).map
        const got = decodeMaskPng(await fsp.readFile(path.join(out, row.mask.file)))
        expect(got.format).toMatchObject({ colorType: 0, bitDepth: 8 })
        expect(Buffer.from(got.data).equals(Buffer.from(cur.data))).toBe(true)
        const c = countLabels(cur.data)
        expect(row.pixels).toEqual({ background: c.background, lesion: c.lesion, uncertain: c.uncertain })
      }
      expect(manifest.filter((r) => r.mask.written === 'reencoded').map((r) => r.id)).toEqual([
        'ISIC_0000002',
        'ISIC_0000005',
      ])
      expect((await verifyExport(out)).ok).toBe(true)
      // Under refuse, unscanned pairs with uncertain pixels are found while decoding, and listed.
      const refused = await runExport(w2, {
        out: path.join(root, 'out', 'p-refuse'),
        status: 'any',
        profile: 'isic-challenge',
      })
      expect(refused.exported).toBe(1)
      expect(refused.excluded.map((e) => e.reason)).toEqual(Array(4).fill('uncertain-pixels'))
      expect(planExport(w2, { status: 'any', profile: 'isic-challenge' })).toMatchObject({
        count: 5,
        unscanned: 5,
      })
    } finally {
      await w2.close()
    }
  })
})

describe('many pairs: reused buffers, batched zip writes, a correction saved meanwhile', () => {
  let dir: string
  let big: Workspace
  let ids: string[]

  beforeAll(async () => {
    dir = path.join(root, 'many')
    // 240 pairs cycling through four different images, three of them padded past 1 MiB (each padded
    // differently): a buffer reused before its bytes were written would put one pair's bytes in
    // another's file.
    const src = await makeRepeatedSources(path.join(dir, 'src'), 240)
    ids = src.ids
    for (const k of [5, 6, 100]) {
      const file = path.join(src.images, `${ids[k]}.jpg`)
      const jpeg = await fsp.readFile(file)
      await fsp.unlink(file)
      await fsp.writeFile(file, Buffer.concat([jpeg, Buffer.alloc(1_200_000 + k, k)]))
    }
    big = await Workspace.create(path.join(dir, 'ws'), {
      masks: src.masks,
      images: [src.images],
      curator: 'cy',
    })
    await big.setStatuses(ids, 'accepted')
  }, 120_000)

  afterAll(async () => {
    await big?.close()
  })

  /** Every exported file is its pair's source bytes, with the manifest's size and SHA-256. */
  async function checkFiles(out: string): Promise<void> {
    const manifest = await manifestOf(out)
    expect(manifest.map((p) => p.id)).toEqual(ids)
    const zip = out.endsWith('.zip') ? await ZipReader.open(out) : undefined
    try {
      // ZipReader checks each entry's CRC-32 too.
      const read = (name: string) =>
        zip ? zip.read(zip.getEntry(name)!) : fsp.readFile(path.join(out, name))
      for (const row of manifest) {
        const { index } = big.pairState(row.id)
        const image = await read(row.image.file)
        const mask = await read(row.mask.file)
        expect(image.equals((await big.dataset.readImageBytes(index)).bytes)).toBe(true)
        expect(mask.equals((await big.dataset.readMaskBytes(index)).bytes)).toBe(true)
        expect([image.length, sha256(image), mask.length, sha256(mask)]).toEqual([
          row.image.bytes,
          row.image.sha256,
          row.mask.bytes,
          row.mask.sha256,
        ])
      }
    } finally {
      await zip?.close()
    }
    expect((await verifyExport(out)).ok).toBe(true)
  }

  it('exports every pair exactly, to a folder and to a zip, with the same manifest', async () => {
    const folder = path.join(dir, 'out', 'all')
    const zip = path.join(dir, 'out', 'all.zip')
    const a = await runExport(big, { out: folder })
    const b = await runExport(big, { out: zip })
    expect([a.exported, b.exported]).toEqual([240, 240])
    expect(a.imageBytes).toBe(b.imageBytes)
    expect(a.imageBytes).toBeGreaterThan(3 * 1_200_000)
    await checkFiles(folder)
    await checkFiles(zip)
    expect(
      (await readExportFile(zip, 'manifest.json')).equals(await readExportFile(folder, 'manifest.json')),
    ).toBe(true)
  })

  it('a pair whose mask is unusable, corrected by another program during the export, goes out corrected', async () => {
    // The source mask of this pair is the wrong size (another pair's mask); the export is planned with
    // it, then another program (here: a second database connection and a file write) saves a correction
    // before the export reaches the pair. The export reads the unusable mask, sees the state moved, and
    // reads the pair again.
    const src = await makeRepeatedSources(path.join(dir, 'src2'), 40)
    const masksDir = path.join(dir, 'src2', 'masks')
    const zip = await ZipReader.open(src.masks)
    const maskOf = async (id: string) => zip.read(zip.getEntry(`ISIC_WSM_labels/${id}.png`)!)
    const target = src.ids[30]
    let good: Buffer
    try {
      await fsp.mkdir(masksDir)
      for (const id of src.ids) await fsp.writeFile(path.join(masksDir, `${id}.png`), await maskOf(id))
      good = await maskOf(target)
      await fsp.writeFile(path.join(masksDir, `${target}.png`), await maskOf(src.ids[31]))
    } finally {
      await zip.close()
    }
    const w = await Workspace.create(path.join(dir, 'ws2'), { masks: masksDir, images: [src.images] })
    try {
      await w.setStatuses(src.ids, 'accepted')
      const out = path.join(dir, 'out', 'meanwhile.zip')
      // Without the correction, the pair stops the export.
      expect(await codeOf(runExport(w, { out }))).toBe('mask-size')
      const saveElsewhere = () => {
        mkdirSync(path.dirname(w.maskFile(target)), { recursive: true })
        writeFileSync(w.maskFile(target), good)
        const db = openSqlite(w.databaseFile)
        try {
          db.prepare(
            `UPDATE pairs SET status = 'corrected', curator = 'dee', updated_at = ?, mask_sha256 = ?, mask_size = ?
             WHERE id = ?`,
          ).run(Date.now(), sha256(good), good.length, target)
        } finally {
          db.close()
        }
      }
      const s = await runExport(w, { out }, { onProgress: (p) => p.done === 1 && saveElsewhere() })
      expect(s.exported).toBe(40)
      const row = (await manifestOf(out)).find((p) => p.id === target)!
      expect(row).toMatchObject({ status: 'corrected', curator: 'dee', mask: { origin: 'corrected' } })
      expect((await readExportFile(out, row.mask.file)).equals(good)).toBe(true)
      expect((await verifyExport(out)).ok).toBe(true)
    } finally {
      await w.close()
    }
  })
  it('a corrected mask file that is not the one its row records (a save between rename and commit) is never exported as it', async () => {
    const src = await makeRepeatedSources(path.join(dir, 'src3'), 6)
    const w = await Workspace.create(path.join(dir, 'ws3'), { masks: src.masks, images: [src.images] })
    try {
      const target = src.ids[3]
      const current = await w.readCurrentMask(target)
      const edit = (k: number): LabelMap => ({
        ...current.map,
        data: current.map.data.map((v, i) => (v === 255 ? ((i + k) % 2 ? 1 : 0) : v)),
      })
      await w.saveMask(target, edit(0))
      await w.setStatuses(
        src.ids.filter((id) => id !== target),
        'accepted',
      )
      // Another save's new file, renamed into place, its row not committed (yet): other bytes, same row.
      const other = encodeMaskPng(edit(1), {
        colorType: 0,
        bitDepth: 8,
        interlaced: false,
      })
      await fsp.writeFile(w.maskFile(target), other)
      const out = path.join(dir, 'out', 'between.zip')
      const err = await runExport(w, { out }).catch((e: unknown) => e as CodedError)
      expect(err).toBeInstanceOf(CodedError)
      expect((err as CodedError).code).toBe('io-error')
      expect((err as CodedError).message).toContain(target)
      expect(await exists(out)).toBe(false)
    } finally {
      await w.close()
    }
  })
})

describe('zip64', () => {
  // 4.5 GB written and read back: opt-in (WSM_TEST_BIG_ZIP=1). ZipWriter's own tests cover > 65,535 entries.
  it.runIf(process.env.WSM_TEST_BIG_ZIP === '1')(
    'an export zip over 4 GiB is written with zip64 records, and reads back (skipped unless WSM_TEST_BIG_ZIP=1: writes 4.5 GB)',
    async () => {
      const dir = path.join(root, 'big')
      const images = path.join(dir, 'images')
      const masks = path.join(dir, 'masks')
      await fsp.mkdir(images, { recursive: true })
      await fsp.mkdir(masks, { recursive: true })
      // One 100 MB JPEG (the demo's, padded after its end marker), hard-linked under 45 ids.
      const jpeg = await fsp.readFile(path.join(demoDir, 'images', 'ISIC_0000000.jpg'))
      const big = path.join(dir, 'big.jpg')
      await fsp.writeFile(big, Buffer.concat([jpeg, Buffer.alloc(100_000_000 - jpeg.length, 0x5a)]))
      const mask = await currentMaskBytes('ISIC_0000000')
      const ids = Array.from({ length: 45 }, (_, i) => `ISIC_${String(2_000_000 + i).padStart(7, '0')}`)
      for (const id of ids) {
        await fsp.link(big, path.join(images, `${id}.jpg`))
        await fsp.writeFile(path.join(masks, `${id}.png`), mask)
      }
      const w = await Workspace.create(path.join(dir, 'ws'), { masks, images: [images] })
      try {
        const out = path.join(dir, 'big.zip')
        const s = await runExport(w, { out, status: 'any' })
        expect(s.bytes).toBeGreaterThan(2 ** 32)
        expect((await verifyExport(out)).ok).toBe(true)
        const fh = await fsp.open(out, 'r')
        const tail = Buffer.alloc(98)
        await fh.read(tail, 0, 98, s.bytes - 98)
        await fh.close()
        expect(tail.readUInt32LE(0)).toBe(0x06064b50) // zip64 end of central directory record
        if (spawnSync('which', ['unzip']).status === 0) {
          expect(execFileSync('unzip', ['-t', out], { encoding: 'utf8', maxBuffer: 1 << 24 })).toContain(
            'No errors detected',
          )
        }
      } finally {
        await w.close()
        await fsp.rm(dir, { recursive: true, force: true })
      }
    },
    600_000,
  )
})
