import { describe, expect, it } from 'vitest'
import {
  calibrateHead,
  chooseHeadShifts,
  crossValidate,
  fitModel,
  listedReasons,
  PAIR_HEADS,
  REASON_LISTED_MAX,
  rescaleHead,
  SHIFT_POOLED_MIN,
} from '../../../../bench/triage/fit'
import { rocAuc } from '../../../../bench/triage/metrics'
import type { Sample } from '../../../../bench/triage/samples'
import { CORRUPTIONS, rngFrom } from '../../../../bench/triage/weakMaps'
import {
  EVIDENCE,
  headLogit,
  scoreEvidence,
  type TriageHead,
  type TriageModel,
} from '../../../../shared/labels/triage/score'

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

describe("the heads' shifts by maximin (fit.ts chooseHeadShifts, FitOptions.shiftHeads)", () => {
  /**
   * Two heads' held-out logits: head 0 tells eroded maps apart and is noise on the rest; head 1
   * tells dilated maps apart but sits 1.5 lower, so on right maps head 0's noise is the largest
   * logit and dilated maps rank among right ones until head 1 is raised against head 0.
   */
  function heads(): { samples: Sample[]; logits: Float64Array[] } {
    const rng = rngFrom(5)
    const samples: Sample[] = []
    const h0: number[] = []
    const h1: number[] = []
    for (let k = 0; k < 120; k++) {
      const kind = k < 60 ? 'clean' : k < 90 ? 'dilate' : 'erode'
      samples.push({ image: k % 8, kind, evidence: {}, uncertainFraction: 0, raw: {} })
      h0.push((kind === 'erode' ? 1.5 : 0) + rng())
      h1.push((kind === 'dilate' ? -0.7 : -1.5) + rng())
    }
    return { samples, logits: [Float64Array.from(h0), Float64Array.from(h1)] }
  }

  const aucOf = (samples: Sample[], logits: Float64Array[], shifts: number[], kind: string): number => {
    const score = samples.map((_, i) => Math.max(...logits.map((l, h) => l[i] + shifts[h])))
    const of = (k: string): number[] => score.filter((_, i) => samples[i].kind === k)
    return rocAuc(of(kind), of('clean'))
  }

  it('raises the head that lifts the worst kind, the pooled AUC kept over SHIFT_POOLED_MIN', () => {
    const { samples, logits } = heads()
    expect(aucOf(samples, logits, [0, 0], 'dilate')).toBeLessThan(0.7)
    const shifts = chooseHeadShifts(samples, logits)
    expect(shifts[1] - shifts[0]).toBeGreaterThanOrEqual(1)
    for (const kind of ['dilate', 'erode']) expect(aucOf(samples, logits, shifts, kind)).toBeGreaterThan(0.9)
    const score = samples.map((_, i) => Math.max(logits[0][i] + shifts[0], logits[1][i] + shifts[1]))
    const pooled = rocAuc(
      score.filter((_, i) => samples[i].kind !== 'clean'),
      score.filter((_, i) => samples[i].kind === 'clean'),
    )
    expect(pooled).toBeGreaterThanOrEqual(SHIFT_POOLED_MIN)
  })

  it('moves only the heads it searches', () => {
    const { samples, logits } = heads()
    expect(chooseHeadShifts(samples, logits, [1])[0]).toBe(0)
    expect(chooseHeadShifts(samples, logits, [1])[1]).toBeGreaterThanOrEqual(1)
    // Head 0 alone can lower itself against head 1 instead.
    expect(chooseHeadShifts(samples, logits, [0])[1]).toBe(0)
  })

  /**
   * Few images whose right maps spread over ringFlatNear and whose dilated maps overlap them there,
   * so that the shifts chosen differ from fold to fold.
   */
  function overlapping(): Sample[] {
    const rng = rngFrom(7)
    const out: Sample[] = []
    for (let image = 0; image < 8; image++) {
      for (const kind of [
        'clean',
        'clean',
        'clean',
        'clean',
        'clean',
        'clean',
        'dilate',
        'dilate',
        'erode',
        'erode',
      ]) {
        const evidence: Record<string, number> = {}
        for (const e of EVIDENCE) evidence[e.name] = NOISY.includes(e.name) ? rng() : 0
        evidence.ringFlatNear = kind === 'dilate' ? 0.5 + rng() : rng()
        if (kind === 'erode') evidence.ringOuterLesion = 1 + 0.5 * rng()
        out.push({ image, kind: kind as Sample['kind'], evidence, uncertainFraction: rng(), raw: {} })
      }
    }
    return out
  }

  it("chooses each held-out fold's shifts on its training folds only", () => {
    const s = overlapping()
    // Fold 0 turned upside down: its dilated maps look right and its right maps dilated.
    const changed = s.map((x) =>
      x.image % 4 === 0
        ? { ...x, evidence: { ...x.evidence, ringFlatNear: x.kind === 'dilate' ? 0 : 2 } }
        : x,
    )
    const a = crossValidate(s, 4, 256, { shiftHeads: 'all' })
    const b = crossValidate(changed, 4, 256, { shiftHeads: 'all' })
    expect(Object.keys(a.shifts[0]).length).toBeGreaterThan(0)
    expect(b.shifts[0]).toEqual(a.shifts[0])
    // Fold 0 is among the other folds' training folds: their choices see the change.
    expect([1, 2, 3].some((f) => JSON.stringify(b.shifts[f]) !== JSON.stringify(a.shifts[f]))).toBe(true)
  })
})

