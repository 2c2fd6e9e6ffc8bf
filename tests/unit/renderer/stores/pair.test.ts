import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { OpenedPair, QueueItem, ReviewProgress } from '../../../../shared/api/contract'
import type { Result } from '../../../../shared/api/result'
import type { PairState, PairStatus } from '../../../../shared/workspace/review'
import { decodeWire, encodeWire } from '../../../../shared/api/wire'

/**
 * The pair store against a fake server that keeps masks and statuses the way the workspace does
 * (a save makes the pair corrected and `pair:open` then returns the saved mask). Requests can be
 * held, to act while one is in flight as a curator does while a pair loads.
 */
const server = vi.hoisted(() => {
  interface Pair {
    source: Uint8Array | null
    corrected: Uint8Array | null
    status: string
    /** The version of the corrected mask (the workspace's SHA-256 of it), '' while there is none. */
    version: string
    /** The mask's width (default 4: one row of SOURCE). */
    width?: number
    /** The open fails with this error (a broken source mask, an image that no longer reads). */
    openError?: { code: string; message: string }
    /** The current mask does not read: `pair:open` and `pair:version` with the mask fail with this. */
    maskError?: { code: string; message: string }
    /** Saves fail with this error (a full disk). */
    saveError?: { code: string; message: string }
    /** `pair:version` fails with this error (the workspace's database does not answer). */
    versionError?: { code: string; message: string }
    /** Decisions fail with this error (a read error of the database). */
    statusError?: { code: string; message: string }
  }
  const pairs = new Map<string, Pair>()
  const calls: { name: string; args: unknown }[] = []
  let saves = 0
  /** Calls of these names wait until `release(name)`. */
  const held = new Map<string, (() => void)[]>()
  const holding = new Set<string>()
  return {
    pairs,
    calls,
    hold(name: string) {
      holding.add(name)
    },
    /** Lets the held calls of `name` go (and stops holding new ones). */
    release(name: string) {
      holding.delete(name)
      for (const go of held.get(name) ?? []) go()
      held.delete(name)
    },
    heldCount: (name: string) => held.get(name)?.length ?? 0,
    nextVersion: () => `sha-${++saves}`,
    resetVersions: () => {
      saves = 0
    },
    async call(name: string, args: unknown): Promise<unknown> {
      calls.push({ name, args })
      if (holding.has(name)) await new Promise<void>((go) => held.set(name, [...(held.get(name) ?? []), go]))
      return (globalThis as unknown as { answer: (n: string, a: unknown) => unknown }).answer(name, args)
    },
  }
})

vi.mock('../../../../renderer/src/api', () => ({ api: { call: server.call } }))
// Images are not the point here: a stand-in bitmap (createImageBitmap is the browser's).
vi.mock('../../../../renderer/src/editor/decodeImage', () => ({
  imageBlob: (bytes: Uint8Array, mime: string) =>
    new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }),
  decodeImage: async () => ({ width: 4, height: 1, close() {} }),
  closeLater: () => {},
}))
vi.mock('../../../../renderer/src/thumbnails', () => ({ invalidateThumbnail: () => {} }))

const { loadedPair, usePairStore, forgetPairs } = await import('../../../../renderer/src/stores/pair')
const { useQueueStore } = await import('../../../../renderer/src/stores/queue')
const { useEditorStore } = await import('../../../../renderer/src/stores/editor')
const { useWorkspaceStore } = await import('../../../../renderer/src/stores/workspace')

const IDS = ['ISIC_0000001', 'ISIC_0000002', 'ISIC_0000003']
/** The ids the current filter lets through (all of them unless a test filters). */
let shown = IDS
/** Opens answered: the offset of each answer's mask view in its buffer, unless `offsets` names it. */
let opens = 0
let offsets: number[] = []
/** `pair:open` answers through the wire format, as from `serve` (image and mask: views into one buffer). */
let overWire = false
const SOURCE = [255, 255, 1, 0]

function stateOf(id: string): PairState {
  const p = server.pairs.get(id)!
  const mask = p.corrected ?? p.source!
  return {
    index: IDS.indexOf(id),
    id,
    status: p.status as PairStatus,
    note: null,
    curator: null,
    updatedAt: null,
    corrected: p.corrected !== null,
    stats: null,
    uncertainFraction: mask.filter((v) => v === 255).length / mask.length,
    scanError: null,
  }
}

const progress = (): ReviewProgress => ({
  total: IDS.length,
  reviewed: IDS.filter((id) => server.pairs.get(id)!.status !== 'unreviewed').length,
  byStatus: {} as ReviewProgress['byStatus'],
})
const ok = <T>(value: T): Result<T> => ({ ok: true, value })

function answer(name: string, args: unknown): Result<unknown> {
  const a = args as Record<string, unknown>
  switch (name) {
    case 'queue:set':
      shown = (a.status as string[] | undefined)?.includes('accepted') ? [] : IDS
      return ok({ total: shown.length })
    case 'queue:page': {
      const items: QueueItem[] = shown.map((id, position) => ({
        position,
        id,
        status: server.pairs.get(id)!.status as PairStatus,
        uncertainFraction: null,
        corrected: false,
        problem: null,
      }))
      return ok({ total: shown.length, offset: 0, items })
    }
    case 'queue:find': {
      const position = shown.indexOf(a.id as string)
      return position < 0
        ? { ok: false, error: { code: 'not-found', message: 'not in the queue' } }
        : ok({ position })
    }
    case 'pair:open': {
      const id = a.id as string
      const p = server.pairs.get(id)!
      const error = p.openError ?? p.maskError
      if (error) return { ok: false, error } as Result<unknown>
      // As from the wire: a view at any offset of a larger buffer (each open another one).
      const mask = p.corrected ?? p.source!
      const offset = offsets.shift() ?? opens++ % 4
      const data = new Uint8Array(mask.length + 4).subarray(offset, offset + mask.length)
      data.set(mask)
      const opened: OpenedPair = {
        id,
        image: { name: `${id}.jpg`, mime: 'image/jpeg', bytes: new Uint8Array([1, 2, 3]) },
        mask: {
          width: p.width ?? 4,
          height: data.length / (p.width ?? 4),
          data,
          origin: p.corrected ? 'corrected' : 'source',
        },
        counts: {
          background: data.filter((v) => v === 0).length,
          lesion: data.filter((v) => v === 1).length,
          uncertain: data.filter((v) => v === 255).length,
          invalid: 0,
        },
        state: stateOf(id),
        converted: false,
        base: p.version,
      }
      return ok(overWire ? (decodeWire(encodeWire(opened)) as OpenedPair) : opened)
    }
    case 'pair:version': {
      // The version, state and progress without the image; with `mask`, the current mask too.
      const id = a.id as string
      const p = server.pairs.get(id)!
      if (p.versionError) return { ok: false, error: p.versionError } as Result<unknown>
      const head = { base: p.version, state: stateOf(id), progress: progress() }
      if (!a.mask) return ok(head)
      if (p.maskError) return { ok: false, error: p.maskError } as Result<unknown>
      const mask = p.corrected ?? p.source!
      const offset = offsets.shift() ?? opens++ % 4
      const data = new Uint8Array(mask.length + 4).subarray(offset, offset + mask.length)
      data.set(mask)
      const width = p.width ?? 4
      return ok({
        ...head,
        mask: { width, height: data.length / width, data, origin: p.corrected ? 'corrected' : 'source' },
      })
    }
    case 'pair:saveMask': {
      const p = server.pairs.get(a.id as string)!
      if (p.saveError) return { ok: false, error: p.saveError } as Result<unknown>
      // As the workspace does: a save naming another version than the current one is refused.
      if (a.base !== undefined && a.base !== p.version)
        return { ok: false, error: { code: 'conflict', message: 'changed since' } } as Result<unknown>
      p.corrected = Uint8Array.from(a.data as Uint8Array)
      p.status = 'corrected'
      p.version = server.nextVersion()
      return ok({ state: stateOf(a.id as string), base: p.version, transitions: [], progress: progress() })
    }
    case 'pair:setStatus': {
      const p = server.pairs.get(a.id as string)!
      if (p.statusError) return { ok: false, error: p.statusError } as Result<unknown>
      // As the workspace does: a decision naming another version than the current one is refused.
      if (a.base !== undefined && a.base !== p.version)
        return { ok: false, error: { code: 'conflict', message: 'changed since' } } as Result<unknown>
      p.status = a.status as string
      return ok({ state: stateOf(a.id as string), progress: progress() })
    }
    default:
      return ok(undefined)
  }
}
;(globalThis as unknown as { answer: typeof answer }).answer = answer

