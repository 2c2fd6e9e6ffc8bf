import { describe, expect, it } from 'vitest'
import {
  ABINS,
  BINS,
  PROFILE_FEATURES,
  SECTORS,
  bandMask,
  fitRidge,
  fitTrees,
  gateNarrow,
  predictSectors,
  predictTrees,
  profileCase,
  rightWith,
} from '../../../../bench/assist/sectorProfile'
import type { ProfileCase } from '../../../../bench/assist/sectorProfile'
import type { DevCase } from '../../../../bench/assist/realEval'
import { signedDistance } from '../../../../bench/assist/weakMaps'
import { mulberry32 } from '../../../../electron/services/demo/prng'
import { resolveNearestLabel } from '../../../../shared/labels/assist/baselines'
import { evaluate } from '../../../../shared/labels/assist/evaluate'
import { ellipseTruth } from '../../../support/datasetFixtures'

/**
 * An ellipse lesion, dark on light skin with the colour step exactly at the true edge, and a band
 * from 6 px outside to 2 px inside it (the edge at t = 6/8 = 0.75: a band leaning out), plus a
 * stray uncertain disc deep inside the lesion.
 */
function leaningCase(inside = 2, outside = 6): DevCase {
  const truth = ellipseTruth()
  const { width: W, height: H } = truth
  const sd = signedDistance(truth)
  const data = new Uint8Array(W * H)
  for (let i = 0; i < W * H; i++) data[i] = sd[i] >= inside ? 1 : sd[i] <= -outside ? 0 : 255
  for (let y = 67; y <= 73; y++)
    for (let x = 92; x <= 98; x++) if ((x - 95) ** 2 + (y - 70) ** 2 <= 9) data[y * W + x] = 255
  const rgb = new Uint8Array(W * H * 3)
  for (let i = 0; i < W * H; i++) rgb.set(truth.data[i] === 1 ? [90, 50, 40] : [220, 170, 150], 3 * i)
  return {
    id: 'sp',
    family: 'lean-out',
    image: { width: W, height: H, channels: 3, data: rgb },
    truth,
    map: { width: W, height: H, data },
  }
}

/** 30 cases of random sector features whose oracle level is `level(features)` (no band pixels). */
function syntheticRows(level: (f: Float32Array) => number): ProfileCase[] {
  const rng = mulberry32(7)
  const cases: ProfileCase[] = []
  for (let k = 0; k < 30; k++) {
    const sectorFeats = Float32Array.from({ length: SECTORS * PROFILE_FEATURES }, () => 2 * rng() - 1)
    const sectorOracle = new Float32Array(SECTORS)
    for (let s = 0; s < SECTORS; s++) sectorOracle[s] = level(sectorFeats.subarray(s * PROFILE_FEATURES))
    cases.push({
      id: `c${k}`,
      family: 'centred',
      fold: 0,
      pos: new Float32Array(0),
      t: new Float32Array(0),
      y: new Uint8Array(0),
      nearestRight: new Uint8Array(0),
      otherUncertain: 0,
      otherRight: 0,
      sectorFeats,
      imageFeats: new Float32Array(PROFILE_FEATURES),
      sectorN: new Int32Array(SECTORS).fill(100),
      sectorOracle,
    })
  }
  return cases
}

