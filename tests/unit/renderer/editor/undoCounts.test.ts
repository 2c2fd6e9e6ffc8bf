import { afterEach, describe, expect, it, vi } from 'vitest'
import { countLabels, LABEL_UNCERTAIN, type LabelMap } from '../../../../shared/labels/codes'
import { PatchBuilder, type Patch } from '../../../../shared/labels/patch'
import { openInEditor, type EditHarness } from './user'

/*
 * Ctrl+Z, Ctrl+Y and Escape keep the uncertain count from the undo step's patch (its pixels'
 * values before and after), never by recounting the map: a recount is O(pixels) on the UI thread
 * (median 42 ms on the real 5–12 MP masks, 95 ms on 24 MP) for every key press. countLabels is
 * watched: the session may call it when it is made (no count came with the map), never after.
 */
vi.mock('../../../../shared/labels/codes', async (importOriginal) => {
  const codes = await importOriginal<{ countLabels: typeof countLabels }>()
  return { ...codes, countLabels: vi.fn(codes.countLabels) }
})

let open: EditHarness | null = null
afterEach(() => {
  open?.dispose()
  open = null
})

/** The map's uncertain pixels, counted here (not through the watched countLabels). */
function recount(map: LabelMap): number {
  let n = 0
  for (const v of map.data) if (v === LABEL_UNCERTAIN) n++
  return n
}

describe('EditorSession: the uncertain count after undo, redo and Escape', () => {
  it('equals a full recount after random sequences of edits, undos, redos, aborts and previews, without rescanning the map', () => {
    // A seeded generator: the same sequences on every run.
    let seed = 12345
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return Math.floor((seed / 2 ** 31) * n)
    }
    const width = 23
    const height = 17
    const values = [0, 1, 255] as const
    const map: LabelMap = {
      width,
      height,
      data: Uint8Array.from({ length: width * height }, () => values[rand(3)]),
    }
    open = openInEditor(map, { brushSize: 3 })
    const h = open
    const countCalls = vi.mocked(countLabels)
    countCalls.mockClear()
    const last = (): number => h.states[h.states.length - 1].uncertain
    const point = (): [number, number] => [rand(width), rand(height)]
    /** A proposal over some uncertain pixels of one row (as the assist worker's patches). */
    const proposal = (): Patch | null => {
      const y = rand(height)
      const b = new PatchBuilder(width, height)
      let any = false
      for (let x = 0; x < width; x++) {
        if (h.map.data[y * width + x] !== LABEL_UNCERTAIN) continue
        const at = b.add(x, y, 1)
        b.before[at] = LABEL_UNCERTAIN
        b.after[at] = rand(2)
        any = true
      }
      return any ? (b.finish() as Patch) : null
    }
    let undos = 0
    let aborts = 0
    for (let step = 0; step < 600; step++) {
      const op = rand(10)
      if (op < 2) {
        h.keyboard.press(['1', '2', '3'][rand(3)])
        if (rand(3) === 0) h.keyboard.press('p')
        h.pointer.drag(point(), point(), point())
      } else if (op < 4) {
        h.keyboard.press('Ctrl+z')
        undos++
      } else if (op < 6) {
        h.keyboard.press(rand(2) ? 'Ctrl+y' : 'Ctrl+Shift+Z')
      } else if (op === 6) {
        // Escape in the middle of a drag.
        h.keyboard.press(['1', '2', '3'][rand(3)])
        h.pointer
          .down(...point())
          .move(...point())
          .move(...point())
        h.keyboard.press('Escape')
        h.pointer.up(0, 0)
        aborts++
      } else if (op === 7) {
        // A proposal on preview, moved to another level, then applied or discarded.
        const p = proposal()
        if (p && h.session.previewProposal(p)) {
          const q = { ...p, after: p.after.map((v) => 1 - v) }
          if (rand(2)) h.session.replacePreview(q)
          if (rand(2)) h.session.acceptPreview()
          else h.session.discardPreview()
        }
      } else if (op === 8) {
        h.keyboard.press('Shift+L')
      } else {
        h.keyboard.press('k').press(['1', '2', '3'][rand(3)])
        h.pointer.click(...point())
        h.keyboard.press('b')
      }
      expect(h.session.uncertainCount, `step ${step}`).toBe(recount(h.map))
      expect(last(), `step ${step}`).toBe(recount(h.map))
    }
    // The sequence did walk the history back and forth, and aborted strokes.
    expect([undos > 50, aborts > 20]).toEqual([true, true])
    expect(countCalls).not.toHaveBeenCalled()
  })
})
