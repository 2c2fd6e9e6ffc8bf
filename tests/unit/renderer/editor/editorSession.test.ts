import { afterEach, describe, expect, it } from 'vitest'
import { History } from '../../../../shared/labels/history'
import { countLabels, LABEL_BACKGROUND, LABEL_LESION } from '../../../../shared/labels/codes'
import { PatchBuilder, type Patch } from '../../../../shared/labels/patch'
import { rethresholdRunPatch } from '../../../../shared/labels/assist/level'
import { allLabels, drawMap, firstDiff, parseMap, pic } from '../../shared/labels/ascii'
import { openInEditor, type EditHarness } from './user'

let open: EditHarness | null = null
afterEach(() => {
  open?.dispose()
  open = null
})

function editor(
  picture: string,
  settings: Parameters<typeof openInEditor>[1] = {},
  opts: Parameters<typeof openInEditor>[2] = {},
): EditHarness {
  open = openInEditor(parseMap(picture), settings, opts)
  return open
}

/** The last state the session reported to the UI. */
function last(h: EditHarness): EditHarness['states'][number] {
  return h.states[h.states.length - 1]
}

describe('EditorSession driven by the pointer', () => {
  it('a drag (down, move, up) is one undo step; undo gives back identical bytes, redo the painted ones', () => {
    const h = editor(`
      ????????
      ????????
      ????????
      ????????
    `)
    const before = h.map.data.slice()
    h.pointer.drag([1, 1], [3, 1], [5, 1], [5, 2])
    expect(drawMap(h.map)).toBe(
      pic(`
        ????????
        ?#####??
        ?????#??
        ????????
      `),
    )
    expect(h.session.history.undoDepth).toBe(1)
    expect(last(h)).toEqual({ canUndo: true, canRedo: false, dirty: true, uncertain: 32 - 6 })
    const painted = h.map.data.slice()

    h.keyboard.press('Ctrl+z')
    expect(firstDiff(h.map.data, before)).toBe(-1)
    expect(last(h)).toMatchObject({ canUndo: false, canRedo: true, uncertain: 32 })

    h.keyboard.press('Ctrl+y')
    expect(firstDiff(h.map.data, painted)).toBe(-1)
    h.keyboard.press('Ctrl+z').press('Ctrl+Shift+Z')
    expect(firstDiff(h.map.data, painted)).toBe(-1)
    expect(h.session.history.undoDepth).toBe(1)
  })

  it('two drags are two undo steps, undone newest first', () => {
    const h = editor(`
      ??????
      ??????
      ??????
    `)
    h.pointer.drag([0, 0], [5, 0])
    const afterFirst = h.map.data.slice()
    h.editor.setLabel(LABEL_BACKGROUND)
    h.pointer.drag([0, 2], [5, 2])
    expect(drawMap(h.map)).toBe(pic('###### \n ?????? \n ......'))
    h.keyboard.press('Ctrl+z')
    expect(firstDiff(h.map.data, afterFirst)).toBe(-1)
    h.keyboard.press('Ctrl+z')
    expect(drawMap(h.map)).toBe(pic('?????? \n ?????? \n ??????'))
  })

  it('a fast move paints the whole segment between two pointer events (no gaps)', () => {
    const h = editor(`
      ??????????
      ??????????
      ??????????
    `)
    h.pointer.drag([0, 1], [9, 1])
    expect(drawMap(h.map)).toBe(pic('?????????? \n ########## \n ??????????'))
  })

  it('a 3-pixel brush stamps a 3×3 square around the pixel under the pointer', () => {
    const h = editor(
      `
      ?????
      ?????
      ?????
      ?????
    `,
      { brushSize: 3 },
    )
    h.pointer.click(2, 1)
    expect(drawMap(h.map)).toBe(pic('?###? \n ?###? \n ?###? \n ?????'))
    expect(h.session.history.undoDepth).toBe(1)
  })

  it('Escape in the middle of a drag restores the exact bytes and records nothing', () => {
    const h = editor(`
      ?.#?
      ?#.?
      ????
    `)
    const before = h.map.data.slice()
    h.pointer.down(0, 0).move(3, 0).move(3, 2)
    expect(h.map.data[3]).toBe(LABEL_LESION)
    h.keyboard.press('Escape')
    expect(firstDiff(h.map.data, before)).toBe(-1)
    expect(h.session.history.canUndo).toBe(false)
    expect(last(h)).toEqual({ canUndo: false, canRedo: false, dirty: false, uncertain: 8 })
    // The pointer coming up after the abort commits nothing; the dialogs were left alone.
    h.pointer.up(3, 2)
    expect(firstDiff(h.map.data, before)).toBe(-1)
    expect(h.session.history.undoDepth).toBe(0)
    expect(h.dialogs).toEqual([])
    // With nothing in progress, Escape closes dialogs instead.
    h.keyboard.press('Escape')
    expect(h.dialogs).toEqual([null])
  })

  it('Escape after an earlier edit keeps that edit and the unsaved state', () => {
    const h = editor(`
      ????
      ????
    `)
    h.pointer.click(0, 0)
    const afterClick = h.map.data.slice()
    h.pointer.down(0, 1).move(3, 1)
    h.keyboard.press('Escape')
    expect(firstDiff(h.map.data, afterClick)).toBe(-1)
    expect(h.session.history.undoDepth).toBe(1)
    expect(last(h)).toMatchObject({ dirty: true, canUndo: true })
  })

  it('an edit that changes nothing records nothing, reports no redraw and leaves the mask clean', () => {
    const h = editor(`
      ##..
      ##..
    `)
    // Only over uncertain pixels (the default): there are none.
    h.pointer.drag([0, 0], [3, 1])
    // Everywhere, but painting lesion over lesion.
    h.keyboard.press('p')
    expect(h.editor.onlyUncertain).toBe(false)
    h.pointer.drag([0, 0], [1, 1])
    // A fill with the label the region already has.
    h.keyboard.press('k')
    h.pointer.click(1, 1)
    expect(drawMap(h.map)).toBe(pic('##.. \n ##..'))
    expect(h.session.history.canUndo).toBe(false)
    expect(h.session.isDirty).toBe(false)
    expect(h.redraws).toEqual([])
  })

  it('an edit that changes nothing keeps the redo steps; one that changes something clears them', () => {
    const h = editor('#??? \n ????')
    h.pointer.drag([1, 0], [3, 0])
    h.keyboard.press('Ctrl+z')
    expect(h.session.history.redoDepth).toBe(1)
    h.pointer.click(0, 0) // lesion over lesion, only over uncertain: nothing changes
    expect(h.session.history.redoDepth).toBe(1)
    h.pointer.click(0, 1)
    expect(h.session.history.redoDepth).toBe(0)
  })

  it('only over uncertain (on by default) paints the 255 pixels and leaves certain ones alone; p paints everywhere', () => {
    const h = editor(`
      ?..??##?
      ????????
    `)
    h.pointer.drag([0, 0], [7, 0])
    expect(drawMap(h.map)).toBe(pic('#..##### \n ????????'))
    h.keyboard.press('2') // background
    h.keyboard.press('p') // everywhere
    h.pointer.drag([0, 1], [3, 1])
    h.pointer.drag([5, 0], [5, 0])
    expect(drawMap(h.map)).toBe(pic('#..##.## \n ....????'))
    expect(h.session.history.undoDepth).toBe(3)
    expect(allLabels(h.map.data)).toBe(true)
  })

  it('the eraser paints background; choosing a label goes back to the brush', () => {
    const h = editor('#### \n ????')
    h.keyboard.press('e').press('p')
    h.pointer.drag([0, 0], [1, 0])
    expect(drawMap(h.map)).toBe(pic('..## \n ????'))
    h.keyboard.press('1')
    expect(h.editor.tool).toBe('brush')
    h.pointer.drag([0, 1], [1, 1])
    expect(drawMap(h.map)).toBe(pic('..## \n ##??'))
  })

  it('a click with the fill tool fills the 4-connected region of one value, as one step', () => {
    const h = editor(`
      ??#??
      ??#??
      ###??
      ?#???
    `)
    h.keyboard.press('k').press('2')
    h.pointer.click(0, 0)
    expect(drawMap(h.map)).toBe(
      pic(`
        ..#??
        ..#??
        ###??
        ?#???
      `),
    )
    expect(h.session.history.undoDepth).toBe(1)
    expect(last(h).uncertain).toBe(countLabels(h.map.data).uncertain)
  })

  it('a lasso drag fills the polygon it draws (pixel centres inside), as one step; Escape drops it', () => {
    const h = editor(`
      ????????
      ????????
      ????????
      ????????
      ????????
      ????????
    `)
    h.keyboard.press('l')
    const before = h.map.data.slice()
    h.pointer.down(1, 1).move(5, 1).move(5, 4)
    expect(h.surface.lasso).not.toBeNull()
    h.keyboard.press('Escape')
    expect(h.surface.lasso).toBeNull()
    h.pointer.up(5, 4)
    expect(firstDiff(h.map.data, before)).toBe(-1)

    h.pointer.drag([1, 1], [5, 1], [5, 4], [1, 4])
    expect(drawMap(h.map)).toBe(
      pic(`
        ????????
        ?####???
        ?####???
        ?####???
        ????????
        ????????
      `),
    )
    expect(h.session.history.undoDepth).toBe(1)
  })

  it('Shift+L resolves every uncertain pixel as one step; undo brings back the exact bytes and count', () => {
    const h = editor(`
      ?.#?
      ??..
    `)
    const before = h.map.data.slice()
    h.keyboard.press('Shift+L')
    expect(drawMap(h.map)).toBe(pic('#.## \n ##..'))
    expect(last(h)).toMatchObject({ uncertain: 0, dirty: true })
    h.keyboard.press('Shift+L') // nothing left to resolve: no step
    expect(h.session.history.undoDepth).toBe(1)
    h.keyboard.press('Ctrl+z')
    expect(firstDiff(h.map.data, before)).toBe(-1)
    expect(last(h).uncertain).toBe(4)
  })

  it('a proposal shown as a preview: applied it is one undo step, discarded it leaves the exact bytes', () => {
    const h = editor(`
      ????
      ?##?
    `)
    const before = h.map.data.slice()
    const proposal = (): Patch => {
      const b = new PatchBuilder(h.map.width, h.map.height)
      const at = b.add(0, 0, 4)
      b.before.set([255, 255, 255, 255], at)
      b.after.set([0, 1, 1, 0], at)
      return b.finish() as Patch
    }
    h.session.previewProposal(proposal())
    expect(h.session.inPreview).toBe(true)
    expect(drawMap(h.map)).toBe(pic('.##. \n ?##?'))
    h.session.discardPreview()
    expect(firstDiff(h.map.data, before)).toBe(-1)
    expect(h.session.history.canUndo).toBe(false)
    expect(h.session.isDirty).toBe(false)

    h.session.previewProposal(proposal())
    h.session.acceptPreview()
    expect(h.session.history.undoDepth).toBe(1)
    h.keyboard.press('Ctrl+z')
    expect(firstDiff(h.map.data, before)).toBe(-1)
  })

  it('a proposal moved to other levels on preview: still one undo step, and discard gives the exact bytes', () => {
    const h = editor(`
      #??.
      #??.
    `)
    const before = h.map.data.slice()
    // The band's four pixels with their decisions, as the assist worker hands them over.
    const b = new PatchBuilder(h.map.width, h.map.height)
    b.before.set([255, 255], b.add(1, 0, 2))
    b.before.set([255, 255], b.add(1, 1, 2))
    const runPatch = b.finish() as Patch
    const proposal = {
      ...runPatch,
      unsure: new Uint8Array(4),
      decision: Int8Array.from([100, -20, 40, -90]),
    }
    const at = (level: number): Patch => {
      const r = rethresholdRunPatch(proposal, level)
      return { ...proposal, after: r.after }
    }
    h.session.previewProposal(at(0))
    expect(drawMap(h.map)).toBe(pic('##.. \n ##..'))
    h.keyboard.press('.')
    expect(h.calls).toEqual(['assistLevel:1'])
    h.session.replacePreview(at(-0.5)) // more of the band → lesion
    expect(drawMap(h.map)).toBe(pic('###. \n ##..'))
    h.session.replacePreview(at(-1))
    expect(drawMap(h.map)).toBe(pic('###. \n ###.')) // certain pixels stay
    h.session.replacePreview(at(1))
    expect(drawMap(h.map)).toBe(pic('#... \n #...'))
    expect(last(h).uncertain).toBe(0)
    expect(h.session.inPreview).toBe(true)
    h.session.discardPreview()
    expect(firstDiff(h.map.data, before)).toBe(-1)
    expect(h.session.history.canUndo).toBe(false)
    expect(h.session.isDirty).toBe(false)
    expect(last(h).uncertain).toBe(4)

    h.session.previewProposal(at(0))
    h.session.replacePreview(at(-0.5))
    h.session.replacePreview(at(-0.2))
    h.session.acceptPreview()
    expect(drawMap(h.map)).toBe(pic('###. \n ##..'))
    expect(h.session.history.undoDepth).toBe(1)
    h.keyboard.press('Ctrl+z')
    expect(firstDiff(h.map.data, before)).toBe(-1)
    h.keyboard.press('Ctrl+y')
    expect(drawMap(h.map)).toBe(pic('###. \n ##..'))
    // Not on preview: nothing happens.
    h.session.replacePreview(at(1))
    expect(drawMap(h.map)).toBe(pic('###. \n ##..'))
  })

  it('saved is clean; an undo past the save is unsaved again', () => {
    const h = editor('???? \n ????')
    h.pointer.drag([0, 0], [3, 0])
    h.session.markSaved()
    expect(last(h).dirty).toBe(false)
    h.keyboard.press('Ctrl+z')
    expect(last(h).dirty).toBe(true)
  })

  it('the uncertain count the UI sees equals the map after every kind of edit', () => {
    const h = editor(`
      ??????
      ?.??#?
      ??????
    `)
    const check = (): void => expect(last(h).uncertain).toBe(countLabels(h.map.data).uncertain)
    h.pointer.drag([0, 0], [5, 2])
    check()
    h.keyboard.press('p').press('3')
    h.pointer.drag([0, 1], [5, 1])
    check()
    h.keyboard.press('k').press('1')
    h.pointer.click(5, 2)
    check()
    h.keyboard.press('Ctrl+z').press('Ctrl+z')
    check()
    h.keyboard.press('Shift+B')
    check()
  })

  it('an edit undone back to the state on disk is clean again; redo past it is unsaved', () => {
    const h = editor('???? \n ????')
    h.pointer.drag([0, 0], [3, 0])
    expect(h.session.isDirty).toBe(true)
    h.keyboard.press('Ctrl+z')
    expect(last(h).dirty).toBe(false)
    h.keyboard.press('Ctrl+y')
    expect(last(h).dirty).toBe(true)
    h.session.markSaved()
    h.pointer.drag([0, 1], [3, 1])
    h.keyboard.press('Ctrl+z')
    expect(last(h).dirty).toBe(false)
    // Undo past the save, then a new edit: the saved state is out of reach, whatever comes next.
    h.keyboard.press('Ctrl+z')
    h.pointer.click(2, 1)
    expect(last(h).dirty).toBe(true)
    h.keyboard.press('Ctrl+z')
    expect(last(h).dirty).toBe(true)
  })

  it('a mask converted on open is unsaved until saved, whatever is undone', () => {
    const h = editor('???? \n ????', {}, { initiallyDirty: true })
    expect(h.session.isDirty).toBe(true)
    h.keyboard.press('Shift+L').press('Ctrl+z')
    expect(last(h).dirty).toBe(true)
    h.session.markSaved()
    expect(last(h).dirty).toBe(false)
  })

  it('edits made while a save is in flight stay unsaved once it lands', () => {
    const h = editor('???? \n ????')
    h.pointer.drag([0, 0], [3, 0])
    const point = h.session.savePoint()
    // The save goes out; the curator paints on before it answers.
    h.pointer.drag([0, 1], [1, 1])
    h.session.markSaved(point)
    expect(h.session.isDirty).toBe(true)
    expect(last(h).dirty).toBe(true)
    // Undoing the later stroke is back at what the file holds.
    h.keyboard.press('Ctrl+z')
    expect(last(h).dirty).toBe(false)
    // A save with nothing after it: clean.
    h.keyboard.press('Ctrl+y')
    h.session.markSaved(h.session.savePoint())
    expect(h.session.isDirty).toBe(false)
  })

  it('a save during a drag then Escape: the file holds the stroke, so the map restored is unsaved', () => {
    const h = editor('???? \n ????')
    const before = h.map.data.slice()
    h.pointer.down(0, 0).move(3, 0)
    h.session.markSaved(h.session.savePoint())
    expect(last(h).dirty).toBe(false)
    h.keyboard.press('Escape')
    expect(firstDiff(h.map.data, before)).toBe(-1)
    expect(last(h)).toMatchObject({ dirty: true, canUndo: false })
    h.pointer.up(3, 0)
  })

  it('a save during a drag that goes on: the end of the stroke is unsaved', () => {
    const h = editor('???? \n ????')
    h.pointer.down(0, 0).move(1, 0)
    h.session.markSaved(h.session.savePoint())
    h.pointer.move(3, 1).up(3, 1)
    expect(last(h).dirty).toBe(true)
    // A save taken mid-stroke with later paint in flight: unsaved too.
    h.pointer.down(0, 1)
    const point = h.session.savePoint()
    h.pointer.move(1, 1).up(1, 1)
    h.session.markSaved(point)
    expect(h.session.isDirty).toBe(true)
    // A save mid-stroke with nothing after it: the committed stroke is what is on disk.
    h.pointer.down(2, 1).move(2, 1)
    h.session.markSaved(h.session.savePoint())
    h.pointer.up(2, 1)
    expect(h.session.isDirty).toBe(false)
  })

  it('a proposal saved on preview then discarded: the restored map is unsaved (the file holds the proposal)', () => {
    const h = editor('???? \n ?##?')
    const before = h.map.data.slice()
    h.session.previewProposal(rowProposal(h, [0, 1, 1, 0]))
    h.session.markSaved(h.session.savePoint())
    expect(last(h).dirty).toBe(false)
    h.session.discardPreview()
    expect(firstDiff(h.map.data, before)).toBe(-1)
    expect(h.session.isDirty).toBe(true)
    expect(last(h)).toMatchObject({ dirty: true, uncertain: 6 })
    // Saved on preview and applied: clean, one undo step.
    h.session.previewProposal(rowProposal(h, [0, 1, 1, 0]))
    h.session.markSaved()
    h.session.acceptPreview()
    expect(h.session.isDirty).toBe(false)
    expect(h.session.history.undoDepth).toBe(1)
  })

  it('a proposal computed from older bytes is refused: it would write over the edits made meanwhile', () => {
    const h = editor('???? \n ????')
    const asked = h.session.version
    const proposal = rowProposal(h, [0, 1, 1, 0])
    // The curator paints while the proposal is computed.
    h.pointer.drag([0, 0], [1, 0])
    const painted = h.map.data.slice()
    expect(h.session.previewProposal(proposal, asked)).toBe(false)
    expect(h.session.inPreview).toBe(false)
    expect(firstDiff(h.map.data, painted)).toBe(-1)
    expect(last(h).uncertain).toBe(6)
    // Computed from the bytes on screen: shown.
    expect(h.session.previewProposal(rowProposal(h, [0, 0, 1, 0], 1), h.session.version)).toBe(true)
    expect(drawMap(h.map)).toBe(pic('##?? \n ..#.'))
  })

  it('painting on a proposal on preview applies it first (one step, told to the UI); Escape then drops only the paint', () => {
    const h = editor('???? \n ????')
    h.session.previewProposal(rowProposal(h, [0, 1, 1, 0]))
    const proposed = h.map.data.slice()
    h.pointer.down(0, 1).move(3, 1)
    expect(h.calls).toEqual(['previewApplied'])
    expect(h.session.inPreview).toBe(false)
    h.keyboard.press('Escape')
    expect(firstDiff(h.map.data, proposed)).toBe(-1)
    h.pointer.up(3, 1)
    expect(h.session.history.undoDepth).toBe(1)
    expect(last(h)).toMatchObject({ dirty: true, uncertain: 4 })
    // A fill on a preview applies it the same way, and is a step of its own.
    h.keyboard.press('Ctrl+z')
    h.session.previewProposal(rowProposal(h, [0, 1, 1, 0]))
    h.keyboard.press('k')
    h.pointer.click(0, 1)
    expect(h.calls).toEqual(['previewApplied', 'previewApplied'])
    expect(drawMap(h.map)).toBe(pic('.##. \n ####'))
    expect(h.session.history.undoDepth).toBe(2)
    expect(last(h).uncertain).toBe(0)
  })

  it('a stroke an earlier visit left open is a step before this visit: undo past it is unsaved', () => {
    const history = new History()
    const first = editor('???? \n ????', {}, { history })
    first.pointer.down(0, 0).move(3, 0)
    first.dispose()
    // The pair opened again (its history kept), the map as saved with the stroke in it.
    const h = editor(drawMap(first.map), {}, { history })
    expect(h.session.isDirty).toBe(false)
    h.pointer.click(0, 1)
    h.keyboard.press('Ctrl+z')
    expect(last(h).dirty).toBe(false)
    h.keyboard.press('Ctrl+z')
    expect(drawMap(h.map)).toBe(pic('???? \n ????'))
    expect(last(h).dirty).toBe(true)
    h.keyboard.press('Ctrl+y')
    expect(last(h).dirty).toBe(false)
  })

  it('read-only: no tool, resolve or proposal changes the map; it stays clean', () => {
    const h = editor('??#. \n ????', {}, { readOnly: true })
    const before = h.map.data.slice()
    h.pointer.drag([0, 0], [3, 1])
    h.keyboard.press('k')
    h.pointer.click(0, 1)
    h.keyboard.press('l')
    h.pointer.drag([0, 0], [3, 0], [3, 1], [0, 1])
    h.keyboard.press('Shift+L').press('Shift+B')
    expect(h.session.previewProposal(rowProposal(h, [0, 1, 1, 0]))).toBe(false)
    expect(firstDiff(h.map.data, before)).toBe(-1)
    expect(h.session.isDirty).toBe(false)
    expect(h.session.history.canUndo).toBe(false)
    expect(h.redraws).toEqual([])
  })
})

/** A proposal for row `y` (every pixel of it 255 before), with the given values after. */
function rowProposal(h: EditHarness, after: number[], y = 0): Patch {
  const b = new PatchBuilder(h.map.width, h.map.height)
  const at = b.add(0, y, after.length)
  b.before.set(
    after.map(() => 255),
    at,
  )
  b.after.set(after, at)
  return b.finish() as Patch
}