/** Lets every settled promise and timer run its continuations. */
const flush = async (times = 5): Promise<void> => {
  for (let i = 0; i < times; i++) await new Promise((r) => setTimeout(r, 0))
}

async function openWorkspace() {
  const queue = useQueueStore()
  await queue.setQuery({ sort: 'id', order: 'asc' })
  const pair = usePairStore()
  expect(await pair.openAt(0)).toBe(true)
  // The read-ahead of the next pair, once this one is on screen.
  await flush(10)
  return pair
}

beforeEach(() => {
  vi.stubGlobal('requestAnimationFrame', (cb: () => void) => setTimeout(cb, 0))
  server.calls.length = 0
  server.resetVersions()
  shown = IDS
  offsets = []
  overWire = false
  server.pairs.clear()
  for (const id of IDS)
    server.pairs.set(id, {
      source: Uint8Array.from(SOURCE),
      corrected: null,
      status: 'unreviewed',
      version: '',
    })
  setActivePinia(createPinia())
  forgetPairs()
  loadedPair.value = null
})

afterEach(async () => {
  for (const name of ['pair:open', 'pair:saveMask', 'pair:version', 'pair:setStatus']) server.release(name)
  await flush()
  vi.unstubAllGlobals()
})

describe('pair store: opening a pair while edits are pending (qa6 finding 1)', () => {
  it('re-opening the pair on screen while it is edited shows the saved edit, and the next save keeps it', async () => {
    const pair = await openWorkspace()
    expect([...loadedPair.value!.session.map.data]).toEqual(SOURCE)
    // A click on the pair's own queue row, then Shift+B while that open is in flight.
    server.hold('pair:open')
    const reopening = pair.openAt(0)
    await flush()
    expect(server.heldCount('pair:open')).toBe(1)
    loadedPair.value!.session.resolveAll(0)
    server.release('pair:open')
    expect(await reopening).toBe(true)
    // The edit was saved on the way …
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual([0, 0, 1, 0])
    // … and the editor shows it, not the mask from before that save.
    expect([...loadedPair.value!.session.map.data]).toEqual([0, 0, 1, 0])
    expect(pair.origin).toBe('corrected')
    expect(pair.state?.status).toBe('corrected')
    expect(useEditorStore().uncertainRemaining).toBe(0)
    // The next save writes what is on screen: the saved edit survives.
    expect(await pair.save()).toBe(true)
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual([0, 0, 1, 0])
  })

  it('G + the id of the pair on screen while it is edited also shows the saved edit', async () => {
    const pair = await openWorkspace()
    server.hold('pair:open')
    const going = pair.goTo(IDS[0])
    await flush()
    expect(server.heldCount('pair:open')).toBe(1)
    loadedPair.value!.session.resolveAll(1)
    server.release('pair:open')
    expect(await going).toBe(true)
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual([1, 1, 1, 0])
    expect([...loadedPair.value!.session.map.data]).toEqual([1, 1, 1, 0])
    expect(loadedPair.value!.session.isDirty).toBe(false)
  })

  it('a pair read ahead and then taken is shown as the server holds it', async () => {
    const pair = await openWorkspace()
    // The read-ahead of the next pair went out once the first was on screen.
    expect(
      server.calls.filter((c) => c.name === 'pair:open').map((c) => (c.args as { id: string }).id),
    ).toEqual([IDS[0], IDS[1]])
    expect(await pair.next()).toBe(true)
    expect(loadedPair.value!.id).toBe(IDS[1])
    expect([...loadedPair.value!.session.map.data]).toEqual(SOURCE)
  })
})

describe('pair store: what an opened pair keeps (review 7, memory)', () => {
  it('the pair on screen, opened or taken from the read-ahead, keeps no response buffer: its map owns its bytes', async () => {
    overWire = true
    const pair = await openWorkspace()
    const first = loadedPair.value!.session.map.data
    expect([...first]).toEqual(SOURCE)
    expect(first.buffer.byteLength).toBe(first.length)
    expect(
      server.calls.filter((c) => c.name === 'pair:open').map((c) => (c.args as { id: string }).id),
    ).toEqual([IDS[0], IDS[1]])
    expect(await pair.next()).toBe(true)
    // Taken from the read-ahead: no other open.
    expect(server.calls.filter((c) => c.name === 'pair:open')).toHaveLength(2)
    const second = loadedPair.value!.session.map.data
    expect([...second]).toEqual(SOURCE)
    expect(second.buffer.byteLength).toBe(second.length)
    // And it edits and saves as ever.
    loadedPair.value!.session.resolveAll(1)
    expect(await pair.save()).toBe(true)
    expect([...server.pairs.get(IDS[1])!.corrected!]).toEqual([1, 1, 1, 0])
  })
})

describe('pair store: deciding a pair that did not open (qa6 finding 4)', () => {
  const broken = () => {
    server.pairs.get(IDS[1])!.openError = {
      code: 'png-truncated',
      message: 'PNG file ends inside chunk IDAT',
    }
  }
  const statusCalls = () => server.calls.filter((c) => c.name === 'pair:setStatus').map((c) => c.args)

  it('R rejects the broken pair by its id through pair:setStatus, then moves on', async () => {
    broken()
    const pair = await openWorkspace()
    expect(await pair.next()).toBe(false)
    expect(pair.error?.code).toBe('png-truncated')
    expect(await pair.decide('rejected')).toBe(true)
    expect(statusCalls()).toEqual([{ id: IDS[1], status: 'rejected' }])
    expect(server.pairs.get(IDS[1])!.status).toBe('rejected')
    expect(loadedPair.value?.id).toBe(IDS[2])
  })

  it('F flags the broken pair and stays on it, its status shown', async () => {
    broken()
    const pair = await openWorkspace()
    await pair.next()
    expect(await pair.decide('flagged')).toBe(true)
    expect(statusCalls()).toEqual([{ id: IDS[1], status: 'flagged' }])
    expect(pair.id).toBe(IDS[1])
    expect(pair.state?.status).toBe('flagged')
  })

  it('A on the broken pair records nothing and says why in the status bar', async () => {
    broken()
    const pair = await openWorkspace()
    await pair.next()
    expect(await pair.decide('accepted')).toBe(false)
    expect(statusCalls()).toEqual([])
    expect(pair.notice).toMatch(/cannot be accepted.*reject or flag/)
    expect(server.pairs.get(IDS[1])!.status).toBe('unreviewed')
  })
})

