import { describe, expect, it } from 'vitest'
import type { LabelMap } from '../../../../shared/labels/codes'
import { compactPatch, History, mergePatches } from '../../../../shared/labels/history'
import { applyPatch, patchBytes, PatchBuilder, type Patch, type Point } from '../../../../shared/labels/patch'
import { paintBrush, type BrushOptions } from '../../../../shared/labels/tools/brush'
import { floodFill } from '../../../../shared/labels/tools/fill'
import { cloneMap, drawMap, filledMap, firstDiff, parseMap, pic, prng, randomMap } from './ascii'

/** What the editor does on a pointer move: paint, apply, stage. */
function drag(map: LabelMap, history: History, points: Point[], opts: BrushOptions): void {
  for (let i = 0; i < points.length; i++) {
    const patch = paintBrush(map, { from: points[Math.max(0, i - 1)], to: points[i] }, opts)
    if (patch) {
      applyPatch(map, patch, 'redo')
      history.stage(patch)
    }
  }
}

/** A patch setting the given pixels (flat indices, ascending) to value, with before read from the map. */
function setPixels(map: LabelMap, indices: number[], value: number): Patch {
  const b = new PatchBuilder(map.width, map.height)
  for (const i of indices) {
    const off = b.add(i % map.width, Math.floor(i / map.width), 1)
    b.before[off] = map.data[i]
    b.after[off] = value
  }
  return b.finish()!
}

const lesion = (diameter: number): BrushOptions => ({ diameter, label: 1, onlyUncertain: false })

