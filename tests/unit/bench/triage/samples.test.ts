import { describe, expect, it } from 'vitest'
import type { DevPair } from '../../../../bench/triage/devSet'
import { bandFreeAlike, byForm, reasonShares } from '../../../../bench/triage/evaluate'
import { REASON_KINDS } from '../../../../bench/triage/fit'
import { buildSamples, isBandFree, type Sample } from '../../../../bench/triage/samples'
import { lesionImage } from '../../shared/labels/triage/fixtures'

/** A generated dev pair: the fixtures' disc image, its true mask at twice the grid's size. */
function discPair(id: string, r: number): DevPair {
  const image = lesionImage({ r })
  const width = image.width * 2
  const height = image.height * 2
  const data = new Uint8Array(width * height)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = Math.hypot(x / 2 - 60, y / 2 - 45) < r ? 1 : 0
  return { id, width, height, image, truth: { width, height, data } }
}

describe('evaluation samples with band-free maps (bench/triage/samples.ts)', () => {
  const pairs = [discPair('a', 18), discPair('b', 24)]
  const samples = buildSamples(pairs, {
    clean: 3,
    perKind: 1,
    seed: 5,
    kinds: ['shift', 'swapped'],
    bandFree: { resolvedClean: 2 },
  })

  it('holds per image the weak maps, the true mask, resolved right maps and each wrong map resolved', () => {
    for (const image of [0, 1]) {
      const own = samples.filter((s) => s.image === image)
      const count = (kind: string, form: string) =>
        own.filter((s) => s.kind === kind && (s.form ?? 'weak') === form).length
      expect([count('clean', 'weak'), count('clean', 'truth'), count('clean', 'resolved')]).toEqual([3, 1, 2])
      for (const kind of ['shift', 'swapped'])
        expect([count(kind, 'weak'), count(kind, 'resolved')]).toEqual([1, 1])
    }
    // Band-free maps have no uncertain pixel (and so no band-only evidence); weak ones have both.
    for (const s of samples) {
      expect(s.uncertainFraction === 0, `${s.kind} ${s.form ?? 'weak'}`).toBe(isBandFree(s))
      expect('uncertainShare' in s.evidence).toBe(!isBandFree(s))
    }
    const { weak, bandFree } = byForm(samples)
    expect(weak.length + bandFree.length).toBe(samples.length)
    expect(bandFree.every((i) => isBandFree(samples[i]))).toBe(true)
  })
})

describe('the evaluation numbers (bench/triage/evaluate.ts)', () => {
  const sample = (kind: Sample['kind'], form?: Sample['form']): Sample => ({
    image: 0,
    kind,
    ...(form ? { form } : {}),
    evidence: {},
    uncertainFraction: 0,
    raw: {},
  })

  it('compares right band-free maps with right weak ones: medians and the AUC of telling them apart', () => {
    const s = [
      sample('clean'),
      sample('clean'),
      sample('clean', 'truth'),
      sample('clean', 'resolved'),
      sample('shift'),
    ]
    const alike = bandFreeAlike(s, [0.1, 0.3, 0.5, 0.7, 0.9])
    expect(alike).toEqual({ weakMedian: 0.3, bandFreeMedian: 0.7, truthMedian: 0.5, auc: 1 })
    expect(bandFreeAlike(s, [0.5, 0.5, 0.5, 0.5, 0.9]).auc).toBe(0.5)
  })

  it('counts a reason listed on right maps and on the wrong maps of its kinds, per form', () => {
    const s = [
      sample('clean'),
      sample('clean'),
      sample('clean', 'resolved'),
      sample('shift'),
      sample('vignette'),
    ]
    const shares = reasonShares(s, [['misaligned'], [], [], ['misaligned'], ['misaligned']])
    const misaligned = shares.find((r) => r.code === 'misaligned')
    expect(REASON_KINDS.misaligned).toContain('shift')
    expect(REASON_KINDS.misaligned).not.toContain('vignette')
    expect(misaligned).toMatchObject({ cleanWeak: 0.5, cleanBandFree: 0, kindsWeak: 1 })
    expect(Number.isNaN(misaligned?.kindsBandFree)).toBe(true)
  })
})
