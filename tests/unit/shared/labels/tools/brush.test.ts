import { describe, expect, it } from 'vitest'
import { applyPatch, type Point } from '../../../../../shared/labels/patch'
import {
  brushCentre,
  brushDisc,
  paintBrush,
  type BrushOptions,
} from '../../../../../shared/labels/tools/brush'
import { allLabels, cloneMap, drawMap, filledMap, firstDiff, parseMap, pic, prng } from '../ascii'
import type { LabelMap } from '../../../../../shared/labels/codes'

const lesion = (diameter: number, onlyUncertain = false): BrushOptions => ({
  diameter,
  label: 1,
  onlyUncertain,
})

/** Applies one brush segment to a copy and returns the picture. */
function paint(map: LabelMap, from: Point, to: Point, opts: BrushOptions): string {
  const out = cloneMap(map)
  const patch = paintBrush(out, { from, to }, opts)
  if (patch) applyPatch(out, patch, 'redo')
  return drawMap(out)
}

describe('brush disc', () => {
  // Odd d: centred on the pixel containing the point. Even d: on the nearest pixel corner.
  const discs: Record<number, string> = {
    1: `
      ........
      ........
      ........
      ...#....
      ........
      ........
      ........
      ........`,
    2: `
      ........
      ........
      ........
      ...##...
      ...##...
      ........
      ........
      ........`,
    3: `
      ........
      ........
      ..###...
      ..###...
      ..###...
      ........
      ........
      ........`,
    4: `
      ........
      ........
      ...##...
      ..####..
      ..####..
      ...##...
      ........
      ........`,
    5: `
      ........
      ..###...
      .#####..
      .#####..
      .#####..
      ..###...
      ........
      ........`,
    6: `
      ........
      ..####..
      .######.
      .######.
      .######.
      .######.
      ..####..
      ........`,
  }

  for (const [d, expected] of Object.entries(discs)) {
    it(`d=${d} has the exact documented shape wherever the point falls`, () => {
      const blank = filledMap(8, 8, 0)
      const n = Number(d)
      // Every sampled point that snaps to the same centre gives the same pixels.
      const centre = n % 2 === 1 ? 3.5 : 4
      const samples = n % 2 === 1 ? [3, 3.01, 3.5, 3.99] : [3.5, 3.7, 4, 4.49]
      for (const x of samples) {
        for (const y of samples) {
          expect(brushCentre({ x, y }, n)).toEqual({ x: centre, y: centre })
          expect(paint(blank, { x, y }, { x, y }, { diameter: n, label: 1, onlyUncertain: false })).toBe(
            pic(expected),
          )
        }
      }
    })
  }

  it('counts 1, 4, 9, 12, 21, 32, 37 pixels and brushDisc matches the painted stamp', () => {
    const counts = [1, 4, 9, 12, 21, 32, 37].map((_, i) => brushDisc(i + 1).reduce((s, v) => s + v, 0))
    expect(counts).toEqual([1, 4, 9, 12, 21, 32, 37])
    for (let d = 1; d <= 40; d++) {
      const map = filledMap(d + 4, d + 4, 0)
      const p = { x: 2 + d / 2, y: 2 + d / 2 } // snapped centre: the box starts at (2, 2)
      const patch = paintBrush(map, { from: p, to: p }, lesion(d))!
      applyPatch(map, patch, 'redo')
      const disc = brushDisc(d)
      const expected = new Uint8Array((d + 4) * (d + 4))
      for (let j = 0; j < d; j++) expected.set(disc.subarray(j * d, j * d + d), (j + 2) * (d + 4) + 2)
      expect(firstDiff(map.data, expected), `d=${d}`).toBe(-1)
    }
  })

  it('is symmetric under mirroring and transposition', () => {
    const asymmetric: string[] = []
    for (let d = 1; d <= 64; d++) {
      const m = brushDisc(d)
      for (let j = 0; j < d; j++) {
        for (let i = 0; i < d; i++) {
          const v = m[j * d + i]
          if (m[j * d + (d - 1 - i)] !== v || m[(d - 1 - j) * d + i] !== v || m[i * d + j] !== v) {
            asymmetric.push(`d=${d} (${i},${j})`)
          }
        }
      }
    }
    expect(asymmetric).toEqual([])
  })

  it('clips at the map edges and ignores stamps entirely outside', () => {
    const blank = filledMap(4, 3, 0)
    expect(paint(blank, { x: 0, y: 0 }, { x: 0, y: 0 }, lesion(4))).toBe(
      pic(`
        ##..
        #...
        ....`),
    )
    expect(paintBrush(blank, { from: { x: -10, y: 1 }, to: { x: -3, y: 1 } }, lesion(4))).toBeNull()
    expect(paintBrush(blank, { from: { x: 1, y: 50 }, to: { x: 2, y: 9 } }, lesion(4))).toBeNull()
  })
})