describe('History', () => {
  it('merges a drag into one step that keeps the original bytes of the first touch', () => {
    const map = parseMap(`
      ?????????
      ?..##..??
      ?????????`)
    const original = cloneMap(map)
    const history = new History()
    history.beginStroke()
    // Back and forth over the same pixels with changing labels: later touches must not overwrite
    // the before-bytes recorded by the first.
    drag(
      map,
      history,
      [
        { x: 0.5, y: 1.5 },
        { x: 8.5, y: 1.5 },
      ],
      lesion(1),
    )
    drag(
      map,
      history,
      [
        { x: 8.5, y: 1.5 },
        { x: 2.5, y: 1.5 },
      ],
      { diameter: 3, label: 0, onlyUncertain: false },
    )
    drag(map, history, [{ x: 4.5, y: 1.5 }], { diameter: 1, label: 255, onlyUncertain: false })
    const step = history.commitStroke()!
    expect(drawMap(map)).toBe(
      pic(`
        ?........
        #...?....
        ?........`),
    )
    expect(history.undoDepth).toBe(1)
    expect(step.rect).toEqual({ x: 0, y: 0, width: 9, height: 3 })
    // Minimal: exactly the pixels that differ from the original.
    let changed = 0
    for (let i = 0; i < map.data.length; i++) if (map.data[i] !== original.data[i]) changed++
    expect(step.before.length).toBe(changed)
    expect(history.undo(map)).toEqual(step.rect)
    expect(firstDiff(map.data, original.data)).toBe(-1)
  })

  it('aborts a stroke by restoring the exact bytes and returns the dirty rectangle', () => {
    const rand = prng(1)
    const map = randomMap(rand, 30, 20)
    const original = cloneMap(map)
    const history = new History()
    history.beginStroke()
    drag(
      map,
      history,
      [
        { x: 3, y: 3 },
        { x: 25, y: 15 },
        { x: 5, y: 18 },
      ],
      lesion(4),
    )
    drag(
      map,
      history,
      [
        { x: 3, y: 3 },
        { x: 20, y: 4 },
      ],
      { diameter: 6, label: 0, onlyUncertain: true },
    )
    expect(history.inStroke).toBe(true)
    const dirty = history.abortStroke(map)!
    expect(firstDiff(map.data, original.data)).toBe(-1)
    expect(dirty.x).toBeLessThanOrEqual(1)
    expect(dirty.x + dirty.width).toBeGreaterThanOrEqual(27)
    expect(history.inStroke).toBe(false)
    expect(history.canUndo).toBe(false)
    expect(history.abortStroke(map)).toBeNull()
  })

  it('records nothing for edits that change nothing, and keeps the redo steps then', () => {
    const map = filledMap(8, 8, 255)
    const history = new History()
    const fill = floodFill(map, { seed: { x: 1, y: 1 } }, { label: 1, onlyUncertain: true })!
    applyPatch(map, fill, 'redo')
    expect(history.record(fill)).toBe(true)
    history.undo(map)
    expect(history.canRedo).toBe(true)
    // Nothing to change: the tools return null, a stroke with no staged patch commits nothing.
    expect(
      history.record(floodFill(map, { seed: { x: 1, y: 1 } }, { label: 255, onlyUncertain: false })),
    ).toBe(false)
    history.beginStroke()
    expect(history.commitStroke()).toBeNull()
    // A stroke that ends where it started (paint, then paint back) commits nothing either.
    history.beginStroke()
    drag(map, history, [{ x: 2.5, y: 2.5 }], lesion(3))
    drag(map, history, [{ x: 2.5, y: 2.5 }], { diameter: 5, label: 255, onlyUncertain: false })
    expect(history.commitStroke()).toBeNull()
    expect(drawMap(map)).toBe(drawMap(filledMap(8, 8, 255)))
    expect(history.undoDepth).toBe(0)
    expect(history.canRedo).toBe(true)
    expect(history.redo(map)).toEqual(fill.rect)
    expect(map.data.every((v) => v === 1)).toBe(true)
  })

  it('undo and redo return dirty rectangles and null at the ends; a new step clears redo', () => {
    const map = filledMap(10, 10, 255)
    const history = new History()
    expect(history.undo(map)).toBeNull()
    expect(history.redo(map)).toBeNull()
    const a = setPixels(map, [11, 12], 1)
    applyPatch(map, a, 'redo')
    history.record(a)
    const b = setPixels(map, [55], 0)
    applyPatch(map, b, 'redo')
    history.record(b)
    expect(history.undo(map)).toEqual({ x: 5, y: 5, width: 1, height: 1 })
    expect(history.undo(map)).toEqual({ x: 1, y: 1, width: 2, height: 1 })
    expect(history.canUndo).toBe(false)
    expect(history.redo(map)).toEqual({ x: 1, y: 1, width: 2, height: 1 })
    const c = setPixels(map, [99], 0)
    applyPatch(map, c, 'redo')
    history.record(c)
    expect(history.canRedo).toBe(false)
    expect(history.redoDepth).toBe(0)
    expect(history.bytes).toBe(patchBytes(a) + patchBytes(c))
  })

  it('undo during a stroke commits it first (so redo can bring it back)', () => {
    const map = filledMap(6, 6, 255)
    const history = new History()
    history.beginStroke()
    drag(
      map,
      history,
      [
        { x: 1, y: 1 },
        { x: 5, y: 5 },
      ],
      lesion(2),
    )
    const painted = map.data.slice()
    expect(history.canUndo).toBe(true)
    history.undo(map)
    expect(map.data.every((v) => v === 255)).toBe(true)
    expect(history.inStroke).toBe(false)
    history.redo(map)
    expect(firstDiff(map.data, painted)).toBe(-1)
  })

  it('beginStroke while a stroke is open commits the open one; stage outside a stroke records a step', () => {
    const map = filledMap(6, 6, 255)
    const history = new History()
    history.beginStroke()
    drag(map, history, [{ x: 1, y: 1 }], lesion(1))
    history.beginStroke()
    drag(map, history, [{ x: 4, y: 4 }], lesion(1))
    history.commitStroke()
    expect(history.undoDepth).toBe(2)
    drag(map, history, [{ x: 2, y: 4 }], lesion(1))
    expect(history.undoDepth).toBe(3)
  })

  it('drops the oldest steps beyond the byte budget, always keeping the newest', () => {
    const map = filledMap(100, 10, 255)
    const original = cloneMap(map)
    const history = new History({ maxBytes: 100 })
    const steps: Patch[] = []
    for (let y = 0; y < 10; y++) {
      // One run of 10 pixels: 8 bytes of run + 10 before + 10 after = 28 bytes.
      const p = setPixels(
        map,
        Array.from({ length: 10 }, (_, i) => y * 100 + i),
        1,
      )
      expect(patchBytes(p)).toBe(28)
      applyPatch(map, p, 'redo')
      history.record(p)
      steps.push(p)
    }
    expect(history.undoDepth).toBe(3)
    expect(history.bytes).toBe(84)
    while (history.undo(map)) {
      /* undo all that is left */
    }
    // Rows 0..6 stay painted (their steps were dropped); rows 7..9 are back to 255.
    for (let y = 0; y < 10; y++) expect(map.data[y * 100], `row ${y}`).toBe(y < 7 ? 1 : 255)

    const tiny = new History({ maxBytes: 10 })
    const big = setPixels(original, [1, 2, 3, 4, 5], 0)
    tiny.record(big)
    expect(tiny.undoDepth).toBe(1)
    tiny.record(setPixels(original, [7], 0))
    expect(tiny.undoDepth).toBe(1)
    expect(new History().maxBytes).toBe(256 * 1024 * 1024)
  })

  it('clear forgets steps and an open stroke', () => {
    const map = filledMap(4, 4, 255)
    const history = new History()
    history.record(setPixels(map, [0], 1))
    history.beginStroke()
    history.clear()
    expect(history.canUndo || history.canRedo || history.inStroke).toBe(false)
    expect(history.bytes).toBe(0)
    expect(history.heldBytes).toBe(0)
  })

  it('holds the bytes of its steps and of an open stroke, and says when they may have grown', () => {
    const map = filledMap(10, 4, 255)
    const grew: History[] = []
    const history = new History({ onGrow: (h) => grew.push(h) })
    const one = setPixels(map, [0, 1, 2], 1)
    applyPatch(map, one, 'redo')
    history.record(one)
    expect(history.heldBytes).toBe(patchBytes(one))
    expect(grew).toEqual([history])
    // A stroke: each staged patch counts at once (an owner keeping several histories can act
    // before pointer-up), and the merged step replaces them at commit.
    history.beginStroke()
    const a = setPixels(map, [10, 11], 0)
    applyPatch(map, a, 'redo')
    history.stage(a)
    const b = setPixels(map, [11, 12], 1)
    applyPatch(map, b, 'redo')
    history.stage(b)
    expect(grew).toHaveLength(3)
    expect(history.bytes).toBe(patchBytes(one))
    expect(history.heldBytes).toBe(patchBytes(one) + patchBytes(a) + patchBytes(b))
    const merged = history.commitStroke()!
    expect(history.heldBytes).toBe(patchBytes(one) + patchBytes(merged))
    expect(grew).toHaveLength(4)
    // Undo and redo move steps between the stacks: the bytes held stay, nothing grows.
    history.undo(map)
    history.redo(map)
    expect(history.heldBytes).toBe(patchBytes(one) + patchBytes(merged))
    expect(grew).toHaveLength(4)
    // An aborted stroke gives its staged bytes back.
    history.beginStroke()
    const c = setPixels(map, [20, 21, 22, 23], 0)
    applyPatch(map, c, 'redo')
    history.stage(c)
    history.abortStroke(map)
    expect(history.heldBytes).toBe(patchBytes(one) + patchBytes(merged))
    // An edit that changes nothing records nothing and does not grow.
    expect(history.record(setPixels(map, [30], map.data[30]))).toBe(false)
    expect(grew).toHaveLength(5)
  })
})

