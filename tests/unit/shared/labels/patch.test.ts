import { describe, expect, it } from 'vitest'
import {
  applyPatch,
  clipRect,
  countTransitions,
  expandRect,
  mapRect,
  patchBytes,
  PatchBuilder,
  patchPixels,
  unionRect,
} from '../../../../shared/labels/patch'
import { drawMap, parseMap, pic } from './ascii'

describe('patch', () => {
  it('applies after on redo and before on undo, touching only its runs', () => {
    const map = parseMap(`
      ?????
      ?????
      ?????`)
    const b = new PatchBuilder(5, 3)
    let off = b.add(1, 0, 2)
    b.before.set([255, 255], off)
    b.after.set([1, 1], off)
    off = b.add(3, 0, 1) // touches the previous run: merged into it
    b.before[off] = 255
    b.after[off] = 0
    off = b.add(0, 2, 1)
    b.before[off] = 255
    b.after[off] = 1
    const patch = b.finish()!
    expect([...patch.runs]).toEqual([1, 3, 10, 1])
    expect(patch.rect).toEqual({ x: 0, y: 0, width: 4, height: 3 })
    expect(patchPixels(patch)).toBe(4)
    expect(patchBytes(patch)).toBe(16 + 4 + 4)
    expect(applyPatch(map, patch, 'redo')).toEqual(patch.rect)
    expect(drawMap(map)).toBe(
      pic(`
        ?##.?
        ?????
        #????`),
    )
    applyPatch(map, patch, 'undo')
    expect(map.data.every((v) => v === 255)).toBe(true)
  })

  it('copies long runs the same as short ones', () => {
    const map = { width: 100, height: 2, data: new Uint8Array(200).fill(255) }
    const b = new PatchBuilder(100, 2)
    const off = b.add(3, 1, 90)
    b.before.fill(255, off, off + 90)
    for (let i = 0; i < 90; i++) b.after[off + i] = i % 2
    const patch = b.finish()!
    applyPatch(map, patch, 'redo')
    for (let i = 0; i < 200; i++) expect(map.data[i]).toBe(i >= 103 && i < 193 ? (i - 103) % 2 : 255)
  })

  it('refuses a patch made for another map size and runs out of order', () => {
    const b = new PatchBuilder(4, 4)
    b.add(3, 3, 1)
    const patch = b.finish()!
    expect(() => applyPatch({ width: 5, height: 4, data: new Uint8Array(20) }, patch, 'redo')).toThrow(
      RangeError,
    )
    expect(() => applyPatch({ width: 4, height: 3, data: new Uint8Array(12) }, patch, 'redo')).toThrow(
      RangeError,
    )
    const c = new PatchBuilder(4, 4)
    c.add(2, 1, 1)
    expect(() => c.add(0, 1, 1)).toThrow(RangeError)
    expect(() => c.add(3, 1, 2)).toThrow(RangeError) // crosses the row
    expect(() => c.add(0, 4, 1)).toThrow(RangeError)
    expect(new PatchBuilder(4, 4).finish()).toBeNull()
  })

  it('grows its buffers past the initial capacity', () => {
    const b = new PatchBuilder(1000, 1000, 4)
    for (let y = 0; y < 1000; y += 3) {
      const off = b.add(0, y, 1000)
      b.before.fill(255, off, off + 1000)
      b.after.fill(1, off, off + 1000)
    }
    const p = b.finish()!
    expect(p.before.length).toBe(334 * 1000)
    expect(p.runs.length).toBe(334 * 2)
    expect(p.before.every((v) => v === 255) && p.after.every((v) => v === 1)).toBe(true)
  })

  it('counts transitions for the audit trail', () => {
    const before = Uint8Array.from([255, 255, 255, 0, 1, 1, 255, 7])
    const after = Uint8Array.from([1, 1, 0, 0, 0, 255, 1, 1])
    expect(countTransitions(before, after)).toEqual({
      '255→1': 3,
      '255→0': 1,
      '1→0': 1,
      '1→255': 1,
      '7→1': 1,
    })
    expect(countTransitions(new Uint8Array(0), new Uint8Array(0))).toEqual({})
    expect(() => countTransitions(new Uint8Array(1), new Uint8Array(2))).toThrow(RangeError)
  })

  it('unions, clips and expands rectangles', () => {
    const a = { x: 1, y: 2, width: 3, height: 4 }
    const b = { x: 5, y: 0, width: 2, height: 1 }
    expect(unionRect(a, b)).toEqual({ x: 1, y: 0, width: 6, height: 6 })
    expect(unionRect(null, b)).toEqual(b)
    expect(unionRect(a, { x: 0, y: 0, width: 0, height: 9 })).toEqual(a)
    expect(unionRect(null, null)).toBeNull()
    expect(clipRect({ x: -2, y: 3, width: 10, height: 10 }, mapRect({ width: 5, height: 6 }))).toEqual({
      x: 0,
      y: 3,
      width: 5,
      height: 3,
    })
    expect(clipRect({ x: 5, y: 0, width: 1, height: 1 }, mapRect({ width: 5, height: 6 }))).toBeNull()
    expect(expandRect(a, 1)).toEqual({ x: 0, y: 1, width: 5, height: 6 })
  })
})
