import { describe, expect, it } from 'vitest'
import { applyPatch } from '../../../../../shared/labels/patch'
import { resolveUncertain } from '../../../../../shared/labels/tools/resolve'
import { cloneMap, drawMap, filledMap, parseMap, pic } from '../ascii'

describe('resolve uncertain', () => {
  it('turns every 255 into the label as one patch over the bounding box of the 255s', () => {
    const map = parseMap(`
      ##....
      #?#?..
      ..??.#
      ......`)
    const patch = resolveUncertain(map, { label: 0 })!
    expect(patch.rect).toEqual({ x: 1, y: 1, width: 3, height: 2 })
    expect([...patch.runs]).toEqual([7, 1, 9, 1, 14, 2])
    expect([...patch.before]).toEqual([255, 255, 255, 255])
    expect([...patch.after]).toEqual([0, 0, 0, 0])
    const out = cloneMap(map)
    applyPatch(out, patch, 'redo')
    expect(drawMap(out)).toBe(
      pic(`
        ##....
        #.#...
        .....#
        ......`),
    )
  })

  it('handles runs at row ends and a map of only 255; null without any 255', () => {
    const map = filledMap(7, 3, 255)
    const patch = resolveUncertain(map, { label: 1 })!
    expect([...patch.runs]).toEqual([0, 7, 7, 7, 14, 7])
    expect(patch.rect).toEqual({ x: 0, y: 0, width: 7, height: 3 })
    expect(resolveUncertain(filledMap(7, 3, 1), { label: 1 })).toBeNull()
    expect(() => resolveUncertain(map, { label: 255 as never })).toThrow(RangeError)
  })

  it('works on a view into a larger buffer at an odd offset', () => {
    const buffer = new Uint8Array(3 + 40).fill(255)
    const data = buffer.subarray(3)
    data.fill(0, 5, 30)
    const patch = resolveUncertain({ width: 10, height: 4, data }, { label: 1 })!
    expect([...patch.runs]).toEqual([0, 5, 30, 10])
  })
})