describe('mergePatches', () => {
  it('equals applying the patches in sequence, keeps first before and last after, drops no-ops', () => {
    const rand = prng(42)
    for (let iter = 0; iter < 300; iter++) {
      const w = 1 + Math.floor(rand() * 25)
      const h = 1 + Math.floor(rand() * 8)
      const start = randomMap(rand, w, h)
      const map = cloneMap(start)
      const patches: Patch[] = []
      const n = 1 + Math.floor(rand() * 8)
      for (let k = 0; k < n; k++) {
        // Random runs, including unchanged pixels and overlaps with earlier patches.
        const idx = [
          ...new Set(
            Array.from({ length: 1 + Math.floor(rand() * w * h) }, () => Math.floor(rand() * w * h)),
          ),
        ].sort((a, b) => a - b)
        const b = new PatchBuilder(w, h)
        for (const i of idx) {
          const off = b.add(i % w, Math.floor(i / w), 1)
          b.before[off] = map.data[i]
          b.after[off] = [0, 1, 255][Math.floor(rand() * 3)]
        }
        const p = b.finish()!
        applyPatch(map, p, 'redo')
        patches.push(p)
      }
      const merged = mergePatches(patches)
      const changed = firstDiff(map.data, start.data) !== -1
      expect(merged === null).toBe(!changed)
      if (!merged) continue
      expect(merged.before.every((v, i) => v !== merged.after[i])).toBe(true)
      const replay = cloneMap(start)
      applyPatch(replay, merged, 'redo')
      expect(firstDiff(replay.data, map.data)).toBe(-1)
      applyPatch(replay, merged, 'undo')
      expect(firstDiff(replay.data, start.data)).toBe(-1)
      // Runs sorted, disjoint, within rows, and maximal.
      for (let r = 0; r < merged.runs.length; r += 2) {
        const s = merged.runs[r]
        const e = s + merged.runs[r + 1]
        expect(Math.floor(s / w)).toBe(Math.floor((e - 1) / w))
        if (r > 0) {
          const prevEnd = merged.runs[r - 2] + merged.runs[r - 1]
          // Touching runs of one row are merged; across rows they may touch.
          if (Math.floor(s / w) === Math.floor((prevEnd - 1) / w)) expect(s).toBeGreaterThan(prevEnd)
          else expect(s).toBeGreaterThanOrEqual(prevEnd)
        }
      }
    }
  })

  it('compactPatch drops unchanged pixels, returns the patch itself when minimal', () => {
    const map = parseMap(`
      ?#.?`)
    const p = setPixels(map, [0, 1, 2, 3], 1)
    const c = compactPatch(p)!
    expect([...c.runs]).toEqual([0, 1, 2, 2])
    expect(c.rect).toEqual({ x: 0, y: 0, width: 4, height: 1 })
    expect(compactPatch(c)).toBe(c)
    expect(compactPatch(setPixels(map, [1], 1))).toBeNull()
  })
})
