import { describe, expect, it } from 'vitest'
import type { LabelMap } from '../../../../shared/labels/codes'
import {
  CHALLENGE_RULE,
  analyzeMask,
  analyzeMaskWithRuns,
  convertChallengeMask,
  isChallengeConvention,
  runTransitions,
} from '../../../../shared/labels/analysis'
import { challengeMap, expectCode, randomMap, wsmMap } from '../../../support/datasetFixtures'

/** Reference: components of `value` by flood fill (4-connectivity). */
function floodComponents(map: LabelMap, value: number): number[] {
  const { width, height, data } = map
  const seen = new Uint8Array(data.length)
  const sizes: number[] = []
  const stack: number[] = []
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== value || seen[i]) continue
    let size = 0
    seen[i] = 1
    stack.push(i)
    while (stack.length) {
      const p = stack.pop() as number
      size++
      const x = p % width
      const y = (p - x) / width
      const next = [
        x > 0 ? p - 1 : -1,
        x < width - 1 ? p + 1 : -1,
        y > 0 ? p - width : -1,
        y < height - 1 ? p + width : -1,
      ]
      for (const q of next) {
        if (q >= 0 && !seen[q] && data[q] === value) {
          seen[q] = 1
          stack.push(q)
        }
      }
    }
    sizes.push(size)
  }
  return sizes
}

function fill(width: number, height: number, f: (x: number, y: number) => number): LabelMap {
  const data = new Uint8Array(width * height)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y)
  return { width, height, data }
}

describe('analyzeMask', () => {
  it('counts labels and 4-connected components like a flood fill', () => {
    const maps = [
      randomMap(37, 23, 1),
      randomMap(64, 64, 2, [0, 0, 0, 1, 255]),
      randomMap(1, 50, 3),
      randomMap(50, 1, 4),
      wsmMap(120, 90, 5),
      // Diagonal neighbours are not connected: a checkerboard of 1 has one component per pixel.
      fill(9, 7, (x, y) => ((x + y) % 2 === 0 ? 1 : 0)),
      // A spiral-ish comb that merges late (union of runs found many rows apart).
      fill(30, 30, (x, y) => (y === 29 || x % 4 === 0 ? 255 : 0)),
      fill(30, 30, (x, y) => (x % 3 === 0 || (y === 0 && x > 10) ? 1 : y % 5 === 0 ? 255 : 0)),
    ]
    for (const map of maps) {
      const a = analyzeMask(map)
      let bg = 0
      let les = 0
      let unc = 0
      for (const v of map.data) {
        if (v === 0) bg++
        else if (v === 1) les++
        else unc++
      }
      expect(a.counts).toEqual({ background: bg, lesion: les, uncertain: unc })
      expect(a.lesionComponents).toBe(floodComponents(map, 1).length)
      expect(a.uncertainComponents).toBe(floodComponents(map, 255).length)
      expect(a.width).toBe(map.width)
      expect(a.height).toBe(map.height)
    }
  })

  it('reports a typical weak map: one lesion, uncertain band + stray blob, not challenge', () => {
    const a = analyzeMask(wsmMap(200, 150))
    expect(a.lesionComponents).toBe(1)
    expect(a.uncertainComponents).toBe(2)
    expect(a.challengeConvention).toBe(false)
  })

  it('refuses values outside {0, 1, 255} with mask-values, naming the first one', async () => {
    const map = wsmMap(20, 10)
    map.data[3 * 20 + 7] = 2
    const err = await expectCode(() => analyzeMask(map, 'm.png'), 'mask-values')
    expect(err.message).toContain('m.png')
    expect(err.message).toContain('x=7, y=3')
  })

  it('refuses a data length that does not match the size', async () => {
    await expectCode(() => analyzeMask({ width: 4, height: 4, data: new Uint8Array(15) }), 'mask-size')
  })
})

