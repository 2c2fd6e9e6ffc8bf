import { describe, expect, it } from 'vitest'
import { analyzeMaskWithRuns } from '../../../../../shared/labels/analysis'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { lesionRegion, maskMeasures } from '../../../../../shared/labels/triage/features'
import { reduceToGrid } from '../../../../../shared/labels/triage/grid'
import { maskOnlyMeasures, scoreMaskRuns } from '../../../../../shared/labels/triage/maskFeatures'
import { TRIAGE_MODEL } from '../../../../../shared/labels/triage/model'
import { scoreMask } from '../../../../../shared/labels/triage/score'
import { discMap } from './fixtures'

/**
 * Weak maps with what the mask-only measures look at: a lesion disc with its band, stray blobs of
 * lesion and uncertain, a hole, lesion along the frame, thin strokes (deterministic from `seed`).
 */
function clutteredMap(seed: number): LabelMap {
  let s = seed * 2654435761
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24)
  const blobs = Array.from({ length: Math.floor(rnd() * 6) }, () => ({
    x: rnd() * 120,
    y: rnd() * 90,
    r: 1 + rnd() * 8,
    v: rnd() < 0.6 ? 1 : rnd() < 0.5 ? 255 : 0,
  }))
  const stroke = rnd() < 0.5 ? Math.floor(rnd() * 90) : -1
  const frameSide = rnd() < 0.4
  const cx = 30 + rnd() * 60
  const cy = 25 + rnd() * 40
  const r = 4 + rnd() * 30
  const hole = rnd() < 0.5 ? r / 3 : 0
  return discMap({
    cx,
    cy,
    r,
    band: 1 + rnd() * 5,
    extra: (x, y) => {
      if (Math.hypot(x - cx, y - cy) < hole) return 0
      for (const b of blobs) if (Math.hypot(x - b.x, y - b.y) < b.r) return b.v
      if (y === stroke || y === stroke + 1) return 1
      if (frameSide && x < 6 && y > 30) return 1
      return null
    },
  })
}

describe('maskOnlyMeasures', () => {
  it('equals features.ts lesionRegion + maskMeasures on the same grid (80 cluttered maps, 3 grids)', () => {
    let withHoles = 0
    let withBorder = 0
    let thin = 0
    for (let seed = 1; seed <= 80; seed++) {
      const map = clutteredMap(seed)
      for (const [w, h] of [
        [120, 90],
        [32, 24],
        [40, 30],
      ]) {
        const grid = reduceToGrid(map, w, h)
        const region = lesionRegion(grid)
        const want = maskMeasures(grid, region)
        const got = maskOnlyMeasures(grid)
        // Typed arrays compared as bytes (toEqual walks them element by element, slowly).
        expect(Buffer.from(got.region.inside).equals(Buffer.from(region.inside))).toBe(true)
        expect(got.region.list).toEqual(region.components.list)
        expect(got.region.area).toBe(region.area)
        expect(got.mask, `seed ${seed}, ${w}×${h}`).toEqual(want)
        if (want.holeShare > 0) withHoles++
        if (want.regions.border) withBorder++
        if (want.thinLesion > 0 && want.thinLesion < 1) thin++
      }
    }
    // The maps exercise every branch compared above.
    expect(withHoles).toBeGreaterThan(10)
    expect(withBorder).toBeGreaterThan(10)
    expect(thin).toBeGreaterThan(10)
  })

  it('equals them where uncertain covers most of the map (the ring search gives way to distance transforms)', () => {
    // Every uncertain cell is tens of cells from either side: the rings read far more than the
    // budget (8 reads per cell) after a dozen cells, so the rest are decided by the transforms.
    for (let seed = 1; seed <= 5; seed++) {
      const map = discMap({
        extra: (x, y) => {
          if (Math.abs(x - 10 * seed) < 3 && Math.abs(y - 10) < 3) return 1
          if (Math.abs(x - 100) < 3 && Math.abs(y - 10 * seed) < 3) return 0
          if ((x * 7 + y * 13 + seed) % 97 === 0) return (x + y) % 2 ? 1 : 0
          return 255
        },
      })
      const grid = reduceToGrid(map, 120, 90)
      const region = lesionRegion(grid)
      const got = maskOnlyMeasures(grid)
      expect(Buffer.from(got.region.inside).equals(Buffer.from(region.inside))).toBe(true)
      expect(got.mask).toEqual(maskMeasures(grid, region))
    }
  })

  it('handles maps of one label only', () => {
    for (const v of [0, 1, 255]) {
      const map = { width: 40, height: 30, data: new Uint8Array(1200).fill(v) }
      const grid = reduceToGrid(map, 20, 15)
      const region = lesionRegion(grid)
      expect(maskOnlyMeasures(grid).mask).toEqual(maskMeasures(grid, region))
    }
  })
})

describe('scoreMaskRuns', () => {
  it('gives scoreMask’s result on the same grid, from the runs the scan already has', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const map = clutteredMap(seed)
      const runs = analyzeMaskWithRuns(map).runs
      // 120×90 → 32×24: cells under 8 pixels, so scoreMask's reduction reads every pixel too.
      expect(scoreMaskRuns(runs, 32)).toEqual(scoreMask(map, {}, { ...TRIAGE_MODEL, gridSide: 32 }))
    }
  })

  it('finds a stray lesion blob and reports where, in mask pixels', () => {
    const map = discMap({ extra: (x, y) => (x > 100 && x < 112 && y > 70 && y < 82 ? 1 : null) })
    const clean = scoreMaskRuns(analyzeMaskWithRuns(discMap()).runs, 32)
    const r = scoreMaskRuns(analyzeMaskWithRuns(map).runs, 32)
    expect(r.score).toBeGreaterThan(clean.score)
    const reason = r.reasons.find((x) => x.code === 'many-components')
    expect(reason?.region).toBeDefined()
    const { x, y, w, h } = reason!.region!
    expect(x).toBeLessThanOrEqual(101)
    expect(x + w).toBeGreaterThanOrEqual(111)
    expect(y).toBeLessThanOrEqual(71)
    expect(y + h).toBeGreaterThanOrEqual(81)
  })
})
