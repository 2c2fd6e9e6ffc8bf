import { describe, expect, it } from 'vitest'
import { aggregate, evaluate, strayUncertain } from '../../../../../shared/labels/assist/evaluate'

const U = 255

function resolveAll(data: Uint8Array, to: number): Uint8Array {
  return data.map((v) => (v === U ? to : v))
}

describe('evaluate', () => {
  it('scores the uncertain pixels and the whole-mask Dice', () => {
    const weak = Uint8Array.from([1, U, U, U, 0, 0])
    const truth = Uint8Array.from([1, 1, 0, 1, 0, 1])
    const proposed = Uint8Array.from([1, 1, 1, 0, 0, 0])
    const s = evaluate(proposed, truth, weak)
    expect(s.uncertain).toBe(3)
    expect(s.correct).toBe(1)
    expect(s.accuracy).toBeCloseTo(1 / 3, 12)
    // |P| = 3, |T| = 4, |P∩T| = 2.
    expect(s.dice).toBeCloseTo(4 / 7, 12)
    // The weak map says 0 where the truth is 1 at index 5.
    expect(s.certainErrors).toBe(1)
  })

  it('counts a pixel left at 255 as wrong, and accepts LabelMaps', () => {
    const weak = { width: 2, height: 1, data: Uint8Array.from([U, U]) }
    const s = evaluate({ data: Uint8Array.from([U, 0]) }, { data: Uint8Array.from([0, 0]) }, weak)
    expect(s.correct).toBe(1)
    expect(s.dice).toBe(1)
  })

  it('is 1 when nothing is uncertain or both masks are empty', () => {
    const z = new Uint8Array(4)
    expect(evaluate(z, z, z)).toEqual({
      uncertain: 0,
      correct: 0,
      accuracy: 1,
      dice: 1,
      certainErrors: 0,
      strayUncertain: 0,
      strayCorrect: 0,
    })
  })

  it('rejects different sizes', () => {
    expect(() => evaluate(new Uint8Array(2), new Uint8Array(3), new Uint8Array(2))).toThrow(RangeError)
  })

  it('aggregates pooled and per-pair figures', () => {
    const a = {
      uncertain: 100,
      correct: 90,
      accuracy: 0.9,
      dice: 0.8,
      certainErrors: 0,
      strayUncertain: 10,
      strayCorrect: 5,
    }
    const b = {
      uncertain: 300,
      correct: 297,
      accuracy: 0.99,
      dice: 0.9,
      certainErrors: 2,
      strayUncertain: 0,
      strayCorrect: 0,
    }
    const g = aggregate([a, b])
    expect(g.pairs).toBe(2)
    expect(g.accuracy).toBeCloseTo(387 / 400, 12)
    expect(g.meanAccuracy).toBeCloseTo(0.945, 12)
    expect(g.minAccuracy).toBe(0.9)
    expect(g.meanDice).toBeCloseTo(0.85, 12)
    expect(g.minDice).toBe(0.8)
    expect(g.strayAccuracy).toBe(0.5)
  })

  it('finds the stray uncertain components: those touching no certain lesion pixel', () => {
    // Row 0: uncertain pixels next to the lesion (not stray); (3,1) and the pair (4,2)–(5,2) on the
    // skin are stray (they touch each other only diagonally: two components under 4-connectivity).
    const weak = {
      width: 6,
      height: 3,
      data: Uint8Array.from([1, U, U, 0, 0, 0, 0, 0, 0, U, 0, 0, 0, 0, 0, 0, U, U]),
    }
    expect(Array.from(strayUncertain(weak))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1])
    const truth = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0])
    const s = evaluate(resolveAll(weak.data, 0), truth, weak)
    expect([s.strayUncertain, s.strayCorrect]).toEqual([3, 2])
  })
})
