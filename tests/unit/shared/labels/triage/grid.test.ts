import { describe, expect, it } from 'vitest'
import { components } from '../../../../../shared/labels/triage/components'
import { gridSizeFor, reduceToGrid } from '../../../../../shared/labels/triage/grid'

describe('reduceToGrid', () => {
  it('counts each label per cell exactly when cells are small', () => {
    // 6×4 mask → 3×2 grid: 2×2 pixels per cell.
    // prettier-ignore
    const data = Uint8Array.from([
      1, 1,   0, 255,   0, 0,
      1, 0,   0, 255,   0, 0,
      255, 255, 1, 1,   1, 0,
      255, 0,   1, 1,   0, 0,
    ])
    const g = reduceToGrid({ width: 6, height: 4, data }, 3, 2)
    expect([...g.lesion]).toEqual([0.75, 0, 0, 0, 1, 0.25])
    expect([...g.uncertain]).toEqual([0, 0.5, 0, 0.75, 0, 0])
    // Majority: ≥ half lesion → 1, ≥ half background → 0, else uncertain.
    expect([...g.label]).toEqual([1, 0, 0, 255, 1, 0])
    expect(g.scaleX).toBe(2)
    expect(g.scaleY).toBe(2)
  })

  it('samples large cells and still gets the shares of a uniform region right', () => {
    const width = 400
    const height = 200
    const data = new Uint8Array(width * height)
    // Left half lesion, right half uncertain.
    for (let y = 0; y < height; y++)
      data.fill(1, y * width, y * width + 200).fill(255, y * width + 200, (y + 1) * width)
    const g = reduceToGrid({ width, height, data }, 10, 5)
    for (let i = 0; i < 50; i++) {
      const left = i % 10 < 5
      expect(g.lesion[i]).toBe(left ? 1 : 0)
      expect(g.uncertain[i]).toBe(left ? 0 : 1)
    }
  })

  it('refuses a grid larger than the mask', () => {
    expect(() => reduceToGrid({ width: 4, height: 4, data: new Uint8Array(16) }, 5, 4)).toThrow(RangeError)
  })

  it('sizes grids by the longer side, never above the mask', () => {
    expect(gridSizeFor(3008, 2000, 256)).toEqual({ width: 256, height: 170 })
    expect(gridSizeFor(1936, 2592, 256)).toEqual({ width: 191, height: 256 })
    expect(gridSizeFor(100, 50, 256)).toEqual({ width: 100, height: 50 })
  })
})

describe('components', () => {
  it('labels 8-connected components, largest first, with boxes and frame contact', () => {
    // prettier-ignore
    const inside = Uint8Array.from([
      1, 0, 0, 0, 0,
      0, 1, 0, 1, 1,
      0, 0, 0, 1, 1,
      0, 0, 0, 0, 0,
    ])
    const { id, list } = components(5, 4, inside)
    expect(list.map((c) => c.area)).toEqual([4, 2])
    expect(list[0]).toMatchObject({ x0: 3, y0: 1, x1: 4, y1: 2, borderCells: 2 })
    expect(list[1]).toMatchObject({ x0: 0, y0: 0, x1: 1, y1: 1, borderCells: 1 })
    expect(id[0]).toBe(1)
    expect(id[6]).toBe(1)
    expect(id[8]).toBe(0)
    expect(id[2]).toBe(-1)
  })
})
