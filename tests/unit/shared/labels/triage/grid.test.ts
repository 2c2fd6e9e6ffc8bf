import { describe, expect, it } from 'vitest'
import { componentList, components } from '../../../../../shared/labels/triage/components'
import { analyzeMaskWithRuns } from '../../../../../shared/labels/analysis'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { gridSizeFor, reduceRunsToGrid, reduceToGrid } from '../../../../../shared/labels/triage/grid'

describe('reduceToGrid', () => {
  it('counts each label per cell exactly when cells are small', () => {
    // 6×4 mask → 3×2 grid: 2×2 pixels per cell.
    // prettier-ignore
    const data = Uint8Array.from([
      1, 1,   0, 255,   0, 0,
      1, 0,   0, 255,   0, 0,
      255, 255, 1, 1,   1, 0,
      255, 0,   1, 1,   0, 0,
    ])
    const g = reduceToGrid({ width: 6, height: 4, data }, 3, 2)
    expect([...g.lesion]).toEqual([0.75, 0, 0, 0, 1, 0.25])
    expect([...g.uncertain]).toEqual([0, 0.5, 0, 0.75, 0, 0])
    // Majority: ≥ half lesion → 1, ≥ half background → 0, else uncertain.
    expect([...g.label]).toEqual([1, 0, 0, 255, 1, 0])
    expect(g.scaleX).toBe(2)
    expect(g.scaleY).toBe(2)
  })

  it('samples large cells and still gets the shares of a uniform region right', () => {
    const width = 400
    const height = 200
    const data = new Uint8Array(width * height)
    // Left half lesion, right half uncertain.
    for (let y = 0; y < height; y++)
      data.fill(1, y * width, y * width + 200).fill(255, y * width + 200, (y + 1) * width)
    const g = reduceToGrid({ width, height, data }, 10, 5)
    for (let i = 0; i < 50; i++) {
      const left = i % 10 < 5
      expect(g.lesion[i]).toBe(left ? 1 : 0)
      expect(g.uncertain[i]).toBe(left ? 0 : 1)
    }
  })

  it('refuses a grid larger than the mask', () => {
    expect(() => reduceToGrid({ width: 4, height: 4, data: new Uint8Array(16) }, 5, 4)).toThrow(RangeError)
  })

  it('sizes grids by the longer side, never above the mask', () => {
    expect(gridSizeFor(3008, 2000, 256)).toEqual({ width: 256, height: 170 })
    expect(gridSizeFor(1936, 2592, 256)).toEqual({ width: 191, height: 256 })
    expect(gridSizeFor(100, 50, 256)).toEqual({ width: 100, height: 50 })
  })
})

describe('components', () => {
  it('labels 8-connected components, largest first, with boxes and frame contact', () => {
    // prettier-ignore
    const inside = Uint8Array.from([
      1, 0, 0, 0, 0,
      0, 1, 0, 1, 1,
      0, 0, 0, 1, 1,
      0, 0, 0, 0, 0,
    ])
    const { id, list } = components(5, 4, inside)
    expect(list.map((c) => c.area)).toEqual([4, 2])
    expect(list[0]).toMatchObject({ x0: 3, y0: 1, x1: 4, y1: 2, borderCells: 2 })
    expect(list[1]).toMatchObject({ x0: 0, y0: 0, x1: 1, y1: 1, borderCells: 1 })
    expect(id[0]).toBe(1)
    expect(id[6]).toBe(1)
    expect(id[8]).toBe(0)
    expect(id[2]).toBe(-1)
  })
})

/** A map of blobs, speckle and long runs of every label (deterministic). */
function mixedMap(width: number, height: number, seed: number): LabelMap {
  const data = new Uint8Array(width * height)
  let s = seed
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - width * 0.45, y - height * 0.5) / Math.min(width, height)
      let v = d < 0.25 ? 1 : d < 0.32 ? 255 : 0
      if (rnd() < 0.03) v = [0, 1, 255][Math.floor(rnd() * 3)]
      data[y * width + x] = v
    }
  }
  return { width, height, data }
}

/** The shares counted pixel by pixel: what both reductions must give when they read every pixel. */
function naiveGrid(map: LabelMap, width: number, height: number) {
  const n = width * height
  const l = new Float64Array(n)
  const u = new Float64Array(n)
  const t = new Float64Array(n)
  for (let y = 0; y < map.height; y++) {
    for (let x = 0; x < map.width; x++) {
      const c = Math.floor((y * height) / map.height) * width + Math.floor((x * width) / map.width)
      const v = map.data[y * map.width + x]
      t[c]++
      if (v === 1) l[c]++
      if (v === 255) u[c]++
    }
  }
  return {
    lesion: Float32Array.from(l, (v, i) => v / t[i]),
    uncertain: Float32Array.from(u, (v, i) => v / t[i]),
  }
}