describe('brush segment', () => {
  it('paints the capsule between two snapped centres', () => {
    const blank = filledMap(12, 5, 0)
    expect(paint(blank, { x: 2.5, y: 2.5 }, { x: 9.5, y: 2.5 }, lesion(3))).toBe(
      pic(`
        ............
        .##########.
        .##########.
        .##########.
        ............`),
    )
    expect(paint(blank, { x: 2.2, y: 1.1 }, { x: 9.9, y: 3.7 }, lesion(1))).toBe(
      pic(`
        ............
        ..##........
        ....####....
        ........##..
        ............`),
    )
  })

  it('leaves no gaps on a fast diagonal move (d=1 is 8-connected, d≥2 4-connected)', () => {
    const size = 64
    for (const d of [1, 2, 3, 5]) {
      const map = filledMap(size, size, 0)
      const patch = paintBrush(map, { from: { x: 3.2, y: 2.7 }, to: { x: 60.1, y: 41.3 } }, lesion(d))!
      applyPatch(map, patch, 'redo')
      // Painted pixels form one connected component (4-connected for d ≥ 2, 8-connected for d = 1)
      // containing both end stamps.
      expect(components(map, d === 1 ? 8 : 4)).toBe(1)
      for (const p of [
        { x: 3.2, y: 2.7 },
        { x: 60.1, y: 41.3 },
      ])
        expect(stampPainted(map, p, d)).toBe(true)
    }
  })

  it('paints exactly the pixel centres within r of the snapped segment, the same both ways', () => {
    const rand = prng(7)
    const wrong: string[] = []
    let ties = 0
    for (let iter = 0; iter < 300; iter++) {
      const d = 1 + Math.floor(rand() * 9)
      const w = 40
      const from = { x: rand() * w, y: rand() * w }
      const to = { x: from.x + (rand() - 0.5) * 30, y: from.y + (rand() - 0.5) * 30 }
      const map = filledMap(w, w, 0)
      const fwd = paintBrush(map, { from, to }, lesion(d))
      const back = paintBrush(map, { from: to, to: from }, lesion(d))
      expect(back).toEqual(fwd)
      if (fwd) applyPatch(map, fwd, 'redo')
      // Reference: pixels whose centre lies within r of the segment between the snapped centres.
      const a = brushCentre(from, d)
      const b = brushCentre(to, d)
      for (let y = 0; y < w; y++) {
        for (let x = 0; x < w; x++) {
          const dist2 = segmentDistance2({ x: x + 0.5, y: y + 0.5 }, a, b)
          if (Math.abs(dist2 - (d * d) / 4) < 1e-6) ties++
          else if (map.data[y * w + x] !== (dist2 <= (d * d) / 4 ? 1 : 0))
            wrong.push(`iter ${iter} (${x},${y})`)
        }
      }
      expect(stampPainted(map, from, d) && stampPainted(map, to, d)).toBe(true)
    }
    expect(wrong).toEqual([])
    expect(ties).toBeLessThan(50) // exact ties are rare and excluded from the comparison
  })

  it('onlyUncertain changes only 255 pixels; off, it paints over certain ones', () => {
    const map = parseMap(`
      ??????
      ?..##?
      ?..##?
      ??????`)
    const from = { x: 0.5, y: 1 }
    const to = { x: 5.5, y: 1 }
    expect(paint(map, from, to, lesion(2, true))).toBe(
      pic(`
        ######
        #..###
        ?..##?
        ??????`),
    )
    expect(paint(map, from, to, { diameter: 2, label: 0, onlyUncertain: false })).toBe(
      pic(`
        ......
        ......
        ?..##?
        ??????`),
    )
    // Uncertain over uncertain-only changes nothing; so does painting a label onto itself.
    expect(paintBrush(map, { from, to }, { diameter: 2, label: 255, onlyUncertain: true })).toBeNull()
    expect(
      paintBrush(
        map,
        { from: { x: 1.5, y: 2 }, to: { x: 1.5, y: 2 } },
        { diameter: 2, label: 0, onlyUncertain: false },
      ),
    ).toBeNull()
  })

  it('returns minimal patches holding only labels', () => {
    const rand = prng(11)
    const map = parseMap(`
      ??..##??..
      ?#?.#.?#?.
      ..??##..??`)
    for (let i = 0; i < 200; i++) {
      const opts: BrushOptions = {
        diameter: 1 + Math.floor(rand() * 4),
        label: ([0, 1, 255] as const)[Math.floor(rand() * 3)],
        onlyUncertain: rand() < 0.5,
      }
      const p = paintBrush(
        map,
        { from: { x: rand() * 10, y: rand() * 3 }, to: { x: rand() * 10, y: rand() * 3 } },
        opts,
      )
      if (!p) continue
      expect(allLabels(p.before) && allLabels(p.after)).toBe(true)
      for (let k = 0; k < p.before.length; k++) expect(p.before[k]).not.toBe(p.after[k])
      expect([...p.after].every((v) => v === opts.label)).toBe(true)
    }
  })

  it('refuses invalid diameters, labels and coordinates', () => {
    const map = filledMap(4, 4, 255)
    const p = { from: { x: 1, y: 1 }, to: { x: 2, y: 2 } }
    expect(() => paintBrush(map, p, lesion(0))).toThrow(RangeError)
    expect(() => paintBrush(map, p, lesion(2.5))).toThrow(RangeError)
    expect(() => paintBrush(map, p, { diameter: 2, label: 7 as never, onlyUncertain: false })).toThrow(
      RangeError,
    )
    expect(() => paintBrush(map, { from: { x: NaN, y: 1 }, to: p.to }, lesion(2))).toThrow(RangeError)
    expect(() => paintBrush({ width: 4, height: 4, data: new Uint8Array(15) }, p, lesion(2))).toThrow(
      RangeError,
    )
  })
})