/** Reference: pixels changed per (old → new), by slot (0 → 0, 1 → 1, 255 → 2), one byte at a time. */
function byteTransitions(before: Uint8Array, after: Uint8Array): number[] {
  const slot = (v: number) => (v === 0 ? 0 : v === 1 ? 1 : 2)
  const counts = new Array<number>(16).fill(0)
  for (let i = 0; i < before.length; i++) {
    if (before[i] !== after[i]) counts[(slot(before[i]) << 2) | slot(after[i])]++
  }
  return counts
}

/** A map painted back from its runs. */
function paintRuns(runs: ReturnType<typeof analyzeMaskWithRuns>['runs']): Uint8Array {
  const data = new Uint8Array(runs.width * runs.height)
  for (let y = 0; y < runs.height; y++) {
    for (let k = runs.rowStart[y]; k < runs.rowStart[y + 1]; k++) {
      data.fill(runs.value[k], y * runs.width + runs.x0[k], y * runs.width + runs.x1[k])
    }
  }
  return data
}

describe('analyzeMaskWithRuns and runTransitions', () => {
  const maps = (width: number, height: number, seed: number): LabelMap[] => [
    randomMap(width, height, seed),
    randomMap(width, height, seed + 1, [0, 0, 0, 0, 1, 255]),
    wsmMap(width, height, seed + 2),
    fill(width, height, () => 0),
    fill(width, height, () => 255),
    fill(width, height, (x, y) => ((x + y + seed) % 3 === 0 ? 255 : (x * y) % 7 === 0 ? 1 : 0)),
  ]

  it("gives analyzeMask's analysis and runs that paint the map back exactly", () => {
    for (const [w, h] of [
      [37, 23],
      [1, 40],
      [40, 1],
      [130, 97],
    ]) {
      for (const map of maps(w, h, w)) {
        const { analysis, runs } = analyzeMaskWithRuns(map)
        expect(analysis).toEqual(analyzeMask(map))
        expect(Buffer.from(paintRuns(runs)).equals(Buffer.from(map.data))).toBe(true)
        expect(runs.rowStart.length).toBe(h + 1)
      }
    }
  })

  it('counts the same transitions as a byte loop, between maps of every kind', () => {
    for (const [w, h] of [
      [37, 23],
      [1, 40],
      [40, 1],
      [130, 97],
    ]) {
      const all = [...maps(w, h, 7), ...maps(w, h, 11)]
      for (const a of all) {
        const before = analyzeMaskWithRuns(a).runs
        for (const b of all) {
          const after = analyzeMaskWithRuns(b).runs
          expect(Array.from(runTransitions(before, after))).toEqual(byteTransitions(a.data, b.data))
        }
      }
    }
    // A corrected map: a few strokes over a weak map.
    const weak = wsmMap(300, 200, 3)
    const fixed = { ...weak, data: weak.data.slice() }
    for (let y = 50; y < 120; y++) fixed.data.fill(1, y * 300 + 100, y * 300 + 180)
    for (let y = 0; y < 200; y += 3) fixed.data.fill(0, y * 300 + 10, y * 300 + 14)
    expect(
      Array.from(runTransitions(analyzeMaskWithRuns(weak).runs, analyzeMaskWithRuns(fixed).runs)),
    ).toEqual(byteTransitions(weak.data, fixed.data))
  })

  it('refuses maps of different sizes', () => {
    const a = analyzeMaskWithRuns(randomMap(6, 4, 1)).runs
    const b = analyzeMaskWithRuns(randomMap(4, 6, 1)).runs
    expect(() => runTransitions(a, b)).toThrow(RangeError)
  })

  it('keeps each result its own when the analysis reuses its work arrays', () => {
    // A map of many runs (the arrays grow), then small ones: each result matches a fresh reference.
    const big = fill(500, 400, (x, y) => ((x + y) % 2 === 0 ? 1 : (x + 2 * y) % 3 === 0 ? 255 : 0))
    const first = analyzeMaskWithRuns(big)
    const small = wsmMap(60, 40, 9)
    const second = analyzeMaskWithRuns(small)
    expect(Buffer.from(paintRuns(first.runs)).equals(Buffer.from(big.data))).toBe(true)
    expect(Buffer.from(paintRuns(second.runs)).equals(Buffer.from(small.data))).toBe(true)
    expect(analyzeMask(big).lesionComponents).toBe(floodComponents(big, 1).length)
    expect(analyzeMask(small).uncertainComponents).toBe(floodComponents(small, 255).length)
  })
})

