import { describe, expect, it } from 'vitest'
import { precisionAtTop, rocAuc } from '../../../../bench/triage/metrics'

describe('rocAuc (Mann–Whitney)', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 for all ties', () => {
    expect(rocAuc([3, 4], [1, 2])).toBe(1)
    expect(rocAuc([1, 2], [3, 4])).toBe(0)
    expect(rocAuc([1, 1], [1, 1, 1])).toBe(0.5)
  })

  it('counts ties as one half', () => {
    // Pairs (p, n): (2,1) win, (2,2) tie, (2,3) loss, (4,*) three wins → (4 + 0.5) / 6.
    expect(rocAuc([2, 4], [1, 2, 3])).toBeCloseTo(4.5 / 6, 12)
  })

  it('is NaN without positives or negatives', () => {
    expect(rocAuc([], [1])).toBeNaN()
    expect(rocAuc([1], [])).toBeNaN()
  })
})

describe('precisionAtTop', () => {
  it('is the share of positives among the top fraction', () => {
    const items = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0].map((score, i) => ({
      score,
      positive: i % 2 === 0,
    }))
    expect(precisionAtTop(items, 0.2)).toBe(0.5)
    expect(precisionAtTop(items, 0.1)).toBe(1)
  })

  it('breaks ties at the cut against the positives', () => {
    const items = [
      { score: 1, positive: true },
      { score: 1, positive: false },
    ]
    expect(precisionAtTop(items, 0.5)).toBe(0)
  })
})
