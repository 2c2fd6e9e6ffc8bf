import { describe, expect, it } from 'vitest'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { applyPatch, type Point } from '../../../../../shared/labels/patch'
import type { PaintOptions } from '../../../../../shared/labels/tools/paint'
import { fillPolygon } from '../../../../../shared/labels/tools/polygon'
import { allLabels, cloneMap, drawMap, filledMap, firstDiff, parseMap, pic, prng, randomMap } from '../ascii'

const lesion: PaintOptions = { label: 1, onlyUncertain: false }

function poly(map: LabelMap, points: Point[], opts: PaintOptions = lesion): string {
  const out = cloneMap(map)
  const patch = fillPolygon(out, { points }, opts)
  if (patch) applyPatch(out, patch, 'redo')
  return drawMap(out)
}

const pts = (...xy: number[]): Point[] =>
  Array.from({ length: xy.length / 2 }, (_, i) => ({ x: xy[2 * i], y: xy[2 * i + 1] }))

describe('polygon fill', () => {
  it('samples pixel centres: a rectangle on the pixel grid covers exactly its pixels', () => {
    expect(poly(filledMap(7, 5, 0), pts(1, 1, 5, 1, 5, 3, 1, 3))).toBe(
      pic(`
        .......
        .####..
        .####..
        .......
        .......`),
    )
  })

  it('half-open boundary: centres exactly on the right edge of a span are outside', () => {
    // Hypotenuse x + y = 8 passes through the centres with x + y = 7: they stay unfilled.
    expect(poly(filledMap(8, 8, 0), pts(0, 0, 8, 0, 0, 8))).toBe(
      pic(`
        #######.
        ######..
        #####...
        ####....
        ###.....
        ##......
        #.......
        ........`),
    )
  })

  it('fills concave polygons', () => {
    expect(poly(filledMap(8, 8, 0), pts(1, 1, 7, 1, 7, 3, 3, 3, 3, 5, 7, 5, 7, 7, 1, 7))).toBe(
      pic(`
        ........
        .######.
        .######.
        .##.....
        .##.....
        .######.
        .######.
        ........`),
    )
  })

  it('self-intersecting: both lobes of a bow tie, and the centre of a pentagram (nonzero rule)', () => {
    expect(poly(filledMap(6, 6, 0), pts(0, 0, 6, 6, 6, 0, 0, 6))).toBe(
      pic(`
        .....#
        #...##
        ##.###
        ##.###
        #...##
        .....#`),
    )
    const star = Array.from({ length: 5 }, (_, k) => {
      const a = ((-90 + k * 144) * Math.PI) / 180
      return { x: 10.5 + 10 * Math.cos(a), y: 10.5 + 10 * Math.sin(a) }
    })
    const map = filledMap(21, 21, 0)
    applyPatch(map, fillPolygon(map, { points: star }, lesion)!, 'redo')
    expect(map.data[10 * 21 + 10]).toBe(1) // even-odd would leave the pentagon in the middle empty
    expect(firstDiff(map.data, referencePolygon(filledMap(21, 21, 0), star, lesion).data)).toBe(-1)
  })

  it('a lasso drawn twice around the same area fills it once, the same as drawn once', () => {
    const once = pts(2, 1, 9, 2, 8, 8, 1, 7)
    const twice = [...once, ...once]
    const map = filledMap(10, 10, 255)
    expect(fillPolygon(map, { points: twice }, lesion)).toEqual(fillPolygon(map, { points: once }, lesion))
  })

  it('polygons sharing edges split the pixels without gap or overlap (a triangle fan)', () => {
    const rand = prng(5)
    for (let iter = 0; iter < 200; iter++) {
      const n = 4 + Math.floor(rand() * 8)
      const c = { x: 20 + rand() * 10, y: 20 + rand() * 10 }
      // A star-shaped polygon around c (angle gaps below π), fanned into triangles from c.
      const angles = Array.from({ length: n }, (_, i) => ((i + rand() * 0.8) * 2 * Math.PI) / n)
      const ring = angles.map((a) => {
        const r = 3 + rand() * 25
        return { x: c.x + Math.cos(a) * r, y: c.y + Math.sin(a) * r }
      })
      const w = 50
      const counts = new Uint8Array(w * w)
      for (let i = 0; i < n; i++) {
        const p = fillPolygon(filledMap(w, w, 0), { points: [c, ring[i], ring[(i + 1) % n]] }, lesion)
        if (!p) continue
        for (let r = 0; r < p.runs.length; r += 2) {
          for (let k = 0; k < p.runs[r + 1]; k++) counts[p.runs[r] + k]++
        }
      }
      const whole = filledMap(w, w, 0)
      const patch = fillPolygon(whole, { points: ring }, lesion)
      if (patch) applyPatch(whole, patch, 'redo')
      expect(firstDiff(counts, whole.data)).toBe(-1) // every pixel of the polygon once, no other pixel
    }
  })

  it('matches a reference winding-number test on random polygons, clipped to the map', () => {
    const rand = prng(9)
    let ties = 0
    for (let iter = 0; iter < 300; iter++) {
      const w = 5 + Math.floor(rand() * 40)
      const h = 5 + Math.floor(rand() * 30)
      const map = randomMap(rand, w, h)
      const n = 3 + Math.floor(rand() * 12)
      const points = Array.from({ length: n }, () => ({ x: rand() * (w + 10) - 5, y: rand() * (h + 10) - 5 }))
      const opts: PaintOptions = {
        label: ([0, 1, 255] as const)[Math.floor(rand() * 3)],
        onlyUncertain: rand() < 0.4,
      }
      const out = cloneMap(map)
      const patch = fillPolygon(out, { points }, opts)
      if (patch) {
        expect(allLabels(patch.before) && allLabels(patch.after)).toBe(true)
        expect(patch.before.every((v, i) => v !== patch.after[i])).toBe(true)
        applyPatch(out, patch, 'redo')
      }
      const ref = referencePolygon(map, points, opts)
      for (let i = 0; i < w * h; i++) {
        if (out.data[i] !== ref.data[i]) {
          // Only a centre within rounding distance of an edge may differ.
          expect(nearEdge({ x: (i % w) + 0.5, y: Math.floor(i / w) + 0.5 }, points)).toBe(true)
          ties++
        }
      }
    }
    expect(ties).toBeLessThan(5)
  })

  it('onlyUncertain keeps certain pixels; degenerate input changes nothing', () => {
    const map = parseMap(`
      ??????
      ?.##.?
      ??????`)
    expect(poly(map, pts(0, 0, 6, 0, 6, 3, 0, 3), { label: 0, onlyUncertain: true })).toBe(
      pic(`
        ......
        ..##..
        ......`),
    )
    expect(fillPolygon(map, { points: pts(0, 0, 6, 3) }, lesion)).toBeNull()
    expect(fillPolygon(map, { points: pts(0, 0, 3, 1.5, 6, 3) }, lesion)).toBeNull()
    expect(
      fillPolygon(map, { points: pts(0, 0, 6, 0, 6, 3) }, { label: 255, onlyUncertain: true }),
    ).toBeNull()
    expect(fillPolygon(map, { points: pts(-9, -9, -1, -9, -1, -1) }, lesion)).toBeNull()
    expect(() => fillPolygon(map, { points: pts(0, 0, NaN, 1, 2, 2) }, lesion)).toThrow(RangeError)
  })
})

