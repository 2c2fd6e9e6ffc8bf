import { describe, expect, it } from 'vitest'
import { LEVELS, resolveLevelOracle } from '../../../../bench/assist/levelOracle'
import { edgeProfile } from '../../../../bench/assist/edgeProfile'
import { makeWeakMap, pairSeed, signedDistance } from '../../../../bench/assist/weakMaps'
import { resolveNearestLabel } from '../../../../shared/labels/assist/baselines'
import { evaluate } from '../../../../shared/labels/assist/evaluate'
import type { LabelMap } from '../../../../shared/labels/codes'
import { ellipseTruth } from '../../../support/datasetFixtures'

const U = 255

describe('per-stretch level oracle', () => {
  const truth = ellipseTruth()
  const sd = signedDistance(truth)

  it('keeps certain pixels, gives 0 or 1 to every uncertain one', () => {
    const { map } = makeWeakMap(truth, 'wide', pairSeed('o', 'wide', 1), 1, sd)
    const out = resolveLevelOracle(map, truth, 20)
    for (let i = 0; i < out.length; i++) {
      if (map.data[i] === U) expect(out[i] === 0 || out[i] === 1).toBe(true)
      else expect(out[i]).toBe(map.data[i])
    }
  })

  it('finds the level of a band leaning into the lesion, where the nearest label fails', () => {
    const { map } = makeWeakMap(truth, 'lean-in', pairSeed('o', 'lean-in', 2), 1, sd)
    const nearest = evaluate(resolveNearestLabel(map), truth, map).accuracy
    const perImage = evaluate(resolveLevelOracle(map, truth, 0), truth, map).accuracy
    const perStretch = evaluate(resolveLevelOracle(map, truth, 20), truth, map).accuracy
    expect(nearest).toBeLessThan(0.9)
    expect(perImage).toBeGreaterThan(0.95)
    expect(perStretch).toBeGreaterThanOrEqual(perImage - 1e-9)
  })

  it('resolves to the one label present when a side is missing', () => {
    const map: LabelMap = { width: 4, height: 1, data: Uint8Array.from([1, U, U, 1]) }
    expect(Array.from(resolveLevelOracle(map, { ...map, data: new Uint8Array(4) }, 2))).toEqual([1, 1, 1, 1])
    expect(LEVELS[0]).toBe(0.05)
    expect(LEVELS[LEVELS.length - 1]).toBe(0.95)
  })
})

describe('colour profile across the true edge', () => {
  it('locates a linear ramp from skin to core', () => {
    // Columns: skin (x < 100) grey 200, a ramp over x 100..120 down to 50, core beyond; edge at x = 100.
    const W = 300
    const H = 10
    const truth = new Uint8Array(W * H)
    const rgb = new Uint8Array(3 * W * H)
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = y * W + x
        truth[i] = x >= 100 ? 1 : 0
        const v = x < 100 ? 200 : x < 120 ? 200 - (150 * (x - 100)) / 20 : 50
        rgb.fill(Math.round(v), 3 * i, 3 * i + 3)
      }
    }
    const e = edgeProfile('ramp', rgb, signedDistance({ width: W, height: H, data: truth }))
    expect(e.profile[30 - 5]).toBeCloseTo(0, 2)
    // d counts from the first lesion column (d ≈ x − 99): 20 % at x ≈ 104, 80 % at x ≈ 116.
    expect(e.rise20).toBeGreaterThanOrEqual(4)
    expect(e.rise20).toBeLessThanOrEqual(7)
    expect(e.rise80).toBeGreaterThanOrEqual(16)
    expect(e.rise80).toBeLessThanOrEqual(19)
    expect(e.rise80 - e.rise20).toBeGreaterThanOrEqual(11)
    expect(e.rise80 - e.rise20).toBeLessThanOrEqual(13)
  })
})
