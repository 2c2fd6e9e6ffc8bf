import { describe, expect, it } from 'vitest'
import {
  bandCase,
  estimateLevel,
  oracleRight,
  rightAtLevel,
  ruleGrid,
  ruleLevel,
} from '../../../../bench/assist/imageLevel'
import type { DevCase } from '../../../../bench/assist/realEval'
import { makeWeakMap, pairSeed, signedDistance } from '../../../../bench/assist/weakMaps'
import { resolveNearestLabel } from '../../../../shared/labels/assist/baselines'
import { evaluate } from '../../../../shared/labels/assist/evaluate'
import { ellipseTruth } from '../../../support/datasetFixtures'

/** n band cells spread evenly over t, lesion-coloured (u = 1) above `edge`, skin (u = 0) below. */
function stepBand(n: number, edge: number): { t: Float32Array; u: Float32Array } {
  const t = new Float32Array(n)
  const u = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    t[i] = (i + 0.5) / n
    u[i] = t[i] > edge ? 1 : 0
  }
  return { t, u }
}

describe('per-image band level from the colours', () => {
  it('finds where the colour steps across the band, whatever the evidence form', () => {
    for (const edge of [0.2, 0.5, 0.74]) {
      const { t, u } = stepBand(1000, edge)
      for (const form of ['linear', 'step'] as const) {
        expect(estimateLevel(t, u, { field: 'u', form, theta: 0.5, alpha: 1 })).toBeCloseTo(edge, 1)
      }
    }
  })

  it('moves the level with θ along a colour ramp, and shrinks it towards 0.5 by α', () => {
    // u rises linearly with t: the level where u crosses θ is t = θ.
    const n = 2000
    const t = Float32Array.from({ length: n }, (_, i) => (i + 0.5) / n)
    const band = { t, u: Float32Array.from(t), g: new Float32Array(n) }
    expect(ruleLevel(band, { field: 'u', form: 'linear', theta: 0.3, alpha: 1 })).toBeCloseTo(0.3, 1)
    expect(ruleLevel(band, { field: 'u', form: 'linear', theta: 0.7, alpha: 1 })).toBeCloseTo(0.7, 1)
    expect(ruleLevel(band, { field: 'u', form: 'linear', theta: 0.3, alpha: 0.5 })).toBeCloseTo(0.4, 1)
    expect(ruleLevel(band, { field: 'u', form: 'step', theta: 0.3, alpha: 0 })).toBe(0.5)
    expect(
      estimateLevel(new Float32Array(0), new Float32Array(0), {
        field: 'u',
        form: 'step',
        theta: 0.3,
        alpha: 1,
      }),
    ).toBe(0.5)
    // The grid holds the nearest label itself (α = 0).
    expect(ruleGrid().some((r) => r.alpha === 0)).toBe(true)
  })

  it('splits a weak map into band and other pixels; level 0.5 scores exactly as the nearest label', () => {
    const truth = ellipseTruth()
    const sd = signedDistance(truth)
    const W = truth.width
    const H = truth.height
    // Dark lesion on light skin, so that the colour positions are meaningful.
    const rgb = new Uint8Array(W * H * 3)
    for (let i = 0; i < W * H; i++) rgb.set(truth.data[i] === 1 ? [90, 50, 40] : [220, 170, 150], 3 * i)
    for (const family of ['lean-in', 'blobs', 'narrow'] as const) {
      const { map } = makeWeakMap(truth, family, pairSeed('il', family, 3), 1, sd)
      const c: DevCase = {
        id: 'il',
        family,
        image: { width: W, height: H, data: rgb, channels: 3 },
        truth,
        map,
      }
      const b = bandCase(c, 0)
      const nearest = evaluate(resolveNearestLabel(map), truth, map)
      expect(b.t.length).toBeGreaterThan(0)
      expect(b.t.length + b.otherUncertain).toBe(nearest.uncertain)
      expect(rightAtLevel(b, 0.5) / nearest.uncertain).toBeCloseTo(nearest.accuracy, 12)
      expect(oracleRight(b)).toBeGreaterThanOrEqual(rightAtLevel(b, 0.5))
      // The sharp colour edge sits on the true boundary: the colour level does better than the
      // nearest label where the band leans into the lesion.
      if (family === 'lean-in') {
        const level = ruleLevel(b, { field: 'g', form: 'step', theta: 0.5, alpha: 1 })
        expect(level).toBeLessThan(0.5)
        expect(rightAtLevel(b, level)).toBeGreaterThan(rightAtLevel(b, 0.5))
      }
    }
  })
})