/** Winding number of the polygon around q (crossing test with the same half-open rule in y). */
function winding(q: Point, points: Point[]): number {
  let wn = 0
  for (let i = 0; i < points.length; i++) {
    const a = points[i]
    const b = points[(i + 1) % points.length]
    const cross = (b.x - a.x) * (q.y - a.y) - (q.x - a.x) * (b.y - a.y)
    if (a.y <= q.y && b.y > q.y && cross > 0) wn++
    else if (b.y <= q.y && a.y > q.y && cross < 0) wn--
  }
  return wn
}

function referencePolygon(map: LabelMap, points: Point[], opts: PaintOptions): LabelMap {
  const out = cloneMap(map)
  for (let y = 0; y < map.height; y++) {
    for (let x = 0; x < map.width; x++) {
      const i = y * map.width + x
      if (winding({ x: x + 0.5, y: y + 0.5 }, points) !== 0 && (!opts.onlyUncertain || map.data[i] === 255)) {
        out.data[i] = opts.label
      }
    }
  }
  return out
}

function nearEdge(q: Point, points: Point[]): boolean {
  return points.some((a, i) => {
    const b = points[(i + 1) % points.length]
    const len = Math.hypot(b.x - a.x, b.y - a.y)
    return Math.abs((b.x - a.x) * (q.y - a.y) - (q.x - a.x) * (b.y - a.y)) / len < 1e-9
  })
}