describe('pair store: after a pair fails to open, nothing of the previous pair is shown (qa6 finding 3)', () => {
  const broken = () => {
    server.pairs.get(IDS[1])!.openError = {
      code: 'png-truncated',
      message: 'PNG file ends inside chunk IDAT',
    }
  }

  it("shows the failed pair's id and error, and clears the previous pair's counts and save state", async () => {
    broken()
    const pair = await openWorkspace()
    loadedPair.value!.session.resolveAll(0)
    expect(await pair.save()).toBe(true)
    expect(pair.saveState).toBe('saved')
    expect(await pair.next()).toBe(false)
    const editor = useEditorStore()
    expect([pair.id, pair.error?.code, pair.position]).toEqual([IDS[1], 'png-truncated', 1])
    expect(pair.hasMask).toBe(false)
    expect([pair.saveState, pair.saveError, pair.origin]).toEqual(['clean', '', 'source'])
    expect([editor.uncertainRemaining, editor.canUndo, editor.canRedo, editor.dirty]).toEqual([
      0,
      false,
      false,
      false,
    ])
    // Its status as the queue knows it (no review state comes with a failed open).
    expect(pair.statusText).toBe('unreviewed')
  })

  it('edits made while the broken pair was loading are saved, not dropped with the pair on screen', async () => {
    broken()
    const pair = await openWorkspace()
    server.hold('pair:open')
    const going = pair.next()
    await flush()
    loadedPair.value!.session.resolveAll(1)
    server.release('pair:open')
    expect(await going).toBe(false)
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual([1, 1, 1, 0])
    expect(pair.id).toBe(IDS[1])
  })

  it('a filter that empties the queue leaves no pair on screen: "– / 0", no id, no error', async () => {
    broken()
    const pair = await openWorkspace()
    await pair.next()
    expect(pair.error).not.toBeNull()
    const queue = useQueueStore()
    expect(await queue.setQuery({ sort: 'id', order: 'asc', status: ['accepted'] })).toBe(true)
    expect(await pair.openFirst()).toBe(false)
    expect([pair.id, pair.error, pair.position, pair.positionText]).toEqual(['', null, -1, '– / 0'])
    expect([pair.hasMask, pair.state, pair.challengeOffer]).toEqual([false, null, false])
    expect(loadedPair.value).toBeNull()
  })

  it('an emptied queue saves the edits of the pair on screen before it goes', async () => {
    const pair = await openWorkspace()
    loadedPair.value!.session.resolveAll(0)
    await useQueueStore().setQuery({ sort: 'id', order: 'asc', status: ['accepted'] })
    await pair.openFirst()
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual([0, 0, 1, 0])
    expect(loadedPair.value).toBeNull()
  })
})

/**
 * A second browser tab on `serve`: its own copy of the renderer's modules (the pair store keeps the
 * pair on screen, its read-ahead and its writes at module level) and its own Pinia, against the
 * same fake server. The tabs take turns: each acts only once the other's requests have settled.
 */
async function otherTab() {
  vi.resetModules()
  const pinia = createPinia()
  setActivePinia(pinia)
  const mod = await import('../../../../renderer/src/stores/pair')
  const queue = await import('../../../../renderer/src/stores/queue')
  await queue.useQueueStore().setQuery({ sort: 'id', order: 'asc' })
  const store = mod.usePairStore()
  expect(await store.openAt(0)).toBe(true)
  await flush(10)
  return { pinia, store, loaded: mod.loadedPair }
}

describe('pair store: two tabs saving the same pair (review 6b, finding 1)', () => {
  it("the second tab's save over the first tab's correction is refused, and its edit stays on screen unsaved", async () => {
    // Both showed the source mask of the first pair. Tab A corrected it and saved.
    const b = await savedInTabA()
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual([0, 0, 1, 0])
    // Tab B, which opened the pair before that save, edits its stale copy and saves.
    b.loaded.value!.session.resolveAll(1)
    expect(await b.store.save()).toBe(false)
    // Refused: tab A's correction is what the server holds …
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual([0, 0, 1, 0])
    const bases = server.calls
      .filter((c) => c.name === 'pair:saveMask')
      .map((c) => (c.args as { base?: string }).base)
    expect(bases).toEqual(['', ''])
    // … and tab B keeps its edit on screen, unsaved, and says why.
    expect(b.store.saveState).toBe('error')
    expect(b.store.saveError).toMatch(
      /^\[conflict\] ISIC_0000001 was changed elsewhere.*load the saved version or keep yours.*stays unsaved/,
    )
    // The conflict bar offers the choice for the pair on screen.
    expect(b.store.conflict).toBe(IDS[0])
    expect([...b.loaded.value!.session.map.data]).toEqual([1, 1, 1, 0])
    expect(b.loaded.value!.session.isDirty).toBe(true)
    // Moving on would drop the edit: tab B stays on the pair.
    expect(await b.store.next()).toBe(false)
    await flush()
    expect([b.store.position, b.loaded.value!.id]).toEqual([0, IDS[0]])
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual([0, 0, 1, 0])
  })

  it('saves of one tab chain their versions: a second Ctrl+S during a save is no conflict', async () => {
    const pair = await openWorkspace()
    loadedPair.value!.session.resolveAll(0)
    server.hold('pair:saveMask')
    const first = pair.save()
    await flush()
    loadedPair.value!.session.resolveAll(1)
    const second = pair.save()
    await flush()
    server.release('pair:saveMask')
    expect(await first).toBe(true)
    expect(await second).toBe(true)
    const bases = server.calls
      .filter((c) => c.name === 'pair:saveMask')
      .map((c) => (c.args as { base?: string }).base)
    expect(bases).toEqual(['', 'sha-1'])
    expect(pair.saveState).toBe('saved')
    // A reopened pair names the version last saved.
    expect(await pair.next()).toBe(true)
    expect(await pair.prev()).toBe(true)
    loadedPair.value!.session.resolveAll(0)
    expect(await pair.save()).toBe(true)
    expect(server.pairs.get(IDS[0])!.version).toBe('sha-3')
  })
})

describe('pair store: a late save answer of the previous pair (review 6b, finding 6)', () => {
  it('does not set the save state of the pair now on screen', async () => {
    const pair = await openWorkspace()
    server.hold('pair:saveMask')
    // Ctrl+S on the unedited pair (a save always writes), then → at once: the pair is clean, so
    // the next one opens (from the read-ahead) while that save is in flight.
    const saving = pair.save()
    await flush()
    expect(await pair.next()).toBe(true)
    expect(loadedPair.value!.id).toBe(IDS[1])
    expect(pair.saveState).toBe('clean')
    server.release('pair:saveMask')
    expect(await saving).toBe(true)
    expect([pair.saveState, pair.saveError]).toEqual(['clean', ''])
  })

  it("reports a late failure by the previous pair's id, not as the current pair's save error", async () => {
    const pair = await openWorkspace()
    server.pairs.get(IDS[0])!.saveError = { code: 'disk-full', message: 'no space left on device' }
    server.hold('pair:saveMask')
    const saving = pair.save()
    await flush()
    expect(await pair.next()).toBe(true)
    server.release('pair:saveMask')
    expect(await saving).toBe(false)
    expect([pair.saveState, pair.saveError]).toEqual(['clean', ''])
    expect(pair.notice).toBe(`${IDS[0]} was not saved: [disk-full] no space left on device`)
  })
})

/** Tab B opens the first pair; tab A, opened too, corrects it and saves; tab B (active) has not seen that. */
async function savedInTabA() {
  const tabA = createPinia()
  setActivePinia(tabA)
  const a = await openWorkspace()
  const b = await otherTab()
  setActivePinia(tabA)
  loadedPair.value!.session.resolveAll(0)
  expect(await a.save()).toBe(true)
  setActivePinia(b.pinia)
  return b
}

