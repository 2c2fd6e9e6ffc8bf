import { describe, expect, it } from 'vitest'
import {
  MERGE_DISPUTED_BACKGROUND,
  MERGE_LESION,
  MERGE_UNCERTAIN,
  MergeEditor,
  mergeRgba,
  restrictPatch,
} from '../../../../renderer/src/team/mergeEditor'
import { paintBrush } from '../../../../shared/labels/tools/brush'
import { allLabels, drawMap, parseMap, pic, prng } from '../../shared/labels/ascii'

const FIRST = parseMap(`
  ........
  .####...
  .####..?
  ......??
`)
const SECOND = parseMap(`
  ........
  ...####.
  ...####?
  .....???
`)
/** Pixel centre of (x, y). */
const at = (x: number, y: number) => ({ x: x + 0.5, y: y + 0.5 })

describe('the merge editor of the adjudication view', () => {
  it('starts from the union; the disputed pixels are where the reviews differ', () => {
    const m = new MergeEditor(FIRST, SECOND)
    expect(drawMap(m.map)).toBe(
      pic(`
        ........
        .######.
        .######?
        ......??
      `),
    )
    expect(m.disputedCount).toBe(9)
    expect(m.disputedLesion()).toBe(8)
    // The reviews themselves are never written.
    expect(drawMap(FIRST)).toBe(pic('........\n.####...\n.####..?\n......??'))
  })

  it("the merge line counts the disagreement line's disputed pixels, uncertain vs background included (qa7 #7)", () => {
    // Row 3: first 0 vs second 255 at x=5: disputed, uncertain vs background.
    const m = new MergeEditor(FIRST, SECOND)
    expect(m.comparison).toEqual({
      agreedLesion: 4,
      firstLesionOnly: 4,
      secondLesionOnly: 4,
      firstUncertainOnly: 0,
      secondUncertainOnly: 1,
      disputed: 9,
    })
    expect(m.disputedCount).toBe(9)
    // The union: every lesion of either is lesion (8), the uncertain-vs-background pixel background.
    expect(m.tally()).toEqual({ lesion: 8, background: 1, uncertain: 0 })
    m.startFrom('intersection')
    expect(m.tally()).toEqual({ lesion: 0, background: 9, uncertain: 0 })
    m.startFrom('second')
    expect(m.tally()).toEqual({ lesion: 4, background: 4, uncertain: 1 })
  })

  it('a new start computed in bands gives the same bytes as at once, one undo step, nothing else meanwhile', async () => {
    const rnd = prng(11)
    const w = 37
    const h = 23
    const pick = () => [0, 1, 255][Math.floor(rnd() * 3)]
    const first = { width: w, height: h, data: Uint8Array.from({ length: w * h }, pick) }
    const second = { width: w, height: h, data: Uint8Array.from({ length: w * h }, pick) }
    for (const start of ['intersection', 'first', 'second'] as const) {
      const once = new MergeEditor(first, second)
      const rectOnce = once.startFrom(start)
      const banded = new MergeEditor(first, second)
      const union = banded.map.data.slice()
      let pauses = 0
      const rect = await banded.startFromInBands(
        start,
        async () => {
          pauses++
          // Meanwhile the editor refuses to be changed.
          expect(banded.busy).toBe(true)
          expect(banded.beginStroke(at(0, 0), { label: 1, diameter: 9, onlyDisputed: false })).toBeNull()
          expect(banded.undo()).toBeNull()
          expect(banded.startFrom('union')).toBeNull()
        },
        100,
      )
      expect(pauses).toBe(Math.ceil(h / Math.floor(100 / w)) - 1)
      expect(banded.busy).toBe(false)
      expect(rect).toEqual(rectOnce)
      expect(banded.map.data).toEqual(once.map.data)
      expect(banded.map.data).toEqual(
        start === 'first' ? first.data : start === 'second' ? second.data : once.map.data,
      )
      banded.undo()
      expect(banded.map.data).toEqual(union)
      expect(banded.canUndo).toBe(false)
    }
  })

  it('built from parts computed elsewhere (the worker), it is the same editor', () => {
    const own = new MergeEditor(FIRST, SECOND, 'intersection')
    const parts = {
      map: { ...own.map, data: own.map.data.slice() },
      disputed: own.disputed.slice(),
      disputedIndex: own.disputedIndex.slice(),
      comparison: { ...own.comparison },
    }
    const m = new MergeEditor(FIRST, SECOND, 'intersection', parts)
    expect(m.map.data).toEqual(own.map.data)
    m.beginStroke(at(0, 1), { label: 1, diameter: 1 })
    m.moveStroke(at(7, 1))
    m.commitStroke()
    expect(m.tally()).toEqual({ lesion: 4, background: 5, uncertain: 0 })
    m.undo()
    expect(m.map.data).toEqual(own.map.data)
  })

  it('a stroke of background paints only disputed pixels; undo gives identical bytes, redo the painted ones', () => {
    const m = new MergeEditor(FIRST, SECOND)
    const before = m.map.data.slice()
    m.beginStroke(at(0, 1), { label: 0, diameter: 1 })
    m.moveStroke(at(4, 1))
    m.moveStroke(at(7, 1))
    expect(m.commitStroke()).toBe(true)
    expect(drawMap(m.map)).toBe(
      pic(`
        ........
        ...##...
        .######?
        ......??
      `),
    )
    const painted = m.map.data.slice()
    expect(m.undo()).toEqual({ x: 1, y: 1, width: 6, height: 1 })
    expect(m.map.data).toEqual(before)
    expect(m.canUndo).toBe(false)
    m.redo()
    expect(m.map.data).toEqual(painted)
  })

  it('a lesion brush over disputed pixels only, or everywhere when asked; never 255', () => {
    const m = new MergeEditor(FIRST, SECOND, 'intersection')
    expect(drawMap(m.map)).toBe(pic('........\n...##...\n...##..?\n......??'))
    // Over agreed background: nothing changes, nothing is recorded.
    m.beginStroke(at(0, 0), { label: 1, diameter: 1 })
    m.moveStroke(at(7, 0))
    expect(m.commitStroke()).toBe(false)
    expect(m.canUndo).toBe(false)
    m.beginStroke(at(0, 3), { label: 1, diameter: 1 })
    m.moveStroke(at(7, 3))
    m.commitStroke()
    // Only (5, 3) is disputed on that row (0 vs 255): it becomes lesion; the agreed 255s stay.
    expect(drawMap(m.map)).toBe(pic('........\n...##...\n...##..?\n.....#??'))
    m.beginStroke(at(0, 0), { label: 1, diameter: 1, onlyDisputed: false })
    m.moveStroke(at(2, 0))
    m.commitStroke()
    expect(drawMap(m.map)).toBe(pic('###.....\n...##...\n...##..?\n.....#??'))
    expect(() => m.beginStroke(at(0, 0), { label: 255 as 1, diameter: 1 })).toThrow(RangeError)
  })

  it('Escape gives back the bytes from before the stroke; a new start is one undo step', () => {
    const m = new MergeEditor(FIRST, SECOND)
    const union = m.map.data.slice()
    m.beginStroke(at(1, 1), { label: 0, diameter: 3 })
    m.moveStroke(at(6, 2))
    expect(m.map.data).not.toEqual(union)
    m.abortStroke()
    expect(m.map.data).toEqual(union)
    expect(m.canUndo).toBe(false)
    m.startFrom('second')
    expect(drawMap(m.map)).toBe(drawMap(SECOND))
    m.beginStroke(at(3, 1), { label: 0, diameter: 1 })
    m.commitStroke()
    expect(m.map.data[1 * 8 + 3]).toBe(1) // agreed lesion: left alone
    m.beginStroke(at(6, 1), { label: 0, diameter: 1 })
    m.commitStroke()
    expect(m.map.data[1 * 8 + 6]).toBe(0)
    m.undo()
    expect(drawMap(m.map)).toBe(drawMap(SECOND))
    m.undo()
    expect(m.map.data).toEqual(union)
    expect(m.startFrom('union')).toBeNull()
  })

  it('random strokes write only 0/1 on disputed pixels; undoing them all restores the start exactly', () => {
    const rnd = prng(7)
    const w = 40
    const h = 30
    const first = { width: w, height: h, data: new Uint8Array(w * h) }
    const second = { width: w, height: h, data: new Uint8Array(w * h) }
    for (let i = 0; i < w * h; i++) {
      first.data[i] = [0, 1, 255][Math.floor(rnd() * 3)]
      second.data[i] = rnd() < 0.5 ? first.data[i] : [0, 1, 255][Math.floor(rnd() * 3)]
    }
    const m = new MergeEditor(first, second, 'first')
    const start = m.map.data.slice()
    let steps = 0
    for (let s = 0; s < 25; s++) {
      m.beginStroke(
        { x: rnd() * w, y: rnd() * h },
        { label: rnd() < 0.5 ? 0 : 1, diameter: 1 + Math.floor(rnd() * 6) },
      )
      for (let k = 0; k < 4; k++) m.moveStroke({ x: rnd() * w, y: rnd() * h })
      if (m.commitStroke()) steps++
    }
    expect(allLabels(m.map.data)).toBe(true)
    for (let i = 0; i < w * h; i++) {
      if (m.map.data[i] !== start[i]) {
        expect(m.disputed[i]).toBe(1)
        expect([0, 1]).toContain(m.map.data[i])
      }
    }
    for (let k = 0; k < steps; k++) m.undo()
    expect(m.canUndo).toBe(false)
    expect(m.map.data).toEqual(start)
  })

  it('restrictPatch keeps exactly the allowed pixels of a patch', () => {
    const map = parseMap('........\n........')
    const patch = paintBrush(
      map,
      { from: at(0, 0), to: at(7, 1) },
      { label: 1, onlyUncertain: false, diameter: 5 },
    )
    expect(patch!.before.length).toBe(16)
    const allowed = Uint8Array.from([0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
    const r = restrictPatch(patch!, allowed)!
    expect([...r.runs]).toEqual([1, 2, 6, 1, 8, 1, 15, 1])
    expect([...r.after]).toEqual([1, 1, 1, 1, 1])
    expect(restrictPatch(patch!, new Uint8Array(16))).toBeNull()
  })
})

describe('the merge canvas colours', () => {
  it('colours lesion, uncertain and undecided disputed pixels of a rectangle; agreed background stays clear', () => {
    const m = new MergeEditor(FIRST, SECOND, 'intersection')
    // Row 2, columns 1..7: 0 disputed, 0 disputed, 1, 1, 0 disputed, 0 disputed, 255.
    const rgba = mergeRgba(m.map, m.disputed, { x: 1, y: 2, width: 7, height: 1 })
    const px = (k: number) => [...rgba.subarray(k * 4, k * 4 + 4)]
    expect([0, 1, 2, 3, 4, 5, 6].map(px)).toEqual([
      [...MERGE_DISPUTED_BACKGROUND],
      [...MERGE_DISPUTED_BACKGROUND],
      [...MERGE_LESION],
      [...MERGE_LESION],
      [...MERGE_DISPUTED_BACKGROUND],
      [...MERGE_DISPUTED_BACKGROUND],
      [...MERGE_UNCERTAIN],
    ])
    expect([...mergeRgba(m.map, m.disputed, { x: 0, y: 0, width: 1, height: 1 })]).toEqual([0, 0, 0, 0])
  })
})
