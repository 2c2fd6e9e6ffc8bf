import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { LabelMap } from '../../../../../shared/labels/codes'
import type { LabelRuns } from '../../../../../shared/labels/analysis'
import { decodeMaskPng } from '../../../../../electron/services/mask/maskPng'
import {
  maskStatsWithRuns,
  saveStatsWithRuns,
  transitionsBetweenRuns,
} from '../../../../../electron/services/mask/maskStats'

/** The reference of the save's fast path: maskStatsWithRuns, then transitionsBetweenRuns. */
function reference(map: LabelMap, previous?: LabelRuns) {
  const { stats, runs } = maskStatsWithRuns(map, 'm.png')
  return { stats, runs, transitions: previous && transitionsBetweenRuns(previous, runs) }
}

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/**
 * A random map of one of several shapes: noise, long runs (uniform words), a blob with a ragged
 * band, one label only; in a buffer at `offset` (an unaligned view when offset % 4 ≠ 0).
 */
function randomCase(seed: number, width: number, height: number, offset: number): LabelMap {
  const next = rng(seed)
  const backing = new Uint8Array(width * height + offset)
  const data = backing.subarray(offset)
  const kind = seed % 5
  const labels = [0, 1, 255]
  if (kind === 0) {
    for (let i = 0; i < data.length; i++) data[i] = labels[Math.floor(next() * 3)]
  } else if (kind === 1) {
    for (let i = 0; i < data.length;) {
      const len = 1 + Math.floor(next() * next() * 40)
      data.fill(labels[Math.floor(next() * 3)], i, i + len)
      i += len
    }
  } else if (kind === 2) {
    const cx = width * next()
    const cy = height * next()
    const r = Math.max(1, Math.min(width, height) * (0.2 + 0.3 * next()))
    const band = 1 + r * 0.2 * next()
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const d = Math.hypot(x - cx, y - cy)
        const i = y * width + x
        data[i] = d <= r ? 1 : d <= r + band ? 255 : 0
        // A ragged band: some of its pixels corrected to 1 or 0.
        if (data[i] === 255 && next() < 0.4) data[i] = next() < 0.5 ? 1 : 0
      }
    }
  } else {
    data.fill(labels[seed % 3])
  }
  return { width, height, data }
}

describe('saveStatsWithRuns', () => {
  it('equals maskStatsWithRuns and transitionsBetweenRuns on 240 random maps (odd widths, unaligned views)', () => {
    const sizes = [
      [1, 1],
      [1, 7],
      [7, 1],
      [3, 3],
      [5, 9],
      [13, 11],
      [31, 17],
      [64, 40],
      [97, 61],
      [257, 33],
    ]
    for (let seed = 0; seed < 240; seed++) {
      const [width, height] = sizes[seed % sizes.length]
      const map = randomCase(seed + 1, width, height, seed % 7)
      expect(saveStatsWithRuns(map, 'm.png')).toEqual(reference(map))
      // As the save of a new version of a mask: its transitions from the previous version's runs.
      const previous = maskStatsWithRuns(randomCase(seed + 1000, width, height, 0)).runs
      expect(saveStatsWithRuns(map, 'm.png', previous)).toEqual(reference(map, previous))
    }
  })

  it('one-label maps and a 1-pixel map give the exact counts', () => {
    for (const v of [0, 1, 255]) {
      const map = { width: 4099, height: 3, data: new Uint8Array(4099 * 3).fill(v) }
      const fast = saveStatsWithRuns(map)
      expect(fast).toEqual(reference(map))
      expect(fast.stats.lesionComponents + fast.stats.uncertainComponents).toBe(v === 0 ? 0 : 1)
    }
    const one = { width: 1, height: 1, data: Uint8Array.of(255) }
    expect(saveStatsWithRuns(one).stats).toMatchObject({ uncertain: 1, uncertainComponents: 1 })
  })

  it('a bad value at the first, a middle or the last byte throws the same mask-values error', () => {
    for (const [width, height] of [
      [1, 1],
      [5, 3],
      [130, 9],
    ]) {
      for (const at of [0, Math.floor((width * height) / 2), width * height - 1]) {
        for (const bad of [2, 128, 254]) {
          for (const offset of [0, 1]) {
            const map = randomCase(at + bad, width, height, offset)
            map.data[at] = bad
            let want: unknown
            try {
              maskStatsWithRuns(map, 'm.png')
            } catch (err) {
              want = err
            }
            expect(want).toMatchObject({ code: 'mask-values' })
            expect(() => saveStatsWithRuns(map, 'm.png')).toThrow(want as Error)
            expect(() => saveStatsWithRuns(map, 'm.png')).toThrowError(
              expect.objectContaining({ code: 'mask-values' }),
            )
          }
        }
      }
    }
  })

  it('a map whose data does not match its size throws mask-size; previous runs of another size a RangeError', () => {
    expect(() => saveStatsWithRuns({ width: 3, height: 3, data: new Uint8Array(8) })).toThrowError(
      expect.objectContaining({ code: 'mask-size' }),
    )
    const runs = saveStatsWithRuns({ width: 3, height: 2, data: new Uint8Array(6) }).runs
    expect(() => saveStatsWithRuns({ width: 2, height: 3, data: new Uint8Array(6) }, 'm.png', runs)).toThrow(
      RangeError,
    )
  })

  const DEV = path.resolve(import.meta.dirname, '../../../../../../shared/isic-dev/masks')
  const hasDev = existsSync(DEV)
  it.skipIf(!hasDev)(
    `equals the reference on real ISIC masks turned into weak maps (0/255 → 0/1, a band of 255, a ragged correction)${hasDev ? '' : ' (skipped: ../shared/isic-dev is absent)'}`,
    () => {
      const files = readdirSync(DEV)
        .filter((f) => f.endsWith('.png'))
        .sort()
        .slice(0, 4)
      expect(files.length).toBeGreaterThan(0)
      for (const f of files) {
        const truth = decodeMaskPng(readFileSync(path.join(DEV, f)), f)
        const { width, height } = truth
        const lesion = truth.data.map((v) => (v === 255 ? 1 : 0))
        // A band of 255: pixels within 6 columns or rows of a lesion boundary.
        const weak = lesion.slice()
        for (let y = 0; y < height; y++) {
          for (let x = 1; x < width; x++) {
            const i = y * width + x
            if (lesion[i] !== lesion[i - 1])
              weak.fill(255, Math.max(y * width, i - 6), Math.min((y + 1) * width, i + 6))
            if (y > 0 && lesion[i] !== lesion[i - width]) {
              for (let d = -6; d < 6; d++) if (y + d >= 0 && y + d < height) weak[i + d * width] = 255
            }
          }
        }
        // The curator's correction: a third of the band resolved to 1, another third to 0.
        const fixed = weak.map((v, i) => (v === 255 && i % 3 !== 0 ? (i % 3 === 1 ? 1 : 0) : v))
        const before = saveStatsWithRuns({ width, height, data: weak }, f)
        expect(before).toEqual(reference({ width, height, data: weak }))
        expect(before.stats.uncertain).toBeGreaterThan(0)
        const after = saveStatsWithRuns({ width, height, data: fixed }, f, before.runs)
        expect(after).toEqual(reference({ width, height, data: fixed }, before.runs))
        expect(after.transitions?.length).toBeGreaterThan(0)
      }
    },
  )
})