/** Tab A corrects the first pair and saves; tab B, opened before, edits its stale copy and is refused. */
async function conflictInTabB() {
  const b = await savedInTabA()
  b.loaded.value!.session.resolveAll(1)
  expect(await b.store.save()).toBe(false)
  expect(b.store.conflict).toBe(IDS[0])
  return b
}

const saveBases = () =>
  server.calls.filter((c) => c.name === 'pair:saveMask').map((c) => (c.args as { base?: string }).base)
const A_SAVED = [0, 0, 1, 0]
const B_EDIT = [1, 1, 1, 0]

describe('pair store: recovering from a save conflict in place (session 7d)', () => {
  it('"Load the saved version" shows the mask saved elsewhere, clean, and Ctrl+Z brings the edit back unsaved', async () => {
    const b = await conflictInTabB()
    const session = b.loaded.value!.session
    expect(await b.store.loadSaved()).toBe(true)
    // The same session (its history goes on), now holding the saved version: clean, nothing written.
    expect(b.loaded.value!.session).toBe(session)
    expect([...session.map.data]).toEqual(A_SAVED)
    expect(session.isDirty).toBe(false)
    expect([b.store.conflict, b.store.saveState, b.store.saveError]).toEqual(['', 'clean', ''])
    expect([b.store.origin, b.store.state?.status]).toEqual(['corrected', 'corrected'])
    expect(b.store.notice).toMatch(/saved version is shown; Ctrl\+Z brings your edit back/)
    expect(saveBases()).toEqual(['', ''])
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual(A_SAVED)
    // Ctrl+Z: the curator's edit again, unsaved; once more: the source it was made from.
    session.undo()
    expect([...session.map.data]).toEqual(B_EDIT)
    expect(session.isDirty).toBe(true)
    expect(b.store.saveState).toBe('dirty')
    session.undo()
    expect([...session.map.data]).toEqual(SOURCE)
    session.redo()
    expect([...session.map.data]).toEqual(B_EDIT)
    // Saved now, it names the version loaded: no conflict, and it is what the server holds.
    expect(await b.store.save()).toBe(true)
    expect(saveBases()).toEqual(['', '', 'sha-1'])
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual(B_EDIT)
  })

  it('after "Load the saved version" the pair can be left without a save (it is what the file holds)', async () => {
    const b = await conflictInTabB()
    expect(await b.store.loadSaved()).toBe(true)
    expect(await b.store.next()).toBe(true)
    expect(b.loaded.value!.id).toBe(IDS[1])
    expect(saveBases()).toEqual(['', ''])
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual(A_SAVED)
  })

  it('"Keep mine" saves the edit over the newer version, naming that version as its base', async () => {
    const b = await conflictInTabB()
    expect(await b.store.keepMine()).toBe(true)
    expect(saveBases()).toEqual(['', '', 'sha-1'])
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual(B_EDIT)
    expect(server.pairs.get(IDS[0])!.version).toBe('sha-2')
    expect([b.store.conflict, b.store.saveState, b.store.saveError]).toEqual(['', 'saved', ''])
    expect(b.loaded.value!.session.isDirty).toBe(false)
    // The next save chains on from the version just saved.
    b.loaded.value!.session.resolveAll(0)
    expect(await b.store.save()).toBe(true)
    expect(saveBases()).toEqual(['', '', 'sha-1', 'sha-2'])
  })

  it('"Keep mine" over a pair changed AGAIN meanwhile is refused again: the conflict shows again, nothing overwritten', async () => {
    const b = await conflictInTabB()
    server.hold('pair:saveMask')
    const keeping = b.store.keepMine()
    await flush()
    // The current version was read (sha-1) and the save is on its way: a team sync lands first.
    expect(server.heldCount('pair:saveMask')).toBe(1)
    expect(b.store.saveState).toBe('saving')
    const pairOnServer = server.pairs.get(IDS[0])!
    pairOnServer.corrected = Uint8Array.from([1, 0, 1, 0])
    pairOnServer.version = server.nextVersion()
    server.release('pair:saveMask')
    expect(await keeping).toBe(false)
    expect(saveBases()).toEqual(['', '', 'sha-1'])
    expect([...pairOnServer.corrected]).toEqual([1, 0, 1, 0])
    expect(b.store.conflict).toBe(IDS[0])
    expect([b.store.saveState, b.store.saveError.slice(0, 10)]).toEqual(['error', '[conflict]'])
    expect([...b.loaded.value!.session.map.data]).toEqual(B_EDIT)
    expect(b.loaded.value!.session.isDirty).toBe(true)
    // Keep mine once more, with nothing changing meanwhile: saved over the team's version.
    expect(await b.store.keepMine()).toBe(true)
    expect(saveBases()).toEqual(['', '', 'sha-1', 'sha-2'])
    expect([...pairOnServer.corrected]).toEqual(B_EDIT)
  })

  it('a team sync changing the pair under the editor gives the same choice; navigation never drops the edit', async () => {
    const pair = await openWorkspace()
    loadedPair.value!.session.resolveAll(1)
    const pairOnServer = server.pairs.get(IDS[0])!
    pairOnServer.corrected = Uint8Array.from([0, 1, 1, 0])
    pairOnServer.version = server.nextVersion()
    // Moving on autosaves: refused, the pair stays with its edit and the choice.
    expect(await pair.next()).toBe(false)
    await flush()
    expect([pair.position, loadedPair.value!.id, pair.conflict]).toEqual([0, IDS[0], IDS[0]])
    expect(loadedPair.value!.session.isDirty).toBe(true)
    // Accept saves first too: refused the same way, the status untouched.
    expect(await pair.decide('accepted')).toBe(false)
    expect(pairOnServer.status).toBe('unreviewed')
    expect([...pairOnServer.corrected]).toEqual([0, 1, 1, 0])
    expect(await pair.keepMine()).toBe(true)
    expect(await pair.decide('accepted')).toBe(true)
    expect([pairOnServer.status, [...pairOnServer.corrected]]).toEqual(['corrected', B_EDIT])
    expect(loadedPair.value!.id).toBe(IDS[1])
  })

  it('a choice needs a conflict of the pair on screen, and leaving the pair clears it', async () => {
    const pair = await openWorkspace()
    expect(await pair.keepMine()).toBe(false)
    expect(await pair.loadSaved()).toBe(false)
    expect(server.calls.filter((c) => c.name === 'pair:saveMask')).toEqual([])
    // A conflict on an unedited pair (Ctrl+S always writes): nothing unsaved, so → moves on.
    server.pairs.get(IDS[0])!.version = server.nextVersion()
    expect(await pair.save()).toBe(false)
    expect(pair.conflict).toBe(IDS[0])
    expect(await pair.next()).toBe(true)
    expect(pair.conflict).toBe('')
  })

  it('"Load the saved version" whose mask does not read keeps the edit and the choice, said as a failed load', async () => {
    const b = await conflictInTabB()
    const p = server.pairs.get(IDS[0])!
    p.maskError = { code: 'io-error', message: 'EIO: i/o error, read' }
    expect(await b.store.loadSaved()).toBe(false)
    expect(b.store.conflict).toBe(IDS[0])
    // The status bar says the load failed (a notice); the save state still says the save failed.
    expect(b.store.notice).toBe(
      `${IDS[0]}: the saved version did not load: [io-error] EIO: i/o error, read; the edit here stays unsaved`,
    )
    expect([b.store.saveState, b.store.saveError.slice(0, 10)]).toEqual(['error', '[conflict]'])
    expect([...b.loaded.value!.session.map.data]).toEqual(B_EDIT)
    expect(b.loaded.value!.session.isDirty).toBe(true)
    // "Keep mine" needs only the version saved now: when even that cannot be read, nothing is written.
    p.versionError = { code: 'io-error', message: 'SQLITE_IOERR' }
    expect(await b.store.keepMine()).toBe(false)
    expect(saveBases()).toEqual(['', ''])
    expect(b.store.conflict).toBe(IDS[0])
    expect(b.store.saveError).toMatch(/^\[io-error\] the version saved now could not be read.*stays unsaved/)
    // Once it reads, Keep mine saves, the unreadable mask notwithstanding: the pair is not stuck.
    delete p.versionError
    expect(await b.store.keepMine()).toBe(true)
    expect([...p.corrected!]).toEqual(B_EDIT)
  })
})

