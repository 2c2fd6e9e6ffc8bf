import { afterEach, describe, expect, it } from 'vitest'
import { LABEL_LESION, LABEL_UNCERTAIN } from '../../../../shared/labels/codes'
import { DEFAULT_HISTORY_BYTES, type History } from '../../../../shared/labels/history'
import { PatchBuilder, patchBytes, type Patch } from '../../../../shared/labels/patch'
import { HISTORY_CACHE_BYTES, HistoryCache } from '../../../../renderer/src/editor/historyCache'
import { drawMap, parseMap, pic } from '../../shared/labels/ascii'
import { openInEditor, type EditHarness } from './user'

describe('HistoryCache', () => {
  it('gives a pair back its own history when it is opened again', () => {
    const cache = new HistoryCache()
    const a = cache.historyFor('ISIC_1')
    const b = cache.historyFor('ISIC_2')
    expect(a).not.toBe(b)
    expect(cache.historyFor('ISIC_1')).toBe(a)
  })

  it('drops the least recently opened pair first beyond its size', () => {
    const cache = new HistoryCache(2)
    const one = cache.historyFor('ISIC_1')
    cache.historyFor('ISIC_2')
    cache.historyFor('ISIC_1') // now the most recent
    cache.historyFor('ISIC_3')
    expect(cache.size).toBe(2)
    expect(cache.has('ISIC_2')).toBe(false)
    expect(cache.historyFor('ISIC_1')).toBe(one)
  })

  it('forgets every history for another workspace', () => {
    const cache = new HistoryCache()
    const one = cache.historyFor('ISIC_1')
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.historyFor('ISIC_1')).not.toBe(one)
  })
})

/** A one-row patch setting n pixels from uncertain to lesion, as the editor records it. */
function step(n: number): Patch {
  const b = new PatchBuilder(n, 1)
  const off = b.add(0, 0, n)
  b.before.fill(LABEL_UNCERTAIN, off, off + n)
  b.after.fill(LABEL_LESION, off, off + n)
  return b.finish()!
}

describe('HistoryCache byte budget', () => {
  it('has one named budget over all histories; each keeps its per-pair budget', () => {
    const cache = new HistoryCache()
    expect(cache.maxBytes).toBe(HISTORY_CACHE_BYTES)
    expect(HISTORY_CACHE_BYTES).toBe(512 * 1024 * 1024)
    expect(cache.historyFor('ISIC_1').maxBytes).toBe(DEFAULT_HISTORY_BYTES)
    // A budget below the per-pair one bounds each history too.
    expect(new HistoryCache(50, 1000).historyFor('ISIC_1').maxBytes).toBe(1000)
  })

  it('counts the bytes the histories actually hold: steps, redo steps and an open stroke', () => {
    const cache = new HistoryCache()
    const a = cache.historyFor('ISIC_1')
    const s = step(100)
    a.record(s)
    const b = cache.historyFor('ISIC_2')
    b.beginStroke()
    b.stage(step(50))
    expect(cache.bytes).toBe(patchBytes(s) + patchBytes(step(50)))
    expect(b.heldBytes).toBe(patchBytes(step(50)))
  })

  it('filling histories past the budget drops the least recently used other pair first', () => {
    const s = step(1000) // 8 bytes of run + 2 × 1000 values
    const cache = new HistoryCache(50, 3 * patchBytes(s))
    const one = cache.historyFor('ISIC_1')
    one.record(s)
    cache.historyFor('ISIC_2').record(s)
    cache.historyFor('ISIC_3') // empty: holds nothing, so it is not worth dropping
    cache.historyFor('ISIC_1') // now used after ISIC_2
    const four = cache.historyFor('ISIC_4')
    four.record(s)
    expect(cache.bytes).toBe(3 * patchBytes(s))
    expect([1, 2, 3, 4].map((i) => cache.has(`ISIC_${i}`))).toEqual([true, true, true, true])
    four.record(s) // past the budget
    expect(cache.has('ISIC_2')).toBe(false)
    expect([1, 3, 4].map((i) => cache.has(`ISIC_${i}`))).toEqual([true, true, true])
    expect(cache.bytes).toBe(3 * patchBytes(s))
    four.record(s)
    expect(cache.has('ISIC_1')).toBe(false)
    // The dropped history gave its bytes back even to whoever still holds it.
    expect(one.heldBytes).toBe(0)
    expect(one.canUndo).toBe(false)
    expect(four.undoDepth).toBe(3)
  })

  it('never drops the current pair: its steps fill the budget and only its own budget trims them', () => {
    const s = step(1000)
    const cache = new HistoryCache(50, 3 * patchBytes(s))
    cache.historyFor('ISIC_1').record(s)
    const current = cache.historyFor('ISIC_2')
    for (let i = 0; i < 5; i++) current.record(s)
    expect(cache.has('ISIC_1')).toBe(false)
    expect(cache.has('ISIC_2')).toBe(true)
    expect(cache.historyFor('ISIC_2')).toBe(current)
    // Its own budget (here the cache's) keeps the newest steps.
    expect(current.undoDepth).toBe(3)
    expect(cache.bytes).toBe(3 * patchBytes(s))
    // One step or one stroke larger than the whole budget: still kept, the pair still current.
    const huge = step(10_000)
    current.record(huge)
    current.beginStroke()
    current.stage(huge)
    expect(cache.bytes).toBe(2 * patchBytes(huge))
    expect(cache.historyFor('ISIC_2')).toBe(current)
    expect(current.undoDepth).toBe(1) // its own budget: the newest step only
  })

  it('a stroke in progress counts: its staged patches drop other pairs before pointer-up', () => {
    const s = step(1000)
    const cache = new HistoryCache(50, 2 * patchBytes(s))
    cache.historyFor('ISIC_1').record(s)
    const current = cache.historyFor('ISIC_2')
    current.beginStroke()
    current.stage(s)
    expect(cache.has('ISIC_1')).toBe(true)
    current.stage(step(10))
    expect(cache.has('ISIC_1')).toBe(false)
  })

  it('moving to another pair drops the least recently used ones once the budget is exceeded', () => {
    const s = step(1000)
    const cache = new HistoryCache(50, 2 * patchBytes(s))
    const one = cache.historyFor('ISIC_1')
    one.record(s)
    one.record(s)
    one.record(s) // its own budget keeps two steps
    expect(one.undoDepth).toBe(2)
    cache.historyFor('ISIC_2').record(s)
    expect(cache.has('ISIC_1')).toBe(false)
    expect(cache.historyFor('ISIC_2').undoDepth).toBe(1)
  })
})

