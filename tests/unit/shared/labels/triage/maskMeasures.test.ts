import { describe, expect, it } from 'vitest'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { componentList } from '../../../../../shared/labels/triage/components'
import { gridOf, reduceToGrid, type LabelGrid } from '../../../../../shared/labels/triage/grid'
import { lesionRegion, maskMeasures } from '../../../../../shared/labels/triage/maskMeasures'
import { clutteredMap, discMap } from './fixtures'

/** A map drawn as rows: '.' background, 'L' lesion, 'U' uncertain. */
function drawn(rows: string[]): LabelMap {
  const data = Uint8Array.from(rows.join(''), (c) => (c === 'L' ? 1 : c === 'U' ? 255 : 0))
  return { width: rows[0].length, height: rows.length, data }
}

/**
 * The region by its definition, by brute force: certain lesion, and each uncertain cell whose
 * nearest certain lesion cell is at most as far as its nearest certain background cell (all of
 * the uncertain cells when one side is missing).
 */
function regionByDefinition(grid: LabelGrid): Uint8Array {
  const { width, label } = grid
  const cells = (v: number) => [...label.keys()].filter((i) => label[i] === v)
  const lesion = cells(1)
  const background = cells(0)
  const nearest = (i: number, sites: number[]) => {
    let best = Infinity
    for (const j of sites) {
      const dx = (i % width) - (j % width)
      const dy = Math.floor(i / width) - Math.floor(j / width)
      best = Math.min(best, dx * dx + dy * dy)
    }
    return best
  }
  return label.map((v, i) => {
    if (v !== 255) return v === 1 ? 1 : 0
    if (lesion.length === 0 || background.length === 0) return 1
    return nearest(i, lesion) <= nearest(i, background) ? 1 : 0
  })
}

/** Share of the certain lesion an opening with the disc of radius 1.5 removes, by its definition. */
function thinByDefinition(grid: LabelGrid): number {
  const { width, height, label } = grid
  const set = label.map((v) => (v === 1 ? 1 : 0))
  const total = set.reduce((a, b) => a + b, 0)
  if (total === 0 || total === set.length) return 0
  // Every grid cell of the disc around (x, y) passes `test`.
  const disc = (x: number, y: number, test: (j: number) => boolean, every: boolean) => {
    const hits: boolean[] = []
    for (let dy = -2; dy <= 2; dy++)
      for (let dx = -2; dx <= 2; dx++) {
        const xx = x + dx
        const yy = y + dy
        if (dx * dx + dy * dy > 2.25 || xx < 0 || yy < 0 || xx >= width || yy >= height) continue
        hits.push(test(yy * width + xx))
      }
    return every ? hits.every(Boolean) : hits.some(Boolean)
  }
  const at = (i: number) => [i % width, Math.floor(i / width)] as const
  const eroded = set.map((s, i) => (s && disc(...at(i), (j) => set[j] === 1, true) ? 1 : 0))
  if (!eroded.includes(1)) return 1
  let kept = 0
  set.forEach((s, i) => {
    if (s && disc(...at(i), (j) => eroded[j] === 1, false)) kept++
  })
  return 1 - kept / total
}

/** Cluttered maps 1 to 80, each reduced to grids of the given sizes. */
function* clutteredGrids(...sizes: [number, number][]) {
  for (let seed = 1; seed <= 80; seed++) {
    const map = clutteredMap(seed)
    for (const [w, h] of sizes) yield { seed, w, h, grid: reduceToGrid(map, w, h) }
  }
}

/** The bounding box of the region's cells on the grid's frame, by its definition. */
function frameBoxByDefinition(grid: LabelGrid, inside: Uint8Array) {
  const { width, height } = grid
  const xs: number[] = []
  const ys: number[] = []
  inside.forEach((v, i) => {
    const x = i % width
    const y = Math.floor(i / width)
    if (v && (x === 0 || y === 0 || x === width - 1 || y === height - 1)) {
      xs.push(x)
      ys.push(y)
    }
  })
  if (xs.length === 0) return undefined
  const [x, y] = [Math.min(...xs), Math.min(...ys)]
  return { x, y, w: Math.max(...xs) - x + 1, h: Math.max(...ys) - y + 1 }
}