/** True when every pixel of the stamp at p (inside the map) is 1. */
function stampPainted(map: LabelMap, p: Point, d: number): boolean {
  const c = brushCentre(p, d)
  const disc = brushDisc(d)
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < d; i++) {
      const x = c.x - d / 2 + i
      const y = c.y - d / 2 + j
      const inside = x >= 0 && y >= 0 && x < map.width && y < map.height
      if (disc[j * d + i] && inside && map.data[y * map.width + x] !== 1) return false
    }
  }
  return true
}

function segmentDistance2(q: Point, a: Point, b: Point): number {
  const ux = b.x - a.x
  const uy = b.y - a.y
  const len2 = ux * ux + uy * uy
  let t = len2 === 0 ? 0 : ((q.x - a.x) * ux + (q.y - a.y) * uy) / len2
  t = Math.max(0, Math.min(1, t))
  return (q.x - a.x - t * ux) ** 2 + (q.y - a.y - t * uy) ** 2
}

/** Number of connected components of value 1. */
function components(map: LabelMap, connectivity: 4 | 8): number {
  const { width, height, data } = map
  const seen = new Uint8Array(width * height)
  const steps =
    connectivity === 4
      ? [
          [1, 0],
          [-1, 0],
          [0, 1],
          [0, -1],
        ]
      : [
          [1, 0],
          [-1, 0],
          [0, 1],
          [0, -1],
          [1, 1],
          [1, -1],
          [-1, 1],
          [-1, -1],
        ]
  let n = 0
  for (let i = 0; i < width * height; i++) {
    if (data[i] !== 1 || seen[i]) continue
    n++
    const stack = [i]
    seen[i] = 1
    while (stack.length) {
      const j = stack.pop()!
      const x = j % width
      const y = Math.floor(j / width)
      for (const [dx, dy] of steps) {
        const nx = x + dx
        const ny = y + dy
        const k = ny * width + nx
        if (nx >= 0 && ny >= 0 && nx < width && ny < height && data[k] === 1 && !seen[k]) {
          seen[k] = 1
          stack.push(k)
        }
      }
    }
  }
  return n
}
