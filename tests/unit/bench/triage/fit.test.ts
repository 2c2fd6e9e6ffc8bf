import { describe, expect, it } from 'vitest'
import {
  crossValidate,
  fitModel,
  listedReasons,
  PAIR_HEADS,
  REASON_LISTED_MAX,
} from '../../../../bench/triage/fit'
import { rocAuc } from '../../../../bench/triage/metrics'
import type { Sample } from '../../../../bench/triage/samples'
import { CORRUPTIONS, rngFrom } from '../../../../bench/triage/weakMaps'
import { EVIDENCE } from '../../../../shared/labels/triage/score'

/**
 * Generated samples: three evidences are noise, the rest nothing, except that dilated maps show a
 * flat ring contrast (ringFlatNear) and eroded ones a lesion-coloured outer ring (ringOuterLesion)
 * beyond any right map's.
 */
const NOISY = ['bandLow', 'lesionLarge', 'uncertainShare']

function samples(): Sample[] {
  const rng = rngFrom(7)
  const out: Sample[] = []
  for (let image = 0; image < 16; image++) {
    const kinds: Array<Sample['kind']> = [
      ...Array<'clean'>(12).fill('clean'),
      'dilate',
      'dilate',
      'erode',
      'erode',
    ]
    for (const kind of kinds) {
      const evidence: Record<string, number> = {}
      for (const e of EVIDENCE) evidence[e.name] = NOISY.includes(e.name) ? rng() : 0
      if (kind === 'dilate') evidence.ringFlatNear = 1 + 0.5 * rng()
      if (kind === 'erode') evidence.ringOuterLesion = 1 + 0.5 * rng()
      out.push({ image, kind, evidence, uncertainFraction: rng(), raw: {} })
    }
  }
  return out
}

describe('fitting the triage model (bench/triage/fit.ts)', () => {
  it('has one head per corruption kind, each on measures the score knows', () => {
    expect(Object.keys(PAIR_HEADS).sort()).toEqual([...CORRUPTIONS].sort())
    const known = new Set(EVIDENCE.map((e) => e.name))
    for (const head of Object.values(PAIR_HEADS))
      for (const name of head.evidence) expect(known).toContain(name)
    // The dilation head sees its own few measures, the ring ones among them.
    expect(PAIR_HEADS.dilate.evidence.length).toBeLessThan(EVIDENCE.length / 2)
    expect(PAIR_HEADS.dilate.evidence).toContain('ringFlatNear')
  })

  it('fits a head only for the kinds present, on the measure that separates each', () => {
    const model = fitModel(samples(), 256)
    expect(Object.keys(model.pairHeads ?? {}).sort()).toEqual(['dilate', 'erode'])
    const dilate = model.pairHeads?.dilate
    const erode = model.pairHeads?.erode
    expect(Object.keys(dilate?.weights ?? {}).every((n) => PAIR_HEADS.dilate.evidence.includes(n))).toBe(true)
    const top = (w: Record<string, number> = {}): string =>
      Object.entries(w).sort((a, b) => b[1] - a[1])[0][0]
    expect(top(dilate?.weights)).toBe('ringFlatNear')
    expect(top(erode?.weights)).toBe('ringOuterLesion')
  })

  it('ranks both kinds above right maps on held-out folds', () => {
    const s = samples()
    const cv = crossValidate(s, 4, 256)
    const neg = s.flatMap((x, i) => (x.kind === 'clean' ? [cv.pair[i]] : []))
    for (const kind of ['dilate', 'erode']) {
      const pos = s.flatMap((x, i) => (x.kind === kind ? [cv.pair[i]] : []))
      expect(rocAuc(pos, neg)).toBeGreaterThan(0.9)
    }
  })
})

describe('the reasons listed (fit.ts fitReasonRamps)', () => {
  /**
   * Right maps whose every misaligned measure is independent noise, weak and band-free alike: with
   * each measure's ramp from its own 90th percentile, the reason would be listed on most of them
   * (1 − 0.9^27); dilated maps are far out on one measure.
   */
  function noisy(): Sample[] {
    const rng = rngFrom(11)
    const misaligned = EVIDENCE.filter((e) => e.reason === 'misaligned').map((e) => e.name)
    const out: Sample[] = []
    for (let image = 0; image < 12; image++) {
      for (let k = 0; k < 60; k++) {
        const kind = k < 50 ? 'clean' : 'dilate'
        const evidence: Record<string, number> = {}
        for (const e of EVIDENCE) evidence[e.name] = misaligned.includes(e.name) ? rng() : 0
        if (kind === 'dilate') evidence.ringFlatNear = 2
        const s: Sample = { image, kind, evidence, uncertainFraction: 0, raw: {} }
        if (k % 2 === 1) s.form = 'resolved'
        out.push(s)
      }
    }
    return out
  }

  it('lists a reason of many measures on at most REASON_LISTED_MAX of the right maps, each form, and still on the wrong ones', () => {
    const s = noisy()
    const model = fitModel(s, 256)
    for (const bandFree of [false, true]) {
      const clean = s.filter((x) => x.kind === 'clean' && (x.form !== undefined) === bandFree)
      const listed = clean.filter((x) => listedReasons(x.evidence, model).includes('misaligned')).length
      expect(listed / clean.length).toBeLessThanOrEqual(REASON_LISTED_MAX)
      expect(listed).toBeGreaterThan(0)
    }
    for (const x of s.filter((x) => x.kind === 'dilate'))
      expect(listedReasons(x.evidence, model)).toContain('misaligned')
  })
})