describe('pair store: "Load the saved version" on a map of several rows', () => {
  it('is one undo step whose undo and redo give the exact bytes of each version', async () => {
    // 5×3: runs of changed pixels on several rows, in the middle of rows and at their ends.
    const source = [255, 255, 1, 0, 0, 1, 255, 255, 255, 0, 0, 0, 255, 1, 1]
    const elsewhere = [1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1]
    const p = server.pairs.get(IDS[0])!
    p.source = Uint8Array.from(source)
    p.width = 5
    const pair = await openWorkspace()
    const session = loadedPair.value!.session
    session.resolveAll(0)
    const mine = [...session.map.data]
    p.corrected = Uint8Array.from(elsewhere)
    p.version = server.nextVersion()
    expect(await pair.save()).toBe(false)
    expect(await pair.loadSaved()).toBe(true)
    expect([...session.map.data]).toEqual(elsewhere)
    expect(useEditorStore().uncertainRemaining).toBe(0)
    session.undo()
    expect([...session.map.data]).toEqual(mine)
    session.undo()
    expect([...session.map.data]).toEqual(source)
    expect(useEditorStore().uncertainRemaining).toBe(6)
    session.redo()
    session.redo()
    expect([...session.map.data]).toEqual(elsewhere)
    expect(session.isDirty).toBe(false)
  })
})

describe('pair store: a kept undo history and a pair changed elsewhere (session 7d)', () => {
  it('going back to a pair a team sync changed meanwhile starts its history afresh: Ctrl+Z never mixes versions', async () => {
    const pair = await openWorkspace()
    loadedPair.value!.session.resolveAll(1)
    expect(await pair.next()).toBe(true)
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual(B_EDIT)
    // A lead's adjudicated mask arrives for the first pair while the curator is on the second.
    const p = server.pairs.get(IDS[0])!
    p.corrected = Uint8Array.from([0, 1, 1, 0])
    p.version = server.nextVersion()
    expect(await pair.prev()).toBe(true)
    const session = loadedPair.value!.session
    expect([...session.map.data]).toEqual([0, 1, 1, 0])
    // The kept step (source → lesion) was made for other bytes: undoing it would write the
    // source's values into the lead's mask. Nothing to undo instead.
    expect(useEditorStore().canUndo).toBe(false)
    session.undo()
    expect([...session.map.data]).toEqual([0, 1, 1, 0])
    expect(session.isDirty).toBe(false)
  })

  it('going back to a pair nobody else changed keeps its undo steps', async () => {
    const pair = await openWorkspace()
    loadedPair.value!.session.resolveAll(1)
    expect(await pair.next()).toBe(true)
    expect(await pair.prev()).toBe(true)
    const session = loadedPair.value!.session
    expect(useEditorStore().canUndo).toBe(true)
    session.undo()
    expect([...session.map.data]).toEqual(SOURCE)
  })
})

describe('pair store: "Load the saved version" on random maps', () => {
  it("gives the exact bytes whatever the views' alignment: the saved version, then the edit on Ctrl+Z", async () => {
    // A seeded generator: the same maps on every run.
    let seed = 7
    const label = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return [0, 1, 255][seed % 3]
    }
    const width = 37
    const source = Array.from({ length: width * 5 }, label)
    // The offsets of the opened map, the pair read ahead, the saved version: the same alignment
    // (compared by words from the first byte, or after a head of bytes) and another one (bytes).
    const rounds = [
      [0, 0, 0],
      [1, 0, 1],
      [3, 2, 3],
      [1, 0, 2],
    ]
    for (const [round, views] of rounds.entries()) {
      offsets = [...views]
      const p = server.pairs.get(IDS[0])!
      Object.assign(p, { source: Uint8Array.from(source), width, corrected: null, version: '' })
      setActivePinia(createPinia())
      forgetPairs()
      loadedPair.value = null
      const pair = await openWorkspace()
      const session = loadedPair.value!.session
      session.resolveAll(round % 2 === 0 ? 0 : 1)
      const mine = [...session.map.data]
      const elsewhere = Array.from({ length: width * 5 }, label)
      p.corrected = Uint8Array.from(elsewhere)
      p.version = server.nextVersion()
      expect(await pair.save()).toBe(false)
      expect(await pair.loadSaved()).toBe(true)
      expect(offsets).toEqual([])
      expect([...session.map.data]).toEqual(elsewhere)
      expect(session.isDirty).toBe(false)
      session.undo()
      expect([...session.map.data]).toEqual(mine)
      session.redo()
      expect([...session.map.data]).toEqual(elsewhere)
    }
  })
})

const statusBases = () =>
  server.calls
    .filter((c) => c.name === 'pair:setStatus')
    .map((c) => c.args as { status: string; base?: string })
    .map((c) => [c.status, c.base])