describe('the challenge convention', () => {
  it('flags a solid 255 blob on 0 with no 1s', () => {
    const m = challengeMap(160, 120)
    expect(analyzeMask(m).challengeConvention).toBe(true)
    expect(isChallengeConvention(m, analyzeMask(m).counts)).toBe(true)
  })

  it('flags a lesion cut by the image edge, and an elongated one', () => {
    expect(
      analyzeMask(fill(100, 80, (x, y) => (Math.hypot(x - 95, y - 40) < 35 ? 255 : 0))).challengeConvention,
    ).toBe(true)
    // A 4:1 ellipse.
    expect(
      analyzeMask(fill(200, 100, (x, y) => (((x - 100) / 80) ** 2 + ((y - 50) / 20) ** 2 < 1 ? 255 : 0)))
        .challengeConvention,
    ).toBe(true)
  })

  it('does not flag an uncertain band (ring) around an empty interior', () => {
    const ring = fill(160, 120, (x, y) => {
      const d = Math.hypot(x - 80, y - 60)
      return d > 30 && d < 38 ? 255 : 0
    })
    expect(analyzeMask(ring).challengeConvention).toBe(false)
  })

  it('does not flag an open band along the image edge', () => {
    const arc = fill(160, 120, (x, y) => {
      const d = Math.hypot(x - 160, y - 60)
      return d > 50 && d < 58 ? 255 : 0
    })
    expect(analyzeMask(arc).challengeConvention).toBe(false)
  })

  it('does not flag maps with lesion pixels, stray specks, scattered blobs, or no background', () => {
    const withLesion = challengeMap(100, 100)
    withLesion.data[0] = 1
    expect(analyzeMask(withLesion).challengeConvention).toBe(false)
    // A speck under 0.5 % of the image.
    const speck = fill(200, 200, (x, y) => (x >= 10 && x < 20 && y >= 10 && y < 20 ? 255 : 0))
    expect(100 / 40000).toBeLessThan(CHALLENGE_RULE.minAreaShare)
    expect(analyzeMask(speck).challengeConvention).toBe(false)
    // Two equal blobs: the largest holds only half of the 255 pixels.
    const two = fill(200, 100, (x, y) =>
      Math.hypot(x - 50, y - 50) < 30 || Math.hypot(x - 150, y - 50) < 30 ? 255 : 0,
    )
    expect(analyzeMask(two).challengeConvention).toBe(false)
    // All 255: ambiguous, left as a weak map (all uncertain).
    expect(analyzeMask(fill(10, 10, () => 255)).challengeConvention).toBe(false)
    expect(analyzeMask(fill(10, 10, () => 0)).challengeConvention).toBe(false)
  })

  it('converts 255 → 1 explicitly, into a new map', () => {
    const m = challengeMap(40, 30)
    const before = Buffer.from(m.data)
    const c = convertChallengeMask(m)
    expect(Buffer.from(m.data).equals(before)).toBe(true) // the input is untouched
    for (let i = 0; i < m.data.length; i++) expect(c.data[i]).toBe(m.data[i] === 255 ? 1 : 0)
    expect(analyzeMask(c).lesionComponents).toBe(1)
  })

  it('refuses to convert a map holding 1s', async () => {
    const m = challengeMap(40, 30)
    m.data[5] = 1
    await expectCode(() => convertChallengeMask(m, 'x.png'), 'mask-values')
  })
})