describe('sector colour profiles of the band (sectorProfile experiment)', () => {
  it('keeps stray uncertain components out of the band', () => {
    const c = leaningCase()
    const band = bandMask(c.map.width, c.map.height, c.map.data)
    const W = c.map.width
    expect(band[70 * W + 95]).toBe(0) // the stray disc
    expect(c.map.data[70 * W + 95]).toBe(255)
    let bandCount = 0
    for (let i = 0; i < band.length; i++) {
      if (band[i]) {
        bandCount++
        expect(c.map.data[i]).toBe(255)
      }
    }
    expect(bandCount).toBeGreaterThan(500)
  })

  it('scores α 0 exactly as the nearest label and finds the edge at t ≈ 0.75 in every sector', () => {
    const c = leaningCase()
    const p = profileCase(c, 0)
    const nearest = evaluate(resolveNearestLabel(c.map), c.truth, c.map)
    expect(p.t.length + p.otherUncertain).toBe(nearest.uncertain)
    expect(p.otherUncertain).toBeGreaterThanOrEqual(25)
    expect(rightWith(p, new Float64Array(SECTORS), 0)).toBe(nearest.correct)
    for (let s = 0; s < SECTORS; s++) {
      expect(p.sectorN[s]).toBeGreaterThan(0)
      expect(Math.abs(p.sectorOracle[s] - 0.75)).toBeLessThan(0.12)
      const f = p.sectorFeats.subarray(s * PROFILE_FEATURES, (s + 1) * PROFILE_FEATURES)
      // The relative profile's half-way crossing and the absolute profile's, both in t.
      expect(Math.abs(f[BINS + 1] - 0.75)).toBeLessThan(0.2)
      expect(Math.abs(f[BINS + 6 + ABINS] - 0.75)).toBeLessThan(0.2)
      // Skin at 0, lesion at 1 on the sector's own axis.
      expect(f[0]).toBeCloseTo(0, 6)
      expect(f[BINS - 1]).toBeCloseTo(1, 6)
    }
    // At the sectors' oracle levels the band is (almost) all right; the nearest label gets a third wrong.
    const oracle = rightWith(p, Float64Array.from(p.sectorOracle), 1)
    expect(oracle).toBeGreaterThan(nearest.correct)
    expect(oracle - p.otherRight).toBeGreaterThan(0.95 * p.t.length)
  })

  it('ridge regression recovers a linear level from the sector features; a huge λ gives the mean', () => {
    const cases = syntheticRows((f) => 0.5 + 0.2 * f[3] - 0.1 * f[BINS + 2])
    const model = fitRidge(cases.slice(0, 20), 'sector', 1e-3)
    for (const c of cases.slice(20)) {
      const pred = predictSectors(model, c)
      for (let s = 0; s < SECTORS; s++) expect(pred[s]).toBeCloseTo(c.sectorOracle[s], 3)
    }
    const flat = predictSectors(fitRidge(cases.slice(0, 20), 'sector', 1e9), cases[25])
    for (const v of flat) expect(v).toBeCloseTo(0.5, 1)
    // Image features that never vary: one level for all sectors.
    const img = predictSectors(fitRidge(cases.slice(0, 20), 'image', 1), cases[25])
    for (const v of img) expect(v).toBeCloseTo(img[0], 9)
  })

  it('boosted trees learn a step in one feature that a line cannot', () => {
    const cases = syntheticRows((f) => (f[5] > 0.2 ? 0.8 : 0.3))
    const model = fitTrees(cases.slice(0, 20), 'sector', 150)
    let err = 0
    let n = 0
    for (const c of cases.slice(20)) {
      const pred = predictTrees(model, c)
      for (let s = 0; s < SECTORS; s++, n++) err += Math.abs(pred[s] - c.sectorOracle[s])
    }
    expect(err / n).toBeLessThan(0.05)
  })

  it('gives sectors narrower than the gate the nearest label, ties of a 1-px band included', () => {
    const c = profileCase(leaningCase(), 0)
    const levels = new Float64Array(SECTORS).fill(0.8)
    expect([...gateNarrow(c, levels, 0)]).toEqual([...levels])
    expect([...gateNarrow(c, levels, 100)]).toEqual(new Array(SECTORS).fill(0.5))
    // A band one pixel wide just outside the lesion: t = 0.5 nearly everywhere (ties).
    const thin = leaningCase(0.5, 1)
    const p = profileCase(thin, 0)
    const nearest = evaluate(resolveNearestLabel(thin.map), thin.truth, thin.map)
    let ties = 0
    for (const t of p.t) if (t === 0.5) ties++
    expect(ties).toBeGreaterThan(0.3 * p.t.length)
    const gated = gateNarrow(p, new Float64Array(SECTORS).fill(0.3), 3)
    expect(rightWith(p, gated, 1)).toBe(nearest.correct)
    expect(rightWith(p, new Float64Array(SECTORS).fill(0.3), 1)).toBe(p.otherRight) // all lesion: all wrong
  })
})
