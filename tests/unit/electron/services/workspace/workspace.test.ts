import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type * as WorkerThreads from 'node:worker_threads'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { CodedError } from '../../../../../shared/api/errors'
import { decodeMaskPng, encodeMaskPng } from '../../../../../electron/services/mask/maskPng'
import { openSqlite } from '../../../../../electron/services/workspace/sqlite'
import { SCHEMA_VERSION } from '../../../../../electron/services/workspace/schema'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import {
  drawMask,
  formatOf,
  hashTree,
  makeSources,
  pngChunk,
  resolveUncertain,
  TEST_PALETTE,
  TEST_TRNS,
  type Sources,
} from './fixtures'
import { caught, pngClaiming } from '../../../../support/datasetFixtures'

/** Worker threads started in this file: the real Worker class, counted (see the scan tests). */
const workerStarts = vi.hoisted(() => ({ count: 0 }))
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof WorkerThreads>()
  class CountedWorker extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      super(...args)
      workerStarts.count++
    }
  }
  return { ...real, default: { ...real, Worker: CountedWorker }, Worker: CountedWorker }
})

let root: string
let sources: Sources
let sourceHashes: Map<string, string>
const open: Workspace[] = []

async function newWorkspace(name: string, curator = 'ana'): Promise<Workspace> {
  const ws = await Workspace.create(path.join(root, name), {
    masks: sources.masks,
    images: [sources.images],
    curator,
  })
  open.push(ws)
  return ws
}

async function reopen(dir: string, options: Parameters<typeof Workspace.open>[1] = {}): Promise<Workspace> {
  const ws = await Workspace.open(dir, { scanner: undefined, ...options })
  open.push(ws)
  return ws
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    if (err instanceof CodedError) return err.code
    throw err
  }
  throw new Error('expected a CodedError')
}

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-ws-'))
  sources = await makeSources(path.join(root, 'src'))
  sourceHashes = await hashTree(sources.root)
})

afterEach(async () => {
  while (open.length) await open.pop()!.close()
})

afterAll(async () => {
  // Every test used the same sources: none of them may have been written.
  expect(await hashTree(sources.root)).toEqual(sourceHashes)
  await fsp.rm(root, { recursive: true, force: true })
})