describe('lesionRegion', () => {
  it('is the region by its definition on cluttered maps (80 maps, 2 grids), with its components', () => {
    let split = 0
    for (const { seed, w, h, grid } of clutteredGrids([32, 24], [40, 30])) {
      const region = lesionRegion(grid)
      const want = regionByDefinition(grid)
      // Typed arrays compared as bytes (toEqual walks them element by element, slowly).
      expect(Buffer.from(region.inside).equals(Buffer.from(want)), `seed ${seed}, ${w}×${h}`).toBe(true)
      expect(region.area).toBe(want.reduce((a, b) => a + b, 0))
      expect(region.list).toEqual(componentList(w, h, want))
      // Some uncertain cells fall outside: the nearer side is really decided.
      if (grid.label.some((v, i) => v === 255 && !want[i])) split++
    }
    expect(split).toBeGreaterThan(40)
  })

  it('is the region by its definition where uncertain covers most of the map (distance transforms past the ring budget)', () => {
    // Every uncertain cell is tens of cells from either side: the rings read far more than the
    // budget (8 reads per cell) after a few dozen cells, so the rest are decided by the transforms.
    for (let seed = 1; seed <= 5; seed++) {
      const map = discMap({
        extra: (x, y) => {
          if (Math.abs(x - 10 * seed) < 3 && Math.abs(y - 10) < 3) return 1
          if (Math.abs(x - 100) < 3 && Math.abs(y - 10 * seed) < 3) return 0
          if ((x * 7 + y * 13 + seed) % 97 === 0) return (x + y) % 2 ? 1 : 0
          return 255
        },
      })
      const grid = reduceToGrid(map, 60, 45)
      const inside = lesionRegion(grid).inside
      expect(Buffer.from(inside).equals(Buffer.from(regionByDefinition(grid))), `seed ${seed}`).toBe(true)
    }
  })

  it('takes a tie to the lesion, and the uncertain cells when a side is missing', () => {
    // The middle cell is 1 from either side.
    expect([...lesionRegion(gridOf(drawn(['LU.']))).inside]).toEqual([1, 1, 0])
    expect([...lesionRegion(gridOf(drawn(['L.U']))).inside]).toEqual([1, 0, 0])
    expect([...lesionRegion(gridOf(drawn(['.UU.', '..U.']))).inside]).toEqual([0, 1, 1, 0, 0, 0, 1, 0])
    expect([...lesionRegion(gridOf(drawn(['LUU', 'UUL']))).inside]).toEqual([1, 1, 1, 1, 1, 1])
  })
})

describe('maskMeasures', () => {
  it('measures components, frame contact and holes of a hand-drawn map', () => {
    const grid = gridOf(
      drawn([
        '............',
        '.LLLLL......',
        '.L...L......',
        '.LLLLL....LL',
        '..........LL',
        '............',
        '..U.........',
        '............',
      ]),
    )
    const region = lesionRegion(grid)
    // The lone uncertain cell is nearer to background: the region is the ring (12) and the block (4).
    expect(region.area).toBe(16)
    const m = maskMeasures(grid, region)
    const frame = 2 * (12 + 8) - 4
    expect(m).toEqual({
      lesionShare: (16 + 1 / 2) / 96,
      uncertainShare: 1 / 17,
      otherComponentShare: 4 / 16,
      otherComponents: 1,
      mainBorderShare: 0,
      otherBorderShare: 2 / frame,
      // No cell has its whole 3×3 neighbourhood lesion: the opening removes everything.
      thinLesion: 1,
      // Non-background components: the ring (12), the block (4), the uncertain cell (1).
      otherPossibleShare: 5 / 12,
      thinOther: 0,
      holeShare: 3 / 16,
      regions: {
        otherComponent: { x: 10, y: 3, w: 2, h: 2 },
        border: { x: 11, y: 3, w: 1, h: 2 },
        hole: { x: 2, y: 2, w: 3, h: 1 },
      },
    })
  })

  it('measures thin lesion and thin stray clutter', () => {
    const grid = gridOf(
      drawn([
        '............',
        '.LLLLL......',
        '.LLLLL......',
        '.LLLLLLLLL..',
        '.LLLLL......',
        '.LLLLL...U..',
        '........U...',
        '.......U....',
        '......U.....',
      ]),
    )
    const m = maskMeasures(grid, lesionRegion(grid))
    // The opening keeps the 5×5 block and removes the 4-cell stroke.
    expect(m.thinLesion).toBe(1 - 25 / 29)
    // The diagonal of 4 uncertain cells fills 4 of its 4×4 box.
    expect(m.thinOther).toBe(0.75)
    expect(m.otherPossibleShare).toBe(4 / 29)
    expect(m.otherComponents).toBe(0)
    expect(m.regions.otherComponent).toEqual({ x: 6, y: 5, w: 4, h: 4 })
    expect(m.regions.border).toBeUndefined()
    expect(m.regions.hole).toBeUndefined()
  })

  it('gives the opening’s share and the frame box by their definitions on cluttered maps (80 maps, 2 grids)', () => {
    let thin = 0
    let border = 0
    for (const { seed, w, h, grid } of clutteredGrids([32, 24], [120, 90])) {
      const region = lesionRegion(grid)
      const m = maskMeasures(grid, region)
      expect(m.thinLesion, `seed ${seed}, ${w}×${h}`).toBe(thinByDefinition(grid))
      expect(m.regions.border).toEqual(frameBoxByDefinition(grid, region.inside))
      if (m.thinLesion > 0 && m.thinLesion < 1) thin++
      if (m.regions.border) border++
    }
    expect(thin).toBeGreaterThan(40)
    expect(border).toBeGreaterThan(20)
  })

  it('measures maps of one label', () => {
    const of = (v: number) => {
      const grid = reduceToGrid({ width: 40, height: 30, data: new Uint8Array(1200).fill(v) }, 20, 15)
      return maskMeasures(grid, lesionRegion(grid))
    }
    const empty = of(0)
    expect([empty.lesionShare, empty.uncertainShare, empty.otherComponents, empty.thinLesion]).toEqual([
      0, 0, 0, 0,
    ])
    expect(empty.regions).toEqual({ otherComponent: undefined, border: undefined, hole: undefined })
    const full = of(1)
    expect([full.lesionShare, full.uncertainShare, full.mainBorderShare, full.thinLesion]).toEqual([
      1, 0, 1, 0,
    ])
    expect(full.regions.border).toEqual({ x: 0, y: 0, w: 20, h: 15 })
    const unsure = of(255)
    expect([unsure.lesionShare, unsure.uncertainShare, unsure.mainBorderShare]).toEqual([0.5, 1, 1])
  })
})
