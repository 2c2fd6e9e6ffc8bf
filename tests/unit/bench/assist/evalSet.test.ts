import { describe, expect, it } from 'vitest'
import { bandContrast, generateEvalSet } from '../../../../bench/assist/evalSet'

describe('generateEvalSet', () => {
  it('makes plain and hard pairs deterministically, with consistent sizes and tags', async () => {
    const opts = { count: 2, seed: 41, sizes: [[200, 150]] as const }
    const [a, b] = await Promise.all([generateEvalSet(opts), generateEvalSet(opts)])
    expect(a.map((p) => p.tags[0])).toEqual(['plain', 'hard'])
    for (let k = 0; k < 2; k++) {
      const p = a[k]
      expect(p.image.channels).toBe(3)
      expect(p.image.data.length).toBe(200 * 150 * 3)
      expect(p.mask.data.length).toBe(200 * 150)
      expect(p.truth.data.every((v) => v === 0 || v === 1)).toBe(true)
      expect(Buffer.from(p.image.data).equals(Buffer.from(b[k].image.data))).toBe(true)
      expect(p.tags.includes('low-contrast')).toBe(bandContrast(p.image, p.mask, p.truth) < 60)
    }
  })
})
