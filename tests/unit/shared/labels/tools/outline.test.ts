import { describe, expect, it } from 'vitest'
import { outlineDirtyRect, outlineMask } from '../../../../../shared/labels/tools/outline'
import { parseMap } from '../ascii'

function show(mask: Uint8Array, width: number): string {
  const rows: string[] = []
  for (let i = 0; i < mask.length; i += width)
    rows.push([...mask.subarray(i, i + width)].map((v) => (v ? 'o' : ' ')).join(''))
  return rows.join('\n')
}

describe('outline', () => {
  const map = parseMap(`
    ???????
    ?#####?
    ?#####?
    ?###..?
    ???????`)

  it('marks both sides of every boundary between different values, not the map edge', () => {
    expect(show(outlineMask(map), 7)).toBe([' ooooo ', 'ooooooo', 'oo  ooo', 'ooooooo', ' ooooo '].join('\n'))
    const flat = parseMap(`
      ???
      ???`)
    expect(outlineMask(flat).every((v) => v === 0)).toBe(true)
  })

  it('computes a sub-rectangle into a caller buffer and refuses rectangles outside the map', () => {
    const out = new Uint8Array(4)
    outlineMask(map, { x: 2, y: 1, width: 2, height: 2 }, out)
    expect([...out]).toEqual([1, 1, 0, 0])
    outlineMask(map, { x: 0, y: 0, width: 1, height: 1 }, out)
    expect(out[0]).toBe(0)
    expect(() => outlineMask(map, { x: 6, y: 0, width: 2, height: 1 })).toThrow(RangeError)
    expect(outlineDirtyRect({ x: 0, y: 2, width: 2, height: 2 }, map)).toEqual({
      x: 0,
      y: 1,
      width: 3,
      height: 4,
    })
  })
})