describe('pair store: a decision on a mask changed elsewhere (session 7f)', () => {
  it("A in the tab that has not seen the other tab's save is refused: conflict bar, status unchanged; after Load, A decides on what is shown", async () => {
    const b = await savedInTabA()
    const onServer = server.pairs.get(IDS[0])!
    expect([onServer.status, onServer.version]).toEqual(['corrected', 'sha-1'])
    // Tab B still shows the source, unedited, and presses A.
    expect([...b.loaded.value!.session.map.data]).toEqual(SOURCE)
    expect(await b.store.decide('accepted')).toBe(false)
    // Taken on the version on screen (the source, ''): refused, nothing recorded, tab B stays.
    expect(statusBases()).toEqual([['accepted', '']])
    expect(onServer.status).toBe('corrected')
    expect([b.store.conflict, b.store.conflictOf]).toEqual([IDS[0], 'decision'])
    expect(b.store.notice).toMatch(
      /^ISIC_0000001 was not accepted: \[conflict\] it was changed elsewhere.*load the saved version and decide on what it shows/,
    )
    // No save failed: the save state says what the mask on screen is, as before.
    expect([b.store.saveState, b.store.saveError]).toEqual(['clean', ''])
    expect([b.store.position, b.loaded.value!.id, b.store.state?.status]).toEqual([0, IDS[0], 'unreviewed'])
    // "Keep mine" is not a choice for a decision: it would decide on a version never seen here.
    expect(await b.store.keepMine()).toBe(false)
    expect(saveBases()).toEqual([''])
    // A second A without loading is refused again.
    expect(await b.store.decide('accepted')).toBe(false)
    expect(onServer.status).toBe('corrected')

    expect(await b.store.loadSaved()).toBe(true)
    expect([...b.loaded.value!.session.map.data]).toEqual(A_SAVED)
    expect(b.loaded.value!.session.isDirty).toBe(false)
    expect([b.store.conflict, b.store.saveState, b.store.saveError]).toEqual(['', 'clean', ''])
    expect(b.store.notice).toMatch(/saved version is shown; decide again on what you see/)
    expect(b.store.state?.status).toBe('corrected')
    // A now accepts what is on screen: the corrected mask (its status says so already), and moves on.
    expect(await b.store.decide('accepted')).toBe(true)
    expect(b.loaded.value!.id).toBe(IDS[1])
    expect([onServer.status, [...onServer.corrected!]]).toEqual(['corrected', A_SAVED])
    expect(saveBases()).toEqual([''])
  })

  it('R and F after a team sync are refused the same way; after Load they carry the loaded version', async () => {
    const pair = await openWorkspace()
    const onServer = server.pairs.get(IDS[0])!
    onServer.corrected = Uint8Array.from([0, 1, 1, 0])
    onServer.version = server.nextVersion()
    onServer.status = 'corrected'
    expect(await pair.decide('rejected')).toBe(false)
    expect(await pair.decide('flagged')).toBe(false)
    expect(onServer.status).toBe('corrected')
    expect([pair.conflict, pair.conflictOf, loadedPair.value!.id]).toEqual([IDS[0], 'decision', IDS[0]])
    expect(await pair.loadSaved()).toBe(true)
    expect([...loadedPair.value!.session.map.data]).toEqual([0, 1, 1, 0])
    expect(await pair.decide('flagged')).toBe(true)
    expect(onServer.status).toBe('flagged')
    expect(pair.state?.status).toBe('flagged')
    expect(statusBases()).toEqual([
      ['rejected', ''],
      ['flagged', ''],
      ['flagged', 'sha-1'],
    ])
    // Nothing was saved by any of it.
    expect(saveBases()).toEqual([])
  })

  it('every decision on the pair on screen names its version: the one opened, then the one this tab saved', async () => {
    const pair = await openWorkspace()
    expect(await pair.decide('flagged')).toBe(true)
    loadedPair.value!.session.resolveAll(1)
    // Accept of an edit saves it first, then decides on the version just saved.
    expect(await pair.decide('accepted')).toBe(true)
    expect(statusBases()).toEqual([['flagged', '']])
    expect(server.pairs.get(IDS[0])!.status).toBe('corrected')
    expect(await pair.prev()).toBe(true)
    expect(await pair.decide('rejected')).toBe(true)
    expect(statusBases()).toEqual([
      ['flagged', ''],
      ['rejected', 'sha-1'],
    ])
    expect(server.pairs.get(IDS[0])!.status).toBe('rejected')
  })

  it('an edit saved over a decision conflict turns the bar into the save choice (both buttons)', async () => {
    const b = await savedInTabA()
    expect(await b.store.decide('flagged')).toBe(false)
    expect(b.store.conflictOf).toBe('decision')
    b.loaded.value!.session.resolveAll(1)
    expect(await b.store.save()).toBe(false)
    expect([b.store.conflict, b.store.conflictOf]).toEqual([IDS[0], 'save'])
    expect(await b.store.keepMine()).toBe(true)
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual(B_EDIT)
  })
})

const callsOf = (name: string) => server.calls.filter((c) => c.name === name)