describe("the heads' calibration (fit.ts calibrateHead, rescaleHead, FitOptions.calibrateHeads)", () => {
  /** A normal deviate from two uniforms (Box–Muller). */
  const normal = (rng: () => number): number =>
    Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())

  /**
   * One head's held-out logits: right maps N(0, 1), dilated ones N(2, 1) (so the log-odds of
   * dilated against right, classes balanced, is exactly 2z − 2), eroded ones far off (not its kind).
   */
  function gaussian(): { samples: Sample[]; logits: number[] } {
    const rng = rngFrom(3)
    const samples: Sample[] = []
    const logits: number[] = []
    for (let k = 0; k < 6000; k++) {
      const kind = k < 3000 ? 'clean' : k < 5000 ? 'dilate' : 'erode'
      samples.push({ image: k % 8, kind, evidence: {}, uncertainFraction: 0, raw: {} })
      logits.push(kind === 'erode' ? 10 : (kind === 'dilate' ? 2 : 0) + normal(rng))
    }
    return { samples, logits }
  }

  it("maps a head onto its own kind's log-odds against right maps, whatever its scale", () => {
    const { samples, logits } = gaussian()
    const [scale, shift] = calibrateHead(samples, logits, ['dilate'])
    expect(scale).toBeCloseTo(2, 1)
    expect(shift).toBeCloseTo(-2, 1)
    // The same head three times as confident gets a third of the scale: the same calibrated logit.
    const [scale3, shift3] = calibrateHead(
      samples,
      logits.map((z) => 3 * z),
      ['dilate'],
    )
    expect(scale3 * 3).toBeCloseTo(scale, 1)
    expect(shift3).toBeCloseTo(shift, 1)
    // Wrong maps of other kinds are left out: the same as without them.
    const own = samples.flatMap((x, i) => (x.kind === 'erode' ? [] : [i]))
    expect(
      calibrateHead(
        own.map((i) => samples[i]),
        own.map((i) => logits[i]),
        ['dilate'],
      ),
    ).toEqual([scale, shift])
  })

  it('stays monotone: a head that ranks its kind below right maps gets scale 0, not a negative one', () => {
    const { samples, logits } = gaussian()
    const [scale] = calibrateHead(
      samples,
      logits.map((z) => -z),
      ['dilate'],
    )
    expect(scale).toBe(0)
    // Left out: non-finite logits (a head the inner fit lacks); nothing to fit on: identity.
    expect(
      calibrateHead(
        samples,
        logits.map(() => -Infinity),
        ['dilate'],
      ),
    ).toEqual([1, 0])
    expect(calibrateHead(samples, logits, ['hair'])).toEqual([1, 0])
  })

  it('folds the calibration into the head: the runtime logit is scale · z + shift, monotone in each head', () => {
    const rng = rngFrom(9)
    const ramps = Object.fromEntries(EVIDENCE.map((e) => [e.name, [0, 1] as const]))
    const model: TriageModel = {
      gridSide: 256,
      ramps,
      reasonRamps: {},
      pair: { bias: -1, weights: { ringFlatNear: 2 } },
      pairHeads: { dilate: { bias: -3, weights: { ringFlatNear: 1.5, ringEdgeDropLow: 4 } } },
      mask: { bias: -1, weights: {} },
    }
    const head: TriageHead = { bias: -3, weights: { ringFlatNear: 1.5, ringEdgeDropLow: 4 } }
    const scaled: TriageHead = { bias: head.bias, weights: { ...head.weights } }
    rescaleHead(scaled, 0.5, 0.25)
    expect(scaled).toEqual({ bias: -1.25, weights: { ringFlatNear: 0.75, ringEdgeDropLow: 2 } })
    for (let k = 0; k < 50; k++) {
      const evidence = { ringFlatNear: rng(), ringEdgeDropLow: rng() }
      expect(headLogit(evidence, model, scaled)).toBeCloseTo(0.5 * headLogit(evidence, model, head) + 0.25, 6)
    }
    // The score (σ of the largest logit) rises with either head's evidence, never falls.
    model.pairHeads = { dilate: scaled }
    let last = -1
    for (let v = 0; v <= 1.0001; v += 0.1) {
      const score = scoreEvidence({ ringFlatNear: 0.3, ringEdgeDropLow: v }, model, true)
      expect(score).toBeGreaterThanOrEqual(last)
      last = score
    }
    // A scale of 0 drops the head's weights: a constant logit.
    const flat: TriageHead = { bias: head.bias, weights: { ...head.weights } }
    rescaleHead(flat, 0, -2)
    expect(flat).toEqual({ bias: -2, weights: {} })
  })

  it('calibrates every head on the training folds only and still ranks both kinds held out', () => {
    const s = overlappingKinds()
    const cv = crossValidate(s, 4, 256, { calibrateHeads: true })
    for (const c of cv.calibration) {
      expect(Object.keys(c).sort()).toEqual(['dilate', 'erode', 'pair'])
      for (const [scale] of Object.values(c)) expect(scale).toBeGreaterThanOrEqual(0)
    }
    const neg = s.flatMap((x, i) => (x.kind === 'clean' ? [cv.pair[i]] : []))
    for (const kind of ['dilate', 'erode']) {
      const pos = s.flatMap((x, i) => (x.kind === kind ? [cv.pair[i]] : []))
      expect(rocAuc(pos, neg)).toBeGreaterThan(0.8)
    }
    // Fold 0 changed: fold 0's own calibration (from folds 1–3) stays, the others' move.
    const changed = s.map((x) =>
      x.image % 4 === 0
        ? { ...x, evidence: { ...x.evidence, ringFlatNear: x.kind === 'dilate' ? 0 : 2 } }
        : x,
    )
    const b = crossValidate(changed, 4, 256, { calibrateHeads: true })
    expect(b.calibration[0]).toEqual(cv.calibration[0])
    expect(
      [1, 2, 3].some((f) => JSON.stringify(b.calibration[f]) !== JSON.stringify(cv.calibration[f])),
    ).toBe(true)
    // Off by default: nothing calibrated.
    expect(crossValidate(s, 4, 256).calibration.every((c) => Object.keys(c).length === 0)).toBe(true)
  })

  /** As `overlapping` above: right and dilated maps overlap on ringFlatNear, eroded ones stand out. */
  function overlappingKinds(): Sample[] {
    const rng = rngFrom(7)
    const out: Sample[] = []
    for (let image = 0; image < 8; image++) {
      for (let k = 0; k < 10; k++) {
        const kind: Sample['kind'] = k < 6 ? 'clean' : k < 8 ? 'dilate' : 'erode'
        const evidence: Record<string, number> = {}
        for (const e of EVIDENCE) evidence[e.name] = NOISY.includes(e.name) ? rng() : 0
        evidence.ringFlatNear = kind === 'dilate' ? 0.5 + rng() : rng()
        if (kind === 'erode') evidence.ringOuterLesion = 1 + 0.5 * rng()
        out.push({ image, kind, evidence, uncertainFraction: rng(), raw: {} })
      }
    }
    return out
  }
})
