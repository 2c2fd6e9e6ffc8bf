import { describe, expect, it } from 'vitest'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { applyPatch } from '../../../../../shared/labels/patch'
import { floodFill } from '../../../../../shared/labels/tools/fill'
import type { PaintOptions } from '../../../../../shared/labels/tools/paint'
import { allLabels, cloneMap, drawMap, filledMap, firstDiff, parseMap, pic, prng, randomMap } from '../ascii'

function fill(map: LabelMap, x: number, y: number, opts: PaintOptions): string {
  const out = cloneMap(map)
  const patch = floodFill(out, { seed: { x, y } }, opts)
  if (patch) applyPatch(out, patch, 'redo')
  return drawMap(out)
}

const lesion: PaintOptions = { label: 1, onlyUncertain: false }

describe('flood fill', () => {
  it('fills the 4-connected region and does not leak through diagonal gaps', () => {
    // The top-left corner touches the rest only diagonally.
    const map = parseMap(`
      ??.?
      ?.??
      .???`)
    expect(fill(map, 0.5, 0.5, lesion)).toBe(
      pic(`
        ##.?
        #.??
        .???`),
    )
    expect(fill(map, 3.5, 2.5, lesion)).toBe(
      pic(`
        ??.#
        ?.##
        .###`),
    )
  })

  it('wraps around concave shapes and skips enclosed pockets', () => {
    const map = parseMap(`
      ?????????
      ?###.###?
      ?#?????#?
      ?#?###?#?
      ?#?#?#?#?
      ???#?#???`)
    expect(fill(map, 2.5, 2.5, { label: 0, onlyUncertain: true })).toBe(
      pic(`
        .........
        .###.###.
        .#.....#.
        .#.###.#.
        .#.#?#.#.
        ...#?#...`),
    )
  })

  it('onlyUncertain: a fill from a certain pixel does nothing; off, it fills certain regions', () => {
    const map = parseMap(`
      ##??
      #.??
      ??..`)
    expect(floodFill(map, { seed: { x: 0.5, y: 0.5 } }, { label: 0, onlyUncertain: true })).toBeNull()
    expect(fill(map, 0.5, 0.5, { label: 0, onlyUncertain: false })).toBe(
      pic(`
        ..??
        ..??
        ??..`),
    )
    expect(fill(map, 3, 0, { label: 1, onlyUncertain: true })).toBe(
      pic(`
        ####
        #.##
        ??..`),
    )
  })

  it('returns null for a seed outside the map or already of the label', () => {
    const map = filledMap(3, 3, 1)
    expect(floodFill(map, { seed: { x: -0.1, y: 1 } }, lesion)).toBeNull()
    expect(floodFill(map, { seed: { x: 1, y: 3 } }, lesion)).toBeNull()
    expect(floodFill(map, { seed: { x: 1, y: 1 } }, lesion)).toBeNull()
    expect(() => floodFill(map, { seed: { x: Infinity, y: 1 } }, lesion)).toThrow(RangeError)
  })

  it('matches a reference BFS on random maps, with minimal label-only patches', () => {
    const rand = prng(3)
    for (let iter = 0; iter < 300; iter++) {
      const w = 1 + Math.floor(rand() * 70)
      const h = 1 + Math.floor(rand() * 30)
      const map = randomMap(rand, w, h)
      const sx = Math.floor(rand() * w)
      const sy = Math.floor(rand() * h)
      const opts: PaintOptions = {
        label: ([0, 1, 255] as const)[Math.floor(rand() * 3)],
        onlyUncertain: rand() < 0.3,
      }
      const expected = referenceFill(map, sx, sy, opts)
      const out = cloneMap(map)
      const patch = floodFill(out, { seed: { x: sx + rand(), y: sy + rand() } }, opts)
      if (patch) {
        expect(allLabels(patch.before) && allLabels(patch.after)).toBe(true)
        expect(patch.before.every((v, i) => v !== patch.after[i])).toBe(true)
        applyPatch(out, patch, 'redo')
      }
      expect(firstDiff(out.data, expected.data)).toBe(-1)
      expect(patch === null).toBe(expected.data.every((v, i) => v === map.data[i]))
    }
  })

  it('fills a full 6000×4000 map and a one-pixel-wide comb', () => {
    const big = filledMap(6000, 4000, 255)
    const patch = floodFill(big, { seed: { x: 10, y: 10 } }, lesion)!
    expect(patch.rect).toEqual({ x: 0, y: 0, width: 6000, height: 4000 })
    expect(patch.before.length).toBe(24_000_000)
    expect(patch.runs.length).toBe(2 * 4000)

    // Teeth of one pixel joined at the bottom: many spans per row, one region.
    const w = 401
    const h = 300
    const comb = filledMap(w, h, 0)
    for (let y = 0; y < h - 1; y++) for (let x = 1; x < w; x += 2) comb.data[y * w + x] = 1
    const p = floodFill(comb, { seed: { x: 0, y: 0 } }, { label: 255, onlyUncertain: false })!
    expect(p.before.length).toBe(((w + 1) / 2) * (h - 1) + w)
  })
})

/** Straightforward BFS with a visited array. */
function referenceFill(map: LabelMap, sx: number, sy: number, opts: PaintOptions): LabelMap {
  const out = cloneMap(map)
  const { width, height, data } = map
  const v = data[sy * width + sx]
  if (v === opts.label || (opts.onlyUncertain && v !== 255)) return out
  const seen = new Uint8Array(width * height)
  const queue = [sy * width + sx]
  seen[queue[0]] = 1
  while (queue.length) {
    const i = queue.pop()!
    out.data[i] = opts.label
    const x = i % width
    const y = Math.floor(i / width)
    for (const [nx, ny] of [
      [x - 1, y],
      [x + 1, y],
      [x, y - 1],
      [x, y + 1],
    ]) {
      const j = ny * width + nx
      if (nx >= 0 && ny >= 0 && nx < width && ny < height && !seen[j] && data[j] === v) {
        seen[j] = 1
        queue.push(j)
      }
    }
  }
  return out
}
