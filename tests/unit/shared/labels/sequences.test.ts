/**
 * Property-style: random sequences of strokes (committed or aborted), fills, polygons, resolves,
 * undos and redos on random maps, checked against byte snapshots after every action.
 */
import { describe, expect, it } from 'vitest'
import type { Label, LabelMap } from '../../../../shared/labels/codes'
import { History } from '../../../../shared/labels/history'
import { applyPatch, type Patch, type Rect } from '../../../../shared/labels/patch'
import { paintBrush } from '../../../../shared/labels/tools/brush'
import { floodFill } from '../../../../shared/labels/tools/fill'
import { fillPolygon } from '../../../../shared/labels/tools/polygon'
import { resolveUncertain } from '../../../../shared/labels/tools/resolve'
import { allLabels, firstDiff, prng, randomMap } from './ascii'

/** True when every byte that differs between a and b lies inside rect. */
function diffInside(map: LabelMap, a: Uint8Array, b: Uint8Array, rect: Rect | null): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue
    const x = i % map.width
    const y = Math.floor(i / map.width)
    if (!rect || x < rect.x || y < rect.y || x >= rect.x + rect.width || y >= rect.y + rect.height)
      return false
  }
  return true
}

describe('random edit sequences', () => {
  it('undo gives back identical bytes, redo reproduces them, abort restores them', () => {
    const rand = prng(2024)
    const label = (): Label => ([0, 1, 255] as const)[Math.floor(rand() * 3)]
    let actions = 0
    for (let iter = 0; iter < 120; iter++) {
      const w = 3 + Math.floor(rand() * 40)
      const h = 3 + Math.floor(rand() * 25)
      const map = randomMap(rand, w, h)
      // Some histories get a budget small enough to evict.
      const history = new History(rand() < 0.3 ? { maxBytes: 200 + Math.floor(rand() * 2000) } : {})
      const states: Uint8Array[] = [map.data.slice()]
      let pos = 0
      const point = () => ({ x: rand() * (w + 4) - 2, y: rand() * (h + 4) - 2 })
      const recordOneShot = (patch: Patch | null) => {
        if (!patch) {
          return
        }
        applyPatch(map, patch, 'redo')
        expect(history.record(patch)).toBe(true)
        states.length = pos + 1
        states.push(map.data.slice())
        pos++
      }
      for (let step = 0; step < 40; step++) {
        actions++
        const r = rand()
        if (r < 0.35) {
          history.beginStroke()
          const opts = { diameter: 1 + Math.floor(rand() * 7), label: label(), onlyUncertain: rand() < 0.5 }
          let prev = point()
          let dirty: Rect | null = null
          for (let k = 0, n = 1 + Math.floor(rand() * 6); k < n; k++) {
            const next = point()
            const patch = paintBrush(map, { from: prev, to: next }, opts)
            if (patch) {
              applyPatch(map, patch, 'redo')
              history.stage(patch)
              dirty = dirty ?? patch.rect
            }
            prev = next
          }
          if (rand() < 0.3) {
            const rect = history.abortStroke(map)
            expect(firstDiff(map.data, states[pos])).toBe(-1)
            expect(rect === null).toBe(dirty === null)
          } else {
            const merged = history.commitStroke()
            if (merged) {
              expect(diffInside(map, map.data, states[pos], merged.rect)).toBe(true)
              states.length = pos + 1
              states.push(map.data.slice())
              pos++
            } else {
              expect(firstDiff(map.data, states[pos])).toBe(-1)
            }
          }
        } else if (r < 0.5) {
          recordOneShot(floodFill(map, { seed: point() }, { label: label(), onlyUncertain: rand() < 0.5 }))
        } else if (r < 0.6) {
          const points = Array.from({ length: 3 + Math.floor(rand() * 6) }, point)
          recordOneShot(fillPolygon(map, { points }, { label: label(), onlyUncertain: rand() < 0.5 }))
        } else if (r < 0.63) {
          recordOneShot(resolveUncertain(map, { label: rand() < 0.5 ? 0 : 1 }))
        } else if (r < 0.85) {
          const before = map.data.slice()
          const rect = history.undo(map)
          if (rect) {
            pos--
            expect(firstDiff(map.data, states[pos])).toBe(-1)
            expect(diffInside(map, before, map.data, rect)).toBe(true)
          } else {
            expect(firstDiff(map.data, before)).toBe(-1)
          }
        } else {
          const before = map.data.slice()
          const rect = history.redo(map)
          if (rect) {
            pos++
            expect(firstDiff(map.data, states[pos])).toBe(-1)
            expect(diffInside(map, before, map.data, rect)).toBe(true)
          } else {
            expect(pos).toBe(states.length - 1)
          }
        }
        expect(allLabels(map.data)).toBe(true)
        expect(history.canUndo).toBe(history.undoDepth > 0)
      }
      // All the way back (as far as the budget kept), then all the way forward.
      const reachable = pos - history.undoDepth
      while (history.undo(map)) pos--
      expect(pos).toBe(reachable)
      expect(firstDiff(map.data, states[pos])).toBe(-1)
      if (history.maxBytes > 1e6) expect(pos).toBe(0)
      while (history.redo(map)) pos++
      expect(pos).toBe(states.length - 1)
      expect(firstDiff(map.data, states[pos])).toBe(-1)
    }
    expect(actions).toBe(120 * 40)
  })
})