describe('A pair whose history was dropped for the budget', () => {
  let open: EditHarness | null = null
  afterEach(() => {
    open?.dispose()
    open = null
  })
  const edit = (map: string, history: History, opts: { initiallyDirty?: boolean } = {}): EditHarness => {
    open?.dispose()
    open = openInEditor(parseMap(map), {}, { ...opts, history })
    return open
  }
  const last = (h: EditHarness): EditHarness['states'][number] => h.states[h.states.length - 1]

  /** Pair A edited and saved, then a large edit on pair B; A reopened from the saved file. */
  function visit(
    budget: number,
    opts: { initiallyDirty?: boolean } = {},
  ): {
    cache: HistoryCache
    reopened: EditHarness
    saved: string
  } {
    const cache = new HistoryCache(50, budget)
    const a = edit('???? \n ????', cache.historyFor('ISIC_A'))
    a.pointer.drag([0, 0], [3, 0])
    a.session.markSaved()
    const saved = drawMap(a.map)
    const b = edit(Array(40).fill('?'.repeat(40)).join('\n'), cache.historyFor('ISIC_B'))
    b.keyboard.press('Shift+L') // resolves 1,600 pixels: one step of a few KB
    expect(b.session.history.undoDepth).toBe(1)
    const reopened = edit(saved, cache.historyFor('ISIC_A'), opts)
    return { cache, reopened, saved }
  }

  it('reopens with an empty history, clean, and undo changes nothing', () => {
    const { reopened: h, saved } = visit(1000)
    expect(h.session.history.undoDepth).toBe(0)
    expect(h.session.isDirty).toBe(false)
    expect(last(h)).toMatchObject({ canUndo: false, canRedo: false, dirty: false })
    h.keyboard.press('Ctrl+z')
    expect(drawMap(h.map)).toBe(saved)
    expect(last(h).dirty).toBe(false)
    // Edits after it are unsaved, and undone back to the file clean again.
    h.pointer.click(0, 1)
    expect(last(h).dirty).toBe(true)
    h.keyboard.press('Ctrl+z')
    expect(last(h).dirty).toBe(false)
  })

  it('a mask converted on open is still unsaved with its history gone', () => {
    const { reopened: h } = visit(1000, { initiallyDirty: true })
    expect(h.session.history.undoDepth).toBe(0)
    expect(last(h).dirty).toBe(true)
  })

  it('within the budget the same visit keeps the history: undo past the save is unsaved', () => {
    const { reopened: h, cache } = visit(HISTORY_CACHE_BYTES)
    expect(cache.size).toBe(2)
    expect(h.session.history.undoDepth).toBe(1)
    expect(h.session.isDirty).toBe(false)
    h.keyboard.press('Ctrl+z')
    expect(drawMap(h.map)).toBe(pic('???? \n ????'))
    expect(last(h).dirty).toBe(true)
  })
})
