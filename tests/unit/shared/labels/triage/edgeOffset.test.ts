import { describe, expect, it } from 'vitest'
import { FILL_LEVEL } from '../../../../../shared/labels/triage/edgeOffset'
import { measurePair, scorePair } from '../../../../../shared/labels/triage/score'
import { R, discMap, lesionImage } from './fixtures'

const image = lesionImage()
const measures = (r: number): { edgeShift: number; lesionFill: number } => {
  const m = measurePair(discMap({ r }), image).image
  if (!m) throw new Error('no image measures')
  return { edgeShift: m.edgeShift, lesionFill: m.lesionFill }
}

describe('edge offset: where the image edge sits relative to the mask boundary', () => {
  const exact = measures(R)
  const dilated = measures(R * 1.25)
  const eroded = measures(R * 0.8)

  it('puts the edge of an exact map at its boundary, and nearly all of its region as lesion', () => {
    expect(Math.abs(exact.edgeShift)).toBeLessThan(0.05)
    expect(exact.lesionFill).toBeGreaterThan(0.9)
  })

  it('puts the edge of a map dilated by a quarter of the radius about a fifth of its radius inside', () => {
    // The region's radius is 1.25 R, the image's edge R: (R − 1.25 R) / 1.25 R = −0.2.
    expect(dilated.edgeShift).toBeLessThan(-0.15)
    expect(dilated.edgeShift).toBeGreaterThan(-0.25)
    // (R / 1.25 R)² = 0.64 of the region is lesion.
    expect(dilated.lesionFill).toBeLessThan(0.75)
    expect(dilated.lesionFill).toBeLessThan(exact.lesionFill - 0.2)
  })

  it('puts the edge of an eroded map outside its boundary', () => {
    expect(eroded.edgeShift).toBeGreaterThan(0.15)
    expect(eroded.lesionFill).toBeGreaterThan(0.9)
  })

  it('counts as lesion colours beyond a low level from the skin (ISIC masks include a faint rim)', () => {
    expect(FILL_LEVEL).toBeGreaterThan(0)
    expect(FILL_LEVEL).toBeLessThan(0.5)
  })

  it('scores a dilated map above the exact one, with the reason misaligned', () => {
    const a = scorePair(discMap({ r: R }), image)
    const b = scorePair(discMap({ r: R * 1.3 }), image)
    expect(b.score).toBeGreaterThan(a.score)
    expect(b.reasons.map((x) => x.code)).toContain('misaligned')
  })
})