describe('create and open', () => {
  it('creates the folder layout, one unreviewed row per pair, and refuses a second create', async () => {
    const ws = await newWorkspace('create')
    expect(ws.dataset.size).toBe(5)
    expect(ws.readOnly).toBe(false)
    expect(ws.curator).toBe('ana')
    for (const f of ['workspace.json', 'workspace.sqlite', 'workspace.lock', 'masks', 'cache']) {
      await expect(fsp.stat(path.join(ws.dir, f))).resolves.toBeTruthy()
    }
    const config = JSON.parse(await fsp.readFile(path.join(ws.dir, 'workspace.json'), 'utf8'))
    expect(config).toMatchObject({
      format: 'wsm-curator-workspace',
      version: 1,
      curator: 'ana',
      sources: { masks: sources.masks, images: [sources.images] },
    })
    expect(ws.progress()).toEqual({
      total: 5,
      reviewed: 0,
      byStatus: { unreviewed: 5, accepted: 0, corrected: 0, rejected: 0, flagged: 0, skipped: 0 },
    })
    expect(ws.pairState('ISIC_0000002')).toMatchObject({
      index: 1,
      status: 'unreviewed',
      corrected: false,
      stats: null,
    })
    await ws.close()
    open.pop()
    expect(await codeOf(newWorkspace('create'))).toBe('workspace-exists')
  })

  it('sets WAL and synchronous=FULL while open, and leaves a rollback journal after close', async () => {
    const ws = await newWorkspace('pragmas')
    const db = openSqlite(ws.databaseFile, { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    db.close()
    await ws.close()
    const after = openSqlite(ws.databaseFile, { readonly: true })
    expect(after.pragma('journal_mode', { simple: true })).toBe('delete')
    after.close()
  })

  it('refuses a workspace inside a source folder', async () => {
    const err = await codeOf(
      Workspace.create(path.join(sources.images, 'ws'), { masks: sources.masks, images: [sources.images] }),
    )
    expect(err).toBe('bad-request')
    await expect(fsp.stat(path.join(sources.images, 'ws'))).rejects.toThrow()
    // A child whose name starts with two dots is inside too (a '..' prefix test let it through).
    const dotted = path.join(sources.images, '..ws')
    expect(await codeOf(Workspace.create(dotted, { masks: sources.masks, images: [sources.images] }))).toBe(
      'bad-request',
    )
    await expect(fsp.stat(dotted)).rejects.toThrow()
  })

  it('reports a folder that is not a workspace', async () => {
    expect(await codeOf(Workspace.open(path.join(root, 'nothing-here')))).toBe('not-found')
  })
})

describe('saving masks', () => {
  it('round-trips a grey mask: same colour type, exact labels, transitions, event, stats', async () => {
    const ws = await newWorkspace('grey')
    const id = 'ISIC_0000001'
    const before = await ws.readCurrentMask(id)
    expect(before.origin).toBe('source')
    expect(before.format.colorType).toBe(0)
    const edited = resolveUncertain(resolveUncertain(before.map, 1, 40), 0, 25)
    const saved = await ws.saveMask(id, edited, { note: 'fixed the band' })
    expect(saved.status).toBe('corrected')
    expect(saved.file).toBe(path.join(ws.dir, 'masks', `${id}.png`))
    expect(saved.transitions).toEqual([
      { from: 255, to: 1, pixels: 40 },
      { from: 255, to: 0, pixels: 25 },
    ])
    const png = await fsp.readFile(saved.file)
    const decoded = decodeMaskPng(png)
    expect(decoded.format.colorType).toBe(0)
    expect(decoded.width).toBe(96)
    expect(Buffer.from(decoded.data).equals(Buffer.from(edited.data))).toBe(true)

    const current = await ws.readCurrentMask(id)
    expect(current.origin).toBe('corrected')
    expect(Buffer.from(current.map.data).equals(Buffer.from(edited.data))).toBe(true)

    const state = ws.pairState(id)
    expect(state).toMatchObject({
      status: 'corrected',
      corrected: true,
      note: 'fixed the band',
      curator: 'ana',
    })
    const uncertain = before.map.data.filter((v) => v === 255).length - 65
    expect(state.stats).toMatchObject({ width: 96, height: 64, uncertain })
    expect(state.uncertainFraction).toBeCloseTo(uncertain / (96 * 64), 12)

    const [event] = ws.events(id)
    expect(event).toMatchObject({
      id,
      kind: 'save',
      from: 'unreviewed',
      to: 'corrected',
      curator: 'ana',
      note: 'fixed the band',
      recovered: false,
      transitions: saved.transitions,
    })
    expect(event.maskSha256).toBe(saved.sha256)
    expect(await fsp.readdir(path.join(ws.dir, 'masks'))).toEqual([`${id}.png`])
  })

  it('keeps a palette mask a palette mask: PLTE and tRNS byte for byte, indices as labels', async () => {
    const ws = await newWorkspace('palette')
    const id = 'ISIC_0000002'
    const before = await ws.readCurrentMask(id)
    expect(before.format.colorType).toBe(3)
    const edited = resolveUncertain(before.map, 1, 100)
    const saved = await ws.saveMask(id, edited)
    const png = await fsp.readFile(saved.file)
    expect(Buffer.from(pngChunk(png, 'PLTE')!).equals(Buffer.from(TEST_PALETTE))).toBe(true)
    expect(Buffer.from(pngChunk(png, 'tRNS')!).equals(Buffer.from(TEST_TRNS))).toBe(true)
    const decoded = decodeMaskPng(png)
    expect(decoded.format.colorType).toBe(3)
    expect(Buffer.from(decoded.data).equals(Buffer.from(edited.data))).toBe(true)
    // The save hands back the state it recorded: what pairState reads from the database.
    expect(saved.state).toEqual(ws.pairState(id))
    // Saving again (the pair now corrected) keeps the format the dataset saw when opening the pair.
    const { index } = ws.pairState(id)
    expect(ws.dataset.maskFormat(index)).toBeUndefined()
    await ws.dataset.openPair(index)
    expect(ws.dataset.maskFormat(index)?.palette).toEqual(TEST_PALETTE)
    const again = await ws.saveMask(id, resolveUncertain(edited, 0, 10))
    const png2 = await fsp.readFile(again.file)
    expect(Buffer.from(pngChunk(png2, 'PLTE')!).equals(Buffer.from(TEST_PALETTE))).toBe(true)
    expect(Buffer.from(pngChunk(png2, 'tRNS')!).equals(Buffer.from(TEST_TRNS))).toBe(true)
    expect(again.state).toEqual(ws.pairState(id))
  })

  it('computes transitions against the previous corrected mask, not the source', async () => {
    const ws = await newWorkspace('chain')
    const id = 'ISIC_0000004'
    const source = (await ws.readCurrentMask(id)).map
    const first = resolveUncertain(source, 1, 30)
    await ws.saveMask(id, first)
    const second = resolveUncertain(first, 0, 12)
    // one lesion pixel back to uncertain as well
    const lesionAt = second.data.indexOf(1)
    second.data[lesionAt] = 255
    const saved = await ws.saveMask(id, second)
    expect(saved.transitions).toEqual([
      { from: 255, to: 0, pixels: 12 },
      { from: 1, to: 255, pixels: 1 },
    ])
    const events = ws.events(id)
    expect(events.map((e) => [e.kind, e.from, e.to])).toEqual([
      ['save', 'corrected', 'corrected'],
      ['save', 'unreviewed', 'corrected'],
    ])
    expect(events[1].transitions).toEqual([{ from: 255, to: 1, pixels: 30 }])
  })

  it('refuses a wrong size or wrong values, writing nothing', async () => {
    const ws = await newWorkspace('refuse')
    const id = 'ISIC_0000001'
    const map = (await ws.readCurrentMask(id)).map
    const small = drawMask({ id, width: 95, height: 64, kind: 'grey' })
    expect(await codeOf(ws.saveMask(id, small))).toBe('mask-size')
    const bad = { ...map, data: map.data.slice() }
    bad.data[17] = 2
    expect(await codeOf(ws.saveMask(id, bad))).toBe('mask-values')
    expect(await codeOf(ws.saveMask(id, { width: 96, height: 64, data: new Uint8Array(10) }))).toBe(
      'mask-size',
    )
    expect(await codeOf(ws.saveMask('ISIC_9999999', map))).toBe('not-found')
    expect(await fsp.readdir(path.join(ws.dir, 'masks'))).toEqual([])
    expect(ws.events()).toEqual([])
    expect(ws.pairState(id).status).toBe('unreviewed')
  })
})

describe('reading the current mask', () => {
  it('refuses a mask of the wrong size with mask-size, from its PNG header, before inflating it', async () => {
    // Sources of its own (a folder, changed by this test; the shared ones must stay untouched).
    const src = await makeSources(path.join(root, 'src-size'), { masksAs: 'folder' })
    const ws = await Workspace.create(path.join(root, 'read-size'), {
      masks: src.masks,
      images: [src.images],
      curator: 'ana',
    })
    open.push(ws)
    const labels = path.join(src.masks, 'ISIC_WSM_labels')
    // A few KB declaring 16384×16383 (inflating it first said png-truncated, after 268 Mpx of work).
    await fsp.writeFile(path.join(labels, 'ISIC_0000004.png'), pngClaiming(16384, 16383))
    const huge = await caught(ws.readCurrentMask('ISIC_0000004', { challenge: 'convert' }))
    expect(huge.code).toBe('mask-size')
    expect(huge.message).toContain('16384')
    // A whole, valid mask 100 times too tall for its 64×48 image (read as it was, for a thumbnail).
    const tall = drawMask({ id: 'ISIC_0000004', width: 64, height: 4800, kind: 'grey' })
    await fsp.writeFile(path.join(labels, 'ISIC_0000004.png'), encodeMaskPng(tall, formatOf('grey')))
    expect((await caught(ws.readCurrentMask('ISIC_0000004', { challenge: 'convert' }))).code).toBe(
      'mask-size',
    )
    // A corrected mask replaced during the session by one of another size: refused the same way.
    const id = 'ISIC_0000001'
    const saved = await ws.saveMask(id, resolveUncertain((await ws.readCurrentMask(id)).map, 1, 3))
    await fsp.writeFile(saved.file, pngClaiming(16384, 16383))
    expect((await caught(ws.readCurrentMask(id))).code).toBe('mask-size')
  })
})

describe('statuses and the audit trail', () => {
  it('records every change with who, when, old and new status; same status again records nothing', async () => {
    const ws = await newWorkspace('status')
    await ws.setStatus('ISIC_0000003', 'accepted')
    await ws.setStatus('ISIC_0000003', 'accepted')
    await ws.setStatus('ISIC_0000003', 'flagged', { note: 'hair over the border' })
    const events = ws.events('ISIC_0000003')
    expect(events.map((e) => [e.from, e.to, e.note])).toEqual([
      ['accepted', 'flagged', 'hair over the border'],
      ['unreviewed', 'accepted', null],
    ])
    expect(Date.parse(events[0].at)).toBeGreaterThan(0)
    expect(ws.pairState('ISIC_0000003')).toMatchObject({ status: 'flagged', note: 'hair over the border' })
    expect(ws.progress()).toMatchObject({ reviewed: 1 })
  })

  it('refuses corrected without a mask, and applies bulk changes all or nothing', async () => {
    const ws = await newWorkspace('bulk')
    expect(await codeOf(ws.setStatus('ISIC_0000001', 'corrected'))).toBe('bad-request')
    expect(await codeOf(ws.setStatuses(['ISIC_0000001', 'ISIC_0000042'], 'accepted'))).toBe('not-found')
    expect(ws.events()).toEqual([])
    const r = await ws.setStatuses(['ISIC_0000001', 'ISIC_0000002', 'ISIC_0000001'], 'rejected', {
      note: 'blurry',
    })
    expect(r).toEqual({ changed: 2, unchanged: 0 })
    expect(ws.events().length).toBe(2)
    expect(ws.progress().byStatus.rejected).toBe(2)
  })

  it('keeps the audit trail append-only at the database level', async () => {
    const ws = await newWorkspace('append-only')
    await ws.setStatus('ISIC_0000001', 'accepted')
    const dir = ws.dir
    await ws.close()
    open.pop()
    const db = openSqlite(path.join(dir, 'workspace.sqlite'))
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/)
    expect(() => db.prepare(`UPDATE events SET curator = 'x'`).run()).toThrow(/append-only/)
    db.close()
  })
})

describe('listing', () => {
  it('filters by status and uncertain fraction, sorts by id or fraction (unscanned last), pages', async () => {
    const ws = await newWorkspace('list')
    let page = ws.listPairs({ sort: 'uncertain' })
    expect(page.total).toBe(5)
    expect(page.items.every((i) => i.uncertainFraction === null)).toBe(true)
    await ws.startStatsScan({ workers: 0 })
    await ws.setStatus('ISIC_0000002', 'accepted')

    page = ws.listPairs({ sort: 'uncertain', order: 'desc' })
    const fractions = page.items.map((i) => i.uncertainFraction as number)
    expect(fractions).toEqual([...fractions].sort((a, b) => b - a))
    expect(page.items.find((i) => i.id === 'ISIC_0000003')!.uncertainFraction).toBe(0)

    // Save one mask with no uncertain left, and check the unscanned-last rule with a fresh pair set.
    const id = 'ISIC_0000004'
    const m = (await ws.readCurrentMask(id)).map
    const done = { ...m, data: m.data.map((v) => (v === 255 ? 0 : v)) }
    await ws.saveMask(id, done)
    expect(ws.pairState(id).uncertainFraction).toBe(0)

    const zero = ws.listPairs({ uncertainMax: 0 })
    expect(zero.items.map((i) => i.id)).toEqual(['ISIC_0000003', 'ISIC_0000004'])
    expect(ws.listPairs({ status: 'accepted' }).items.map((i) => i.id)).toEqual(['ISIC_0000002'])
    expect(ws.listPairs({ status: ['accepted', 'corrected'] }).total).toBe(2)
    const paged = ws.listPairs({ order: 'desc', offset: 1, limit: 2 })
    expect(paged).toMatchObject({ total: 5, offset: 1 })
    expect(paged.items.map((i) => [i.index, i.id])).toEqual([
      [3, 'ISIC_0000004'],
      [2, 'ISIC_0000003'],
    ])
    expect(paged.items[0].corrected).toBe(true)
    expect(ws.listIds({ uncertainMin: 0.0001 })).toEqual(['ISIC_0000001', 'ISIC_0000002', 'ISIC_0000005'])
    expect(await codeOf(() => ws.listPairs({ limit: -1 }))).toBe('bad-request')
  })

  it('pairStates gives, in one query, what pairState gives for every pair matching a filter', async () => {
    const ws = await newWorkspace('states')
    await ws.startStatsScan({ workers: 0 })
    await ws.setStatuses(['ISIC_0000002', 'ISIC_0000005'], 'accepted')
    await ws.setStatus('ISIC_0000003', 'rejected', { note: 'blurred' })
    const m = (await ws.readCurrentMask('ISIC_0000004')).map
    await ws.saveMask('ISIC_0000004', { ...m, data: m.data.map((v) => (v === 255 ? 1 : v)) })
    const each = (ids: string[]) => ids.map((id) => ws.pairState(id))
    const all = ws.pairStates()
    expect(all.map((s) => s.id)).toEqual(ws.listIds())
    expect(all).toEqual(each(ws.listIds()))
    expect(all.filter((s) => s.corrected).map((s) => s.id)).toEqual(['ISIC_0000004'])
    expect(all.every((s) => s.stats !== null)).toBe(true)
    const approved = ws.pairStates({ status: ['accepted', 'corrected'] })
    expect(approved.map((s) => [s.id, s.status])).toEqual([
      ['ISIC_0000002', 'accepted'],
      ['ISIC_0000004', 'corrected'],
      ['ISIC_0000005', 'accepted'],
    ])
    expect(approved).toEqual(each(['ISIC_0000002', 'ISIC_0000004', 'ISIC_0000005']))
    expect(ws.pairStates({ status: 'flagged' })).toEqual([])
    expect(await codeOf(() => ws.pairStates({ status: ['nope' as never] }))).toBe('bad-request')
  })
})

describe('statistics scan', () => {
  it('fills statistics (fractions, components), skips what is current, resumes after an abort', async () => {
    const ws = await newWorkspace('scan')
    const controller = new AbortController()
    const progress: number[] = []
    const first = await ws.startStatsScan({
      workers: 0,
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p.done)
        if (p.done === 2) controller.abort()
      },
    })
    expect(first).toMatchObject({ aborted: true, done: 2, toScan: 5 })
    expect(ws.stats().scanned).toBe(2)

    const second = await ws.startStatsScan({ workers: 0 })
    expect(second).toMatchObject({ aborted: false, done: 3, toScan: 3, skipped: 2, failed: 0 })
    const third = await ws.startStatsScan({ workers: 0 })
    expect(third).toMatchObject({ toScan: 0, skipped: 5 })

    const s = ws.pairState('ISIC_0000004').stats!
    const map = drawMask(sources.specs[3])
    expect(s).toEqual({
      width: 64,
      height: 48,
      background: map.data.filter((v) => v === 0).length,
      lesion: map.data.filter((v) => v === 1).length,
      uncertain: map.data.filter((v) => v === 255).length,
      lesionComponents: 1,
      uncertainComponents: 4,
    })
    const stats = ws.stats()
    expect(stats).toMatchObject({ total: 5, scanned: 5, unscanned: 0, scanFailed: 0, noUncertain: 1 })
    expect(stats.uncertainHistogram.reduce((a, b) => a + b, 0)).toBe(5)
    expect(stats.uncertainHistogram.length).toBe(10)
    const totalUncertain = sources.specs.reduce(
      (a, sp) => a + drawMask(sp).data.filter((v) => v === 255).length,
      0,
    )
    expect(stats.uncertainPixels).toBe(totalUncertain)
  })

  it('rescans only the masks whose file changed (folder source: size and mtime)', async () => {
    const src = await makeSources(path.join(root, 'src-folder'), { masksAs: 'folder' })
    const ws = await Workspace.create(path.join(root, 'scan-folder'), {
      masks: src.masks,
      images: [src.images],
    })
    open.push(ws)
    expect(await ws.startStatsScan({ workers: 0 })).toMatchObject({ toScan: 5 })
    const file = path.join(src.masks, 'ISIC_WSM_labels', 'ISIC_0000003.png')
    const later = new Date(Date.now() + 5000)
    await fsp.utimes(file, later, later)
    expect(await ws.startStatsScan({ workers: 0 })).toMatchObject({ toScan: 1, done: 1, skipped: 4 })
  })

  it('uses the worker-thread scanner by default', async () => {
    const ws = await newWorkspace('scan-workers')
    const started = workerStarts.count
    // No options: the default must start worker threads (a serial fallback would start none).
    const r = await ws.startStatsScan()
    expect(workerStarts.count).toBeGreaterThan(started)
    expect(r).toMatchObject({ toScan: 5, done: 5, aborted: false })
    expect(ws.stats().scanned).toBe(5)
  })
})

describe('resume', () => {
  it('keeps the last pair, filter and sort across sessions', async () => {
    const ws = await newWorkspace('resume')
    ws.uiState.set('lastPair', 'ISIC_0000004')
    ws.uiState.set('filter', { status: ['unreviewed', 'flagged'], uncertainMin: 0.05 })
    ws.uiState.set('sort', { sort: 'uncertain', order: 'desc' })
    ws.uiState.set('gone', 1)
    ws.uiState.set('gone', null)
    const dir = ws.dir
    await ws.close()
    open.pop()
    const again = await reopen(dir)
    expect(again.uiState.get('lastPair')).toBe('ISIC_0000004')
    expect(again.uiState.all()).toEqual({
      lastPair: 'ISIC_0000004',
      filter: { status: ['unreviewed', 'flagged'], uncertainMin: 0.05 },
      sort: { sort: 'uncertain', order: 'desc' },
    })
  })
})
