import { describe, expect, it } from 'vitest'
import { compareMasks, disputedIndices, mergeMasks, mergeTally } from '../../../../shared/labels/adjudication'
import { drawMap, parseMap, pic, prng } from './ascii'

/**
 * Every pair of labels (first, second) occurs, row 0 left to right:
 * (. .) (# #) (? ?) (# .) (# ?) (? .) (. ?) (. #) (? #); row 1: (# .) (# .) (? .) (. #) (. .) (# #) (? ?) (. .) (. .)
 */
const BOB = parseMap(`
  .#?##?..?
  ##?..#?..
`)
const CARL = parseMap(`
  .#?.?.?##
  ...#.#?..
`)

function withDisputed(): [Uint8Array, number] {
  const d = new Uint8Array(BOB.data.length)
  return [d, compareMasks(BOB, CARL, d).disputed]
}

describe('adjudication: one definition of a disputed pixel', () => {
  it('counts every pixel whose labels differ, uncertain included, in exactly one kind', () => {
    const disputed = new Uint8Array(BOB.data.length)
    const c = compareMasks(BOB, CARL, disputed)
    expect(c).toEqual({
      agreedLesion: 2,
      firstLesionOnly: 4, // # vs . ×3, # vs ? ×1
      secondLesionOnly: 3, // . vs # ×2, ? vs # ×1
      firstUncertainOnly: 2, // ? vs .
      secondUncertainOnly: 1, // . vs ?
      disputed: 10,
    })
    expect([...disputed]).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    expect([...disputedIndices(disputed, c.disputed)]).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
  })

  it("the QA's numbers: bob's uncertain pixels carl left background are disputed on every line", () => {
    // 3 agreed lesion, 2 lesion bob only, 4 uncertain bob vs background carl (qa7: 42,840 / 58,944 / 52,136).
    const bob = parseMap('###\n##.\n??.\n??.')
    const carl = parseMap('###\n...\n...\n...')
    const disputed = new Uint8Array(bob.data.length)
    const c = compareMasks(bob, carl, disputed)
    expect([c.agreedLesion, c.firstLesionOnly, c.secondLesionOnly, c.firstUncertainOnly, c.disputed]).toEqual(
      [3, 2, 0, 4, 6],
    )
    const index = disputedIndices(disputed, c.disputed)
    // The merge line counts the same 6 pixels: the union marks lesion every lesion of either (2), and
    // the uncertain-vs-background ones background (4) — not "disputed → lesion" for those.
    const union = mergeMasks(bob, carl, 'union')
    expect(mergeTally(union, index)).toEqual({ lesion: 2, background: 4, uncertain: 0 })
    expect(drawMap(union)).toBe(pic('###\n##.\n...\n...'))
  })

  it('union: lesion where either says lesion; other disputed pixels background; agreed labels kept', () => {
    const union = mergeMasks(BOB, CARL, 'union')
    expect(drawMap(union)).toBe(
      pic(`
        .#?##..##
        ##.#.#?..
      `),
    )
    expect([...union.data]).toEqual([0, 1, 255, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 255, 0, 0])
    const index = disputedIndices(...withDisputed())
    expect(mergeTally(union, index)).toEqual({ lesion: 7, background: 3, uncertain: 0 })
  })

  it('intersection: lesion only where both say lesion; every disputed pixel background', () => {
    const inter = mergeMasks(BOB, CARL, 'intersection')
    expect([...inter.data]).toEqual([0, 1, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 255, 0, 0])
    expect(mergeTally(inter, disputedIndices(...withDisputed()))).toEqual({
      lesion: 0,
      background: 10,
      uncertain: 0,
    })
    // A review taken as is keeps its uncertain pixels: the tally says so.
    expect(mergeTally(BOB, disputedIndices(...withDisputed()))).toEqual({
      lesion: 4,
      background: 3,
      uncertain: 3,
    })
  })

  it('on random maps: counts add up, the union holds every lesion of either, a 255 only where both kept it', () => {
    const next = prng(7)
    const w = 64
    const h = 48
    const pick = () => [0, 1, 255][Math.floor(next() * 3)]
    const a = { width: w, height: h, data: Uint8Array.from({ length: w * h }, pick) }
    const b = { width: w, height: h, data: Uint8Array.from({ length: w * h }, pick) }
    const disputed = new Uint8Array(w * h)
    const c = compareMasks(a, b, disputed)
    let differ = 0
    for (let i = 0; i < w * h; i++) if (a.data[i] !== b.data[i]) differ++
    expect(c.disputed).toBe(differ)
    expect(disputed.reduce((s, v) => s + v, 0)).toBe(differ)
    const index = disputedIndices(disputed, c.disputed)
    const union = mergeMasks(a, b, 'union')
    const inter = mergeMasks(a, b, 'intersection')
    for (let i = 0; i < w * h; i++) {
      const [p, q, u, n] = [a.data[i], b.data[i], union.data[i], inter.data[i]]
      expect(u === 1).toBe(p === 1 || q === 1)
      expect(n === 1).toBe(p === 1 && q === 1)
      expect(u === 255).toBe(p === 255 && q === 255)
      expect(n === 255).toBe(p === 255 && q === 255)
    }
    const tu = mergeTally(union, index)
    expect(tu).toEqual({
      lesion: c.firstLesionOnly + c.secondLesionOnly,
      background: c.firstUncertainOnly + c.secondUncertainOnly,
      uncertain: 0,
    })
    expect(mergeTally(inter, index)).toEqual({ lesion: 0, background: c.disputed, uncertain: 0 })
  })

  it('refuses masks of different sizes', () => {
    const a = parseMap('..\n..')
    const b = parseMap('....')
    expect(() => compareMasks(a, b)).toThrow(RangeError)
    expect(() => mergeMasks(a, b, 'union')).toThrow(RangeError)
  })
})
