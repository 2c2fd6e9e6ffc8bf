import { describe, expect, it } from 'vitest'
import { resolveAllTo, resolveNearestLabel } from '../../../../../shared/labels/assist/baselines'
import type { LabelMap } from '../../../../../shared/labels/codes'

const U = 255

function map(width: number, rows: number[][]): LabelMap {
  return { width, height: rows.length, data: Uint8Array.from(rows.flat()) }
}

describe('baselines', () => {
  const m = map(5, [
    [1, 1, U, 0, 0],
    [1, U, U, U, 0],
    [U, U, U, U, U],
  ])

  it('all → lesion and all → background touch only the uncertain pixels', () => {
    expect(Array.from(resolveAllTo(m, 1))).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1])
    expect(Array.from(resolveAllTo(m, 0))).toEqual([1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    expect(m.data[2]).toBe(U)
  })

  it('nearest label takes the label of the closest certain pixel', () => {
    const a = map(6, [[1, U, U, U, U, 0]])
    // x = 1, 2 are nearer the lesion at 0; x = 3, 4 nearer the background at 5.
    expect(Array.from(resolveNearestLabel(a))).toEqual([1, 1, 1, 0, 0, 0])
    const b = map(5, [
      [1, U, U, U, U],
      [U, U, U, U, U],
      [U, U, U, U, 0],
    ])
    // Squared distances to the lesion at (0,0) and the background at (4,2); (2,1) is a tie (5 = 5),
    // which goes to the smaller column: the lesion.
    expect(Array.from(resolveNearestLabel(b))).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0])
  })

  it('nearest label is exact in Euclidean distance, not city-block', () => {
    // (3,3) is at distance √18 ≈ 4.24 from the lesion at (0,0) and 4 from the background at (3,7).
    const W = 8
    const H = 8
    const data = new Uint8Array(W * H).fill(U)
    data[0] = 1
    data[7 * W + 3] = 0
    const out = resolveNearestLabel({ width: W, height: H, data })
    expect(out[3 * W + 3]).toBe(0)
    // (1,1): √2 from the lesion.
    expect(out[1 * W + 1]).toBe(1)
  })

  it('a map without certain pixels resolves to background', () => {
    const a = map(3, [[U, U, U]])
    expect(Array.from(resolveNearestLabel(a))).toEqual([0, 0, 0])
  })
})
