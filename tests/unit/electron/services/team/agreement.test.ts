import { describe, expect, it } from 'vitest'
import type { LabelMap } from '../../../../../shared/labels/codes'
import {
  cohenKappa,
  decisionCategory,
  maskAgreement,
  needsAdjudication,
  quantile,
  summarize,
  summarizeCurator,
  type PairAgreement,
} from '../../../../../electron/services/team/agreement'

/** A map from rows of characters: '.' 0, '#' 1, '?' 255. */
function ascii(rows: string[]): LabelMap {
  const width = rows[0].length
  const data = new Uint8Array(width * rows.length)
  rows.forEach((r, y) =>
    [...r].forEach((c, x) => (data[y * width + x] = c === '#' ? 1 : c === '?' ? 255 : 0)),
  )
  return { width, height: rows.length, data }
}

describe('maskAgreement', () => {
  const source = ascii(['..??', '.##?', '.##?', '....'])
  it('counts lesion pixels only, whole and within the uncertain pixels of the source', () => {
    const a = ascii(['..##', '.###', '.##.', '....']) // lesion 7; in uncertain (4 px): 3
    const b = ascii(['...#', '.##.', '.###', '#...']) // lesion 7; in uncertain: 2
    // intersection: (3,0), (1,1), (2,1), (1,2), (2,2) = 5; union = 7 + 7 - 5 = 9
    const m = maskAgreement(a, b, source)
    expect(m.jaccard).toBeCloseTo(5 / 9, 12)
    expect(m.dice).toBeCloseTo(10 / 14, 12)
    // uncertain pixels: (2,0), (3,0), (3,1), (3,2): a has (2,0),(3,0),(3,1); b has (3,0),(3,2); ∩ = 1, ∪ = 4
    expect(m.jaccardUncertain).toBeCloseTo(1 / 4, 12)
    expect(m.diceUncertain).toBeCloseTo(2 / 5, 12)
  })
  it('gives 1 for two masks without lesion and null within uncertain when the source has none', () => {
    const empty = ascii(['...', '...'])
    const m = maskAgreement(empty, empty, empty)
    expect(m).toEqual({ jaccard: 1, dice: 1, jaccardUncertain: null, diceUncertain: null })
  })
  it('treats remaining uncertain (255) pixels as not lesion', () => {
    const a = ascii(['#?'])
    const b = ascii(['##'])
    expect(maskAgreement(a, b, ascii(['??'])).jaccard).toBeCloseTo(0.5, 12)
  })
  it('refuses masks of different sizes', () => {
    expect(() => maskAgreement(ascii(['..']), ascii(['...']), ascii(['..']))).toThrow(RangeError)
  })
})

describe('summaries', () => {
  it('quantiles interpolate between order statistics (R type 7)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5)
    expect(quantile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12)
    expect(quantile([0.2, 0.9, 0.5], 0.75)).toBeCloseTo(0.7, 12)
    expect(quantile([7], 0.25)).toBe(7)
    expect(quantile([], 0.5)).toBeNull()
  })
  it("Cohen's kappa from a contingency table", () => {
    // 10 items: both keep 6, both reject 1, keep/reject 2, reject/keep 1.
    const pairs: [string, string][] = [
      ...Array.from({ length: 6 }, () => ['k', 'k'] as [string, string]),
      ['r', 'r'],
      ['k', 'r'],
      ['k', 'r'],
      ['r', 'k'],
    ]
    const po = 0.7
    const pe = 0.8 * 0.7 + 0.2 * 0.3
    expect(cohenKappa(pairs)).toBeCloseTo((po - pe) / (1 - pe), 12)
    expect(cohenKappa([['k', 'k']])).toBeNull()
    expect(cohenKappa([])).toBeNull()
    expect(
      cohenKappa([
        ['a', 'b'],
        ['b', 'a'],
      ]),
    ).toBeCloseTo(-1, 12)
  })
  it('summarize and per curator', () => {
    const row = (
      id: string,
      f: string,
      s: string,
      fc: PairAgreement['firstCategory'],
      sc: PairAgreement['secondCategory'],
      j: number,
    ): PairAgreement => ({
      pairId: id,
      firstCurator: f,
      secondCurator: s,
      firstCategory: fc,
      secondCategory: sc,
      jaccard: j,
    })
    const rows = [
      row('1', 'ann', 'bob', 'keep', 'keep', 0.9),
      row('2', 'ann', 'bob', 'keep', 'rejected', 0.5),
      row('3', 'bob', 'cy', 'rejected', 'rejected', 0.6),
      row('4', 'cy', 'ann', 'keep', 'keep', 1),
    ]
    const s = summarize(rows)
    expect(s.pairs).toBe(4)
    expect(s.jaccardMedian).toBeCloseTo(0.75, 12)
    expect(s.shareBelow065).toBe(0.5)
    const ann = summarizeCurator(rows, 'ann')
    expect(ann.pairs).toBe(3)
    expect(ann.jaccardMedian).toBe(0.9)
  })
  it('decision categories and the adjudication rule', () => {
    expect(decisionCategory('accepted')).toBe('keep')
    expect(decisionCategory('corrected')).toBe('keep')
    expect(decisionCategory('rejected')).toBe('rejected')
    expect(decisionCategory('skipped')).toBeNull()
    expect(needsAdjudication('keep', 'keep', 0.79, 0.8)).toBe(true)
    expect(needsAdjudication('keep', 'keep', 0.8, 0.8)).toBe(false)
    expect(needsAdjudication('keep', 'flagged', 1, 0.8)).toBe(true)
  })
})
