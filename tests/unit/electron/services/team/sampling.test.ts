import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sampleDraw, sampledForSecondReview } from '../../../../../electron/services/team/sampling'

const ids = (n: number) => Array.from({ length: n }, (_, i) => `ISIC_${String(i).padStart(7, '0')}`)

describe('blind second-review sampling (seeded draw per pair)', () => {
  it('samples a share ≈ F of many pairs, for several seeds and shares', () => {
    const all = ids(43_885)
    for (const seed of ['a1b2c3d4e5f6a7b8c9d0e1f2', 'team-2', '']) {
      for (const share of [0.05, 0.1, 0.5]) {
        const n = all.filter((id) => sampledForSecondReview(seed, id, share)).length
        // Binomial(43,885, F): 5 standard deviations either side.
        const sd = Math.sqrt(all.length * share * (1 - share))
        expect(Math.abs(n - all.length * share)).toBeLessThan(5 * sd)
      }
    }
  })

  it('is the hash of (seed, pair id): reproducible, independent of order, 0 → none, 1 → all', () => {
    const some = ids(2000)
    const seed = 'f00dfeedf00dfeedf00dfeed'
    // Computed here independently: SHA-256(seed ‖ NUL ‖ id), first 53 bits as a fraction.
    const expected = some.filter((id) => {
      const h = createHash('sha256').update(`${seed}\0${id}`).digest()
      return Number(h.readBigUInt64BE(0) >> 11n) / 2 ** 53 < 0.1
    })
    expect(some.filter((id) => sampledForSecondReview(seed, id, 0.1))).toEqual(expected)
    const reversed = [...some].reverse().filter((id) => sampledForSecondReview(seed, id, 0.1))
    expect(reversed.reverse()).toEqual(expected)
    expect(some.some((id) => sampledForSecondReview(seed, id, 0))).toBe(false)
    expect(some.every((id) => sampledForSecondReview(seed, id, 1))).toBe(true)
    for (const id of some.slice(0, 50)) {
      const u = sampleDraw(seed, id)
      expect(u).toBeGreaterThanOrEqual(0)
      expect(u).toBeLessThan(1)
    }
  })

  it('is not systematic: another seed samples another set, and no fixed stride', () => {
    const some = ids(5000)
    const a = new Set(some.filter((id) => sampledForSecondReview('seed-a', id, 0.1)))
    const b = some.filter((id) => sampledForSecondReview('seed-b', id, 0.1))
    // Two independent 10 % samples share ≈ 1 % of the pairs, not ≈ 10 %.
    const both = b.filter((id) => a.has(id)).length
    expect(both).toBeLessThan(some.length * 0.03)
    // The gaps between sampled positions vary (systematic sampling would give a constant 10).
    const pos = some.flatMap((id, i) => (a.has(id) ? [i] : []))
    const gaps = new Set(pos.slice(1).map((p, i) => p - pos[i]))
    expect(gaps.size).toBeGreaterThan(10)
  })
})