describe('pair store: review 7 (the conflict choices made honest)', () => {
  it('D1: a save refused on an UNEDITED pair offers only the saved version; Keep mine refuses, nothing overwritten', async () => {
    const pair = await openWorkspace()
    const p = server.pairs.get(IDS[0])!
    p.corrected = Uint8Array.from([0, 1, 1, 0])
    p.version = server.nextVersion()
    // Ctrl+S always writes: refused, as the pair changed elsewhere.
    expect(await pair.save()).toBe(false)
    expect(pair.conflict).toBe(IDS[0])
    expect(pair.keepOffered).toBe(false)
    expect(pair.saveError).toMatch(/^\[conflict\] .*nothing here was unsaved; load the saved version$/)
    // "Keep mine" would write the stale source opened here over the newer version.
    expect(await pair.keepMine()).toBe(false)
    expect(pair.notice).toMatch(/nothing here is unsaved, nothing to keep/)
    expect([...p.corrected]).toEqual([0, 1, 1, 0])
    expect(saveBases()).toEqual([''])
    expect(callsOf('pair:version')).toEqual([])
    expect(await pair.loadSaved()).toBe(true)
    expect([...loadedPair.value!.session.map.data]).toEqual([0, 1, 1, 0])
  })

  it('D1: an edit refused, then undone back to the opened state: Keep mine is withdrawn; an edit again brings it back', async () => {
    const b = await conflictInTabB()
    const session = b.loaded.value!.session
    expect(b.store.keepOffered).toBe(true)
    session.undo()
    expect([...session.map.data]).toEqual(SOURCE)
    expect(session.isDirty).toBe(false)
    expect(b.store.keepOffered).toBe(false)
    expect(await b.store.keepMine()).toBe(false)
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual(A_SAVED)
    session.redo()
    expect(b.store.keepOffered).toBe(true)
    expect(await b.store.keepMine()).toBe(true)
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual(B_EDIT)
  })

  it('D3: Ctrl+S on an unedited pair, then its own row clicked while the save is in flight: the re-open waits for the save and names its version (no false conflict)', async () => {
    const pair = await openWorkspace()
    const opensBefore = callsOf('pair:open').length
    server.hold('pair:saveMask')
    const saving = pair.save()
    await flush()
    const reopening = pair.openAt(0)
    await flush()
    // Nothing opened while this window's save of the pair is in flight.
    expect(callsOf('pair:open').length).toBe(opensBefore)
    server.release('pair:saveMask')
    expect(await saving).toBe(true)
    expect(await reopening).toBe(true)
    expect(loadedPair.value!.base).toBe('sha-1')
    loadedPair.value!.session.resolveAll(0)
    expect(await pair.save()).toBe(true)
    expect(pair.conflict).toBe('')
    expect(saveBases()).toEqual(['', 'sha-1'])
  })

  it('D3: → and ← while that save is in flight: a decision on the pair is taken on the saved version, not refused', async () => {
    const pair = await openWorkspace()
    server.hold('pair:saveMask')
    const saving = pair.save()
    await flush()
    expect(await pair.next()).toBe(true)
    const back = pair.prev()
    await flush()
    server.release('pair:saveMask')
    expect(await saving).toBe(true)
    expect(await back).toBe(true)
    expect(loadedPair.value!.id).toBe(IDS[0])
    expect(await pair.decide('flagged')).toBe(true)
    expect([pair.conflict, server.pairs.get(IDS[0])!.status]).toEqual(['', 'flagged'])
    expect(statusBases()).toEqual([['flagged', 'sha-1']])
  })

  it('D4: a save sent while "Load the saved version" is in flight and refused after it: no conflict comes back over the loaded map', async () => {
    const b = await conflictInTabB()
    server.hold('pair:version')
    server.hold('pair:saveMask')
    const loading = b.store.loadSaved()
    await flush()
    const saving = b.store.save()
    await flush()
    server.release('pair:version')
    expect(await loading).toBe(true)
    expect([b.store.conflict, b.store.saveState]).toEqual(['', 'clean'])
    server.release('pair:saveMask')
    expect(await saving).toBe(false)
    const session = b.loaded.value!.session
    expect([...session.map.data]).toEqual(A_SAVED)
    expect(session.isDirty).toBe(false)
    expect([b.store.conflict, b.store.saveState, b.store.saveError]).toEqual(['', 'clean', ''])
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual(A_SAVED)
  })

  it('D4: a decision sent while "Load the saved version" is in flight and refused after it: no bar, the notice says to decide again', async () => {
    const b = await conflictInTabB()
    b.loaded.value!.session.undo()
    server.hold('pair:version')
    server.hold('pair:setStatus')
    const loading = b.store.loadSaved()
    await flush()
    const deciding = b.store.decide('flagged')
    await flush()
    server.release('pair:version')
    expect(await loading).toBe(true)
    server.release('pair:setStatus')
    expect(await deciding).toBe(false)
    expect(b.store.conflict).toBe('')
    expect(b.store.notice).toMatch(
      /^ISIC_0000001 was not flagged: \[conflict\] it was taken on the version shown before/,
    )
    expect(server.pairs.get(IDS[0])!.status).toBe('corrected')
    // Decided again on what is shown: recorded.
    expect(await b.store.decide('flagged')).toBe(true)
    expect(server.pairs.get(IDS[0])!.status).toBe('flagged')
  })

  it('D5: "Keep mine" refused for another reason (a full disk) leaves the version: the next plain save is refused again, never an overwrite', async () => {
    const b = await conflictInTabB()
    const p = server.pairs.get(IDS[0])!
    p.saveError = { code: 'disk-full', message: 'no space left on device' }
    expect(await b.store.keepMine()).toBe(false)
    expect(b.store.saveError).toBe('[disk-full] no space left on device')
    expect(b.loaded.value!.base).toBe('')
    delete p.saveError
    // Not Keep mine again: Ctrl+S (or the autosave of →).
    expect(await b.store.save()).toBe(false)
    expect(saveBases()).toEqual(['', '', 'sha-1', ''])
    expect([...p.corrected!]).toEqual(A_SAVED)
    expect([b.store.conflict, b.store.keepOffered]).toEqual([IDS[0], true])
    expect(await b.store.keepMine()).toBe(true)
    expect([...p.corrected!]).toEqual(B_EDIT)
  })

  it('D6: the choices read the version (and the mask) without the image: Keep and Load work when the image no longer reads', async () => {
    const b = await conflictInTabB()
    const opens = callsOf('pair:open').length
    const p = server.pairs.get(IDS[0])!
    p.openError = { code: 'image-corrupt', message: 'ISIC_0000001.jpg: truncated JPEG' }
    expect(await b.store.keepMine()).toBe(true)
    expect([...p.corrected!]).toEqual(B_EDIT)
    expect(callsOf('pair:version').map((c) => c.args)).toEqual([{ id: IDS[0] }])
    // Changed again elsewhere: the next edit is refused, and Load shows that version.
    p.corrected = Uint8Array.from([1, 0, 1, 0])
    p.version = server.nextVersion()
    b.loaded.value!.session.resolveAll(0)
    expect(await b.store.save()).toBe(false)
    expect(await b.store.loadSaved()).toBe(true)
    expect([...b.loaded.value!.session.map.data]).toEqual([1, 0, 1, 0])
    expect(callsOf('pair:version').map((c) => c.args)).toEqual([{ id: IDS[0] }, { id: IDS[0], mask: true }])
    expect(callsOf('pair:open').length).toBe(opens)
  })

  it('D7: after "Load the saved version" the progress and the queue row (status, uncertain fraction) are as the server says', async () => {
    const b = await conflictInTabB()
    const row = () => useQueueStore().pages.get(0)![0]
    expect([row().id, row().uncertainFraction]).toEqual([IDS[0], null])
    expect(await b.store.loadSaved()).toBe(true)
    expect(useWorkspaceStore().progress).toEqual(progress())
    expect(useWorkspaceStore().progress?.reviewed).toBe(1)
    expect([row().status, row().corrected, row().uncertainFraction]).toEqual(['corrected', true, 0])
  })

  it('D7: a decision refused for another reason is said as such (a notice), not as a failed save', async () => {
    const pair = await openWorkspace()
    server.pairs.get(IDS[0])!.statusError = { code: 'io-error', message: 'SQLITE_IOERR: disk I/O error' }
    expect(await pair.decide('flagged')).toBe(false)
    expect([pair.saveState, pair.saveError]).toEqual(['clean', ''])
    expect(pair.notice).toBe(`${IDS[0]} was not flagged: [io-error] SQLITE_IOERR: disk I/O error`)
  })

  it('D8 (G1): "Load the saved version" answered after → moved on changes nothing of the pair now on screen', async () => {
    const pair = await openWorkspace()
    const p = server.pairs.get(IDS[0])!
    p.corrected = Uint8Array.from([0, 1, 1, 0])
    p.version = server.nextVersion()
    expect(await pair.save()).toBe(false)
    const first = loadedPair.value!.session
    server.hold('pair:version')
    const loading = pair.loadSaved()
    await flush()
    // → takes the read-ahead copy of the next pair (no pair:open needed).
    expect(await pair.next()).toBe(true)
    expect(loadedPair.value!.id).toBe(IDS[1])
    server.release('pair:version')
    expect(await loading).toBe(false)
    expect([...first.map.data]).toEqual(SOURCE)
    expect([pair.id, pair.state?.id, pair.origin, pair.notice]).toEqual([IDS[1], IDS[1], 'source', ''])
    expect([...loadedPair.value!.session.map.data]).toEqual(SOURCE)
  })

  it('D8: the pair left and opened again after "Load the saved version" keeps its undo steps (they lead to the version loaded)', async () => {
    const b = await conflictInTabB()
    expect(await b.store.loadSaved()).toBe(true)
    expect(await b.store.next()).toBe(true)
    expect(await b.store.prev()).toBe(true)
    const session = b.loaded.value!.session
    expect([...session.map.data]).toEqual(A_SAVED)
    expect(useEditorStore().canUndo).toBe(true)
    session.undo()
    expect([...session.map.data]).toEqual(B_EDIT)
    session.undo()
    expect([...session.map.data]).toEqual(SOURCE)
  })

  it('D8: "Load the saved version" reads the version only after this window\'s saves in flight are answered', async () => {
    const b = await conflictInTabB()
    server.hold('pair:saveMask')
    const saving = b.store.save()
    await flush()
    const loading = b.store.loadSaved()
    await flush()
    expect(callsOf('pair:version')).toEqual([])
    server.release('pair:saveMask')
    expect(await saving).toBe(false)
    expect(await loading).toBe(true)
    expect(callsOf('pair:version').length).toBe(1)
    expect([b.store.conflict, b.store.saveState]).toEqual(['', 'clean'])
    expect([...b.loaded.value!.session.map.data]).toEqual(A_SAVED)
  })
})

