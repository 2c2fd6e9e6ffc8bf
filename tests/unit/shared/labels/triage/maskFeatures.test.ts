import { describe, expect, it } from 'vitest'
import { analyzeMaskWithRuns } from '../../../../../shared/labels/analysis'
import { scoreMaskRuns } from '../../../../../shared/labels/triage/maskFeatures'
import { TRIAGE_MODEL } from '../../../../../shared/labels/triage/model'
import { scoreMask } from '../../../../../shared/labels/triage/score'
import { clutteredMap, discMap } from './fixtures'

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
