import { describe, expect, it } from 'vitest'
import { levelThreshold, rethreshold, rethresholdRunPatch } from '../../../../../shared/labels/assist/level'
import { proposalRunPatch, proposeResolution } from '../../../../../shared/labels/assist/resolve'
import type { Proposal } from '../../../../../shared/labels/assist/types'
import { applyPatch } from '../../../../../shared/labels/patch'
import { synthesizePair } from '../../../../../electron/services/demo/synthesize'

const U = 255

/**
 * A 5×3 map: lesion on the left, background on the right, an uncertain band of 2 columns in the
 * middle rows, with hand-made decisions over its rect.
 */
function tinyProposal(): { map: { width: number; height: number; data: Uint8Array }; proposal: Proposal } {
  // prettier-ignore
  const data = Uint8Array.from([
    1, 1, 0, 0, 0,
    1, U, U, 0, 0,
    1, U, U, 0, 0,
  ])
  const map = { width: 5, height: 3, data }
  const rect = { x: 1, y: 1, width: 2, height: 2 }
  // d: strong lesion, weak background / weak lesion, strong background.
  const decision = Int8Array.from([120, -10, 30, -127])
  const labels = data.slice()
  labels[6] = 1
  labels[7] = 0
  labels[11] = 1
  labels[12] = 0
  const confidence = Uint8Array.from([240, 20, 60, 255])
  const proposal: Proposal = {
    labels,
    rect,
    confidence,
    decision,
    stats: {
      uncertain: 4,
      toLesion: 2,
      toBackground: 2,
      unsure: 2,
      scale: 1,
      hairCells: 0,
      bandWidth: 2,
      ms: { total: 0, grid: 0, evidence: 0, write: 0 },
    },
  }
  return { map, proposal }
}

describe('rethreshold', () => {
  it('at bias 0 gives the proposal exactly: labels and unsure flags', () => {
    const { map, proposal } = tinyProposal()
    const patch = proposalRunPatch(map, proposal)
    const r = rethresholdRunPatch(patch, 0)
    expect([...r.after]).toEqual([...patch.after])
    expect([...r.unsure]).toEqual([...patch.unsure])
    expect([...r.after]).toEqual([1, 0, 1, 0])
    expect([...r.unsure]).toEqual([0, 1, 1, 0])
    expect(r.toLesion).toBe(2)
    expect(r.unsureCount).toBe(2)
  })

  it('moves the edge: −1 all lesion, +1 all background, and the unsure pixels follow the threshold', () => {
    const d = Int8Array.from([127, 120, -10, 30, -127, 0])
    expect([...rethreshold(d, -1).after]).toEqual([1, 1, 1, 1, 1, 1])
    expect([...rethreshold(d, 1).after]).toEqual([0, 0, 0, 0, 0, 0])
    expect([...rethreshold(d, 0.5).after]).toEqual([1, 1, 0, 0, 0, 0])
    // Threshold 63.75: 127, 120, 30 and 0 are within 64 of it; −10 and −127 are not.
    expect([...rethreshold(d, 0.5).unsure]).toEqual([1, 1, 0, 1, 0, 1])
    // Out-of-range and non-finite levels are clamped / taken as 0.
    expect([...rethreshold(d, 7).after]).toEqual([...rethreshold(d, 1).after])
    expect([...rethreshold(d, Number.NaN).after]).toEqual([...rethreshold(d, 0).after])
    expect(levelThreshold(-3)).toBe(-127.5)
  })

  it('is monotone: moving towards the lesion never takes a lesion pixel away', () => {
    const d = Int8Array.from({ length: 255 }, (_, i) => i - 127)
    let prev = rethreshold(d, 1).after
    for (let b = 0.99; b >= -1; b -= 0.01) {
      const cur = rethreshold(d, b).after
      for (let i = 0; i < d.length; i++) expect(cur[i]).toBeGreaterThanOrEqual(prev[i])
      prev = cur
    }
  })

  it('reuses the arrays it is given', () => {
    const d = Int8Array.from([5, -5])
    const into = { after: new Uint8Array(2), unsure: new Uint8Array(2) }
    const r = rethreshold(d, -0.5, into)
    expect(r.after).toBe(into.after)
    expect(r.unsure).toBe(into.unsure)
    expect([...into.after]).toEqual([1, 1])
  })

  it('on a real proposal: certain pixels never change, only 0/1 replace 255, bias 0 is the proposal', () => {
    const p = synthesizePair({ id: 'lvl', width: 160, height: 120, seed: 41 })
    const image = { width: 160, height: 120, data: p.image.rgb, channels: 3 as const }
    const prop = proposeResolution(image, p.mask)
    expect(prop.stats.uncertain).toBeGreaterThan(0)
    // The decision agrees with the labels and the confidence pixel by pixel; 0 on certain pixels.
    const { rect } = prop
    for (let y = 0; y < rect.height; y++) {
      for (let x = 0; x < rect.width; x++) {
        const i = (rect.y + y) * 160 + rect.x + x
        const k = y * rect.width + x
        const d = prop.decision[k]
        if (p.mask.data[i] !== U) expect(d).toBe(0)
        else {
          expect(d > 0 ? 1 : 0).toBe(prop.labels[i])
          expect(Math.abs(d) < 64).toBe(prop.confidence[k] < 128)
        }
      }
    }
    const patch = proposalRunPatch(p.mask, prop)
    expect(patch.decision.length).toBe(prop.stats.uncertain)
    const at0 = rethresholdRunPatch(patch, 0)
    expect(Buffer.from(at0.after).equals(Buffer.from(patch.after))).toBe(true)
    expect(Buffer.from(at0.unsure).equals(Buffer.from(patch.unsure))).toBe(true)
    expect(at0.unsureCount).toBe(prop.stats.unsure)
    expect(at0.toLesion).toBe(prop.stats.toLesion)
    let lastLesion = -1
    for (const bias of [1, 0.6, 0.2, 0, -0.2, -0.6, -1]) {
      const r = rethresholdRunPatch(patch, bias)
      const map = { width: 160, height: 120, data: p.mask.data.slice() }
      applyPatch(map, r, 'redo')
      for (let i = 0; i < map.data.length; i++) {
        if (p.mask.data[i] === U) expect(map.data[i] === 0 || map.data[i] === 1).toBe(true)
        else if (map.data[i] !== p.mask.data[i]) throw new Error(`certain pixel ${i} changed`)
      }
      expect(r.toLesion).toBeGreaterThanOrEqual(lastLesion)
      lastLesion = r.toLesion
      applyPatch(map, r, 'undo')
      expect(Buffer.from(map.data).equals(Buffer.from(p.mask.data))).toBe(true)
    }
    expect(rethresholdRunPatch(patch, 1).toLesion).toBe(0)
    expect(rethresholdRunPatch(patch, -1).toLesion).toBe(prop.stats.uncertain)
  })
})
