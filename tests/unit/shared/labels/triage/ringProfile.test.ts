import { describe, expect, it } from 'vitest'
import type { TriageImage } from '../../../../../shared/labels/triage/types'
import { ringProfile, type RingProfile } from '../../../../../shared/labels/triage/ringProfile'
import { measurePair, scorePair } from '../../../../../shared/labels/triage/score'
import { CX, CY, R, W, discMap, lesionImage } from './fixtures'

const ringsOf = (r: number, image: TriageImage = lesionImage()): RingProfile => {
  const m = measurePair(discMap({ r }), image).image
  if (!m) throw new Error('no image measures')
  return m.ring
}

/** The image with its colours pulled towards grey by `k` and shifted by `add` (same geometry). */
function restyle(image: TriageImage, k: number, add: readonly number[]): TriageImage {
  const data = new Uint8Array(image.data.length)
  for (let i = 0; i < data.length; i++)
    data[i] = Math.max(0, Math.min(255, Math.round(128 + (image.data[i] - 128) * k + add[i % 3])))
  return { ...image, data }
}

describe('ring profile: the image across the mask boundary, normalised per image', () => {
  const exact = ringsOf(R)
  const dilated = ringsOf(R * 1.3)
  const eroded = ringsOf(R * 0.75)

  it('sees lesion inside and skin outside the boundary of a right map', () => {
    expect(exact.contrastNear).toBeGreaterThan(0.5)
    expect(exact.contrastWide).toBeGreaterThan(0.8)
    expect(exact.innerSkinShare).toBe(0)
    expect(exact.outerLesionShare).toBe(0)
    expect(Math.abs(exact.midNear - 0.5)).toBeLessThan(0.2)
  })

  it('sees skin on both sides of a dilated boundary: lower ring contrast, a skin-coloured inner ring', () => {
    expect(dilated.contrastNear).toBeLessThan(0.2)
    expect(dilated.contrastNear).toBeLessThan(exact.contrastNear - 0.5)
    expect(dilated.innerNear).toBeLessThan(0.2)
    expect(dilated.innerNear).toBeLessThan(exact.innerNear - 0.4)
    expect(dilated.innerSkinShare).toBe(1)
    expect(dilated.midNear).toBeLessThan(exact.midNear - 0.25)
  })

  it("finds the image's steepest drop at a right boundary and well inside a dilated one", () => {
    // edgeDropRatio: the lesion→skin drop across the boundary over the steepest along the normal.
    expect(exact.edgeDropRatio).toBeGreaterThan(0.8)
    expect(dilated.edgeDropRatio).toBeLessThan(0.3)
    expect(dilated.edgeDropRatio).toBeLessThan(exact.edgeDropRatio - 0.5)
    const ratioAt = (r: number): number => ringsOf(r).edgeDropRatio
    expect(ratioAt(R * 1.15)).toBeLessThan(exact.edgeDropRatio)
  })

  it('sees lesion on both sides of an eroded boundary: a lesion-coloured outer ring', () => {
    expect(eroded.contrastNear).toBeLessThan(0.2)
    expect(eroded.outerNear).toBeGreaterThan(0.8)
    expect(eroded.outerNear).toBeGreaterThan(exact.outerNear + 0.5)
    expect(eroded.outerWide).toBeGreaterThan(0.8)
    expect(eroded.outerLesionShare).toBe(1)
    expect(eroded.midNear).toBeGreaterThan(exact.midNear + 0.25)
  })

  it('does not depend on how dark the lesion is or how the skin is lit', () => {
    const faint = lesionImage()
    for (const [k, add] of [
      [0.5, [0, 0, 0]],
      [0.8, [30, 10, -20]],
    ] as const) {
      const image = restyle(faint, k, add)
      for (const [r, ref] of [
        [R, exact],
        [R * 1.3, dilated],
        [R * 0.75, eroded],
      ] as const) {
        const got = ringsOf(r, image)
        expect(Math.abs(got.contrastNear - ref.contrastNear)).toBeLessThan(0.1)
        expect(Math.abs(got.innerNear - ref.innerNear)).toBeLessThan(0.1)
        expect(Math.abs(got.outerNear - ref.outerNear)).toBeLessThan(0.1)
      }
    }
  })

  it('lets a dark patch on one side of a right boundary move neither the median nor the share much', () => {
    // Lesion colour in a 30° wedge just outside the disc (a halo, a hair tuft on one side).
    const base = lesionImage()
    const data = Uint8Array.from(base.data)
    for (let i = 0; i < W * base.height; i++) {
      const x = i % W
      const y = Math.floor(i / W)
      const d = Math.hypot(x - CX, y - CY)
      const a = Math.atan2(y - CY, x - CX)
      if (d > R && d < R + 4 && a > 0 && a < Math.PI / 6) data.set([95, 60, 45], i * 3)
    }
    const patched = ringsOf(R, { ...base, data })
    expect(patched.outerNear).toBeLessThan(exact.outerNear + 0.1)
    expect(patched.contrastNear).toBeGreaterThan(exact.contrastNear - 0.15)
    expect(patched.outerLesionShare).toBeGreaterThan(0)
    expect(patched.outerLesionShare).toBeLessThan(0.2)
  })

  it('scores a dilated and an eroded map above the right one, with the reason misaligned', () => {
    const image = lesionImage()
    const right = scorePair(discMap({ r: R }), image)
    for (const r of [R * 1.3, R * 0.75]) {
      const wrong = scorePair(discMap({ r }), image)
      expect(wrong.score).toBeGreaterThan(right.score)
      expect(wrong.reasons.map((x) => x.code)).toContain('misaligned')
    }
  })

  it('gives zeros (the drop ratio 1: nothing off), never NaN, for a map without a boundary cell', () => {
    const n = 16
    const got = ringProfile({
      width: 4,
      height: 4,
      sd: new Float32Array(n).fill(-3),
      across: new Int32Array(n),
      f: new Float32Array(n).fill(1),
      edge: new Uint8Array(n),
      cx: 2,
      cy: 2,
      rEq: 2,
    })
    const { edgeDropRatio, ...rest } = got
    expect(edgeDropRatio).toBe(1)
    for (const v of Object.values(rest)) expect(v).toBe(0)
  })
})