describe('pair store: an assisted proposal on preview is applied only by Enter (qa7 #6)', () => {
  /** A proposal on preview over the open pair: its two uncertain pixels → lesion. */
  async function previewing() {
    const pair = await openWorkspace()
    const session = loadedPair.value!.session
    const { resolveUncertain } = await import('../../../../shared/labels/tools/resolve')
    const patch = resolveUncertain(session.map, { label: 1 })!
    expect(session.previewProposal(patch)).toBe(true)
    useEditorStore().assist = 'preview'
    expect([...session.map.data]).toEqual([1, 1, 1, 0])
    return { pair, session }
  }
  const hint = 'Enter applies the proposal, Esc discards it'

  it('→, ←, a queue click and G refuse to move on: nothing saved, the proposal still on preview, the banner says why', async () => {
    const { pair, session } = await previewing()
    expect(await pair.next()).toBe(false)
    expect(await pair.openAt(2)).toBe(false)
    expect(await pair.goTo(IDS[1])).toBe(false)
    expect(callsOf('pair:saveMask')).toEqual([])
    expect([pair.position, pair.id]).toEqual([0, IDS[0]])
    expect(session.inPreview).toBe(true)
    expect(server.pairs.get(IDS[0])!.corrected).toBeNull()
    expect(pair.previewRefused).toContain(hint)
  })

  it('A, R, F and Ctrl+S are refused: no decision, no corrected mask', async () => {
    const { pair, session } = await previewing()
    for (const status of ['accepted', 'rejected', 'flagged'] as const) {
      expect(await pair.decide(status)).toBe(false)
      expect(pair.previewRefused).toContain(hint)
    }
    expect(await pair.save()).toBe(false)
    expect(pair.previewRefused).toMatch(/^saving: .*Enter applies the proposal, Esc discards it/)
    expect(callsOf('pair:saveMask')).toEqual([])
    expect(callsOf('pair:setStatus')).toEqual([])
    expect(server.pairs.get(IDS[0])!.status).toBe('unreviewed')
    expect(session.inPreview).toBe(true)
  })

  it('a workspace switch (settle), another queue and an emptied queue (close) are refused too', async () => {
    const { pair, session } = await previewing()
    const queue = useQueueStore()
    expect(await queue.setQuery({ sort: 'id', order: 'asc', status: ['accepted'] })).toBe(false)
    expect(pair.previewRefused).toMatch(/^another queue: .*Enter applies the proposal/)
    expect([queue.total, queue.query.status]).toEqual([3, undefined])
    expect(callsOf('queue:set').length).toBe(1)
    expect(await pair.settle()).toBe(false)
    expect(await pair.close()).toBe(false)
    expect(callsOf('pair:saveMask')).toEqual([])
    expect(pair.id).toBe(IDS[0])
    expect(session.inPreview).toBe(true)
  })

  it('Esc discards: the exact bytes, the hint gone, and → moves on without a save', async () => {
    const { pair, session } = await previewing()
    expect(await pair.next()).toBe(false)
    pair.endPreview(false)
    expect(pair.previewRefused).toBe('')
    expect([...session.map.data]).toEqual(SOURCE)
    expect(await pair.next()).toBe(true)
    expect(pair.id).toBe(IDS[1])
    expect(callsOf('pair:saveMask')).toEqual([])
  })

  it('Enter applies (one undo step), then Ctrl+S saves it as corrected', async () => {
    const { pair, session } = await previewing()
    expect(await pair.save()).toBe(false)
    pair.endPreview(true)
    expect(pair.previewRefused).toBe('')
    expect(await pair.save()).toBe(true)
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual([1, 1, 1, 0])
    session.undo()
    expect([...session.map.data]).toEqual(SOURCE)
  })
})

describe('pair store: the notice after "Load the saved version" (qa7 #14b)', () => {
  it('goes with the next successful save of that pair, and stays while that save fails', async () => {
    const b = await conflictInTabB()
    expect(await b.store.loadSaved()).toBe(true)
    expect(b.store.notice).toBe(
      `${IDS[0]}: the saved version is shown; Ctrl+Z brings your edit back (unsaved)`,
    )
    const session = b.loaded.value!.session
    session.undo()
    expect([...session.map.data]).toEqual(B_EDIT)
    server.pairs.get(IDS[0])!.saveError = { code: 'io-error', message: 'disk full' }
    expect(await b.store.save()).toBe(false)
    expect(b.store.notice).toContain('Ctrl+Z brings your edit back')
    delete server.pairs.get(IDS[0])!.saveError
    expect(await b.store.save()).toBe(true)
    expect([b.store.notice, b.store.saveState]).toEqual(['', 'saved'])
    expect([...server.pairs.get(IDS[0])!.corrected!]).toEqual(B_EDIT)
  })

  it('another notice (a refused decision) is not cleared by a save', async () => {
    const pair = await openWorkspace()
    loadedPair.value!.session.resolveAll(1)
    pair.notice = `${IDS[0]} was not flagged: [io-error] the database did not answer`
    expect(await pair.save()).toBe(true)
    expect(pair.notice).toBe(`${IDS[0]} was not flagged: [io-error] the database did not answer`)
  })
})

describe('pair store: fast decisions (qa7s #1)', () => {
  const decided = () =>
    server.calls
      .filter((c) => c.name === 'pair:setStatus')
      .map((c) => `${(c.args as { id: string }).id}:${(c.args as { status: string }).status}`)

  it('presses while a decision is in flight (the server answering late) are dropped: each shown pair is decided once, none is passed over', async () => {
    const pair = await openWorkspace()
    const seen: string[] = []
    for (const [i, keys] of [
      ['accepted', 'accepted', 'accepted'],
      ['accepted', 'rejected', 'accepted', 'rejected'],
      ['rejected', 'rejected'],
    ].entries()) {
      // The pair on screen when the first key of the burst is pressed.
      expect(pair.position).toBe(i)
      seen.push(loadedPair.value!.id)
      server.hold('pair:setStatus')
      const presses = [pair.decide(keys[0] as 'accepted')]
      await flush()
      expect(server.heldCount('pair:setStatus')).toBe(1)
      for (const key of keys.slice(1)) {
        presses.push(pair.decide(key as 'accepted'))
        await flush(1)
      }
      expect(pair.notice).toMatch(/still moving on: that key press was not applied/)
      server.release('pair:setStatus')
      expect(await Promise.all(presses)).toEqual([true, ...keys.slice(1).map(() => false)])
      await flush(10)
    }
    expect(seen).toEqual(IDS)
    expect(decided()).toEqual([`${IDS[0]}:accepted`, `${IDS[1]}:accepted`, `${IDS[2]}:rejected`])
    expect(IDS.map((id) => server.pairs.get(id)!.status)).toEqual(['accepted', 'accepted', 'rejected'])
    // The last pair stays on screen (nothing to move on to), and the next press decides it again.
    expect(pair.position).toBe(2)
    expect(await pair.decide('accepted')).toBe(true)
    expect(server.pairs.get(IDS[2])!.status).toBe('accepted')
  })

  it('a press while a navigation (→, a row click) is loading another pair is dropped: neither that pair nor the one left is decided', async () => {
    const pair = await openWorkspace()
    server.hold('pair:open')
    const going = pair.openAt(2)
    await flush()
    expect(server.heldCount('pair:open')).toBe(1)
    const press = pair.decide('accepted')
    await flush()
    server.release('pair:open')
    expect(await going).toBe(true)
    expect(await press).toBe(false)
    expect(pair.notice).toMatch(/not applied to ISIC_0000003, not yet shown when it was pressed/)
    expect(decided()).toEqual([])
    expect(pair.position).toBe(2)
    // Pressed again on the pair shown: decided.
    expect(await pair.decide('accepted')).toBe(true)
    expect(decided()).toEqual([`${IDS[2]}:accepted`])
  })

  it('a press while the next pair is still loading after a decision is dropped, never applied to that pair', async () => {
    const pair = await openWorkspace()
    // The read-ahead of the next pair is in; open the one after slowly (the move after the second decision).
    expect(await pair.decide('accepted')).toBe(true)
    expect(pair.position).toBe(1)
    server.hold('pair:open')
    const first = pair.decide('rejected')
    await flush()
    expect(server.calls.filter((c) => c.name === 'pair:setStatus')).toHaveLength(2)
    // The move to IDS[2] is in flight: the press names no pair the curator has seen.
    const second = pair.decide('accepted')
    await flush()
    server.release('pair:open')
    expect(await first).toBe(true)
    expect(await second).toBe(false)
    expect(pair.position).toBe(2)
    expect(decided()).toEqual([`${IDS[0]}:accepted`, `${IDS[1]}:rejected`])
    expect(server.pairs.get(IDS[2])!.status).toBe('unreviewed')
  })
})