describe('reduceToGrid and reduceRunsToGrid agree with a pixel-by-pixel count', () => {
  // Widths divisible by 4 (word skipping) and not, grids that divide the mask evenly and not.
  const cases: [number, number, number, number][] = [
    [64, 48, 16, 12],
    [67, 50, 20, 13],
    [120, 90, 32, 24],
    [101, 77, 101, 77],
    [240, 180, 64, 48],
  ]
  for (const [mw, mh, gw, gh] of cases) {
    it(`${mw}×${mh} → ${gw}×${gh}`, () => {
      const map = mixedMap(mw, mh, mw * 31 + gw)
      const want = naiveGrid(map, gw, gh)
      const byPixels = reduceToGrid(map, gw, gh)
      const byRuns = reduceRunsToGrid(analyzeMaskWithRuns(map).runs, gw, gh)
      expect(byPixels.lesion).toEqual(want.lesion)
      expect(byPixels.uncertain).toEqual(want.uncertain)
      expect(byRuns).toEqual(byPixels)
    })
  }

  it('reduceRunsToGrid stays exact where reduceToGrid samples (large cells)', () => {
    const map = mixedMap(1000, 600, 7)
    const want = naiveGrid(map, 25, 15)
    const byRuns = reduceRunsToGrid(analyzeMaskWithRuns(map).runs, 25, 15)
    expect(byRuns.lesion).toEqual(want.lesion)
    expect(byRuns.uncertain).toEqual(want.uncertain)
    // The sampled estimate is close on average, not equal.
    const sampled = reduceToGrid(map, 25, 15)
    expect(sampled.lesion).not.toEqual(want.lesion)
    let err = 0
    for (let i = 0; i < want.lesion.length; i++) err += Math.abs(sampled.lesion[i] - want.lesion[i])
    expect(err / want.lesion.length).toBeLessThan(0.03)
  })

  it('reduceRunsToGrid refuses a grid larger than the mask', () => {
    const runs = analyzeMaskWithRuns({ width: 4, height: 4, data: new Uint8Array(16) }).runs
    expect(() => reduceRunsToGrid(runs, 5, 4)).toThrow(RangeError)
  })
})

/** The plain 8-neighbour flood fill `components` replaced by runs: the reference it must equal. */
function floodComponents(width: number, height: number, inside: Uint8Array) {
  const n = width * height
  const id = new Int32Array(n).fill(-1)
  const raw: {
    area: number
    x0: number
    y0: number
    x1: number
    y1: number
    borderCells: number
    sx: number
    sy: number
  }[] = []
  for (let start = 0; start < n; start++) {
    if (inside[start] === 0 || id[start] >= 0) continue
    const k = raw.length
    const c = { area: 0, x0: width, y0: height, x1: -1, y1: -1, borderCells: 0, sx: 0, sy: 0 }
    const stack = [start]
    id[start] = k
    while (stack.length > 0) {
      const i = stack.pop() as number
      const y = Math.floor(i / width)
      const x = i - y * width
      c.area++
      c.sx += x
      c.sy += y
      c.x0 = Math.min(c.x0, x)
      c.x1 = Math.max(c.x1, x)
      c.y0 = Math.min(c.y0, y)
      c.y1 = Math.max(c.y1, y)
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) c.borderCells++
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx
          const yy = y + dy
          if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue
          const j = yy * width + xx
          if (inside[j] !== 0 && id[j] < 0) {
            id[j] = k
            stack.push(j)
          }
        }
    }
    raw.push(c)
  }
  const order = raw.map((_, k) => k).sort((a, b) => raw[b].area - raw[a].area || a - b)
  const rank = new Int32Array(raw.length)
  order.forEach((k, r) => (rank[k] = r))
  for (let i = 0; i < n; i++) if (id[i] >= 0) id[i] = rank[id[i]]
  return { id, list: order.map((k) => raw[k]) }
}

describe('components by runs equal a flood fill', () => {
  // Densities from sparse specks to nearly full; shapes 1 wide or 1 high included.
  const shapes: [number, number][] = [
    [1, 1],
    [1, 9],
    [9, 1],
    [2, 2],
    [7, 5],
    [32, 24],
    [33, 17],
  ]
  for (const [w, h] of shapes) {
    for (const density of [0.1, 0.35, 0.6, 0.9]) {
      it(`${w}×${h} at density ${density}`, () => {
        let s = w * 7919 + h * 104_729 + Math.round(density * 100)
        const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24)
        for (let trial = 0; trial < 20; trial++) {
          const inside = Uint8Array.from({ length: w * h }, () => (rnd() < density ? 1 : 0))
          expect(components(w, h, inside)).toEqual(floodComponents(w, h, inside))
        }
      })
    }
  }
})

describe('componentList', () => {
  it('is the list of components, without ids', () => {
    const inside = Uint8Array.from([1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0])
    expect(componentList(4, 3, inside)).toEqual(components(4, 3, inside).list)
  })
})
