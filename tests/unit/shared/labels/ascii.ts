/**
 * Label maps as ASCII pictures for tests: '.' 0 background, '#' 1 lesion, '?' 255 uncertain.
 * Blank lines and indentation are ignored, so pictures can sit in indented template literals.
 */
import { findInvalidLabel, type LabelMap } from '../../../../shared/labels/codes'

const CODE: Record<string, number> = { '.': 0, '#': 1, '?': 255 }
const CHAR: Record<number, string> = { 0: '.', 1: '#', 255: '?' }

export function parseMap(picture: string): LabelMap {
  const rows = picture
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
  const width = rows[0].length
  const data = new Uint8Array(width * rows.length)
  rows.forEach((row, y) => {
    if (row.length !== width) throw new Error(`row ${y} has ${row.length} columns, expected ${width}`)
    for (let x = 0; x < width; x++) {
      const v = CODE[row[x]]
      if (v === undefined) throw new Error(`unknown character ${row[x]}`)
      data[y * width + x] = v
    }
  })
  return { width, height: rows.length, data }
}

/** The map as a picture, one trimmed row per line (other values show as 'X'). */
export function drawMap(map: LabelMap): string {
  const rows: string[] = []
  for (let y = 0; y < map.height; y++) {
    let row = ''
    for (let x = 0; x < map.width; x++) row += CHAR[map.data[y * map.width + x]] ?? 'X'
    rows.push(row)
  }
  return rows.join('\n')
}

/** The picture normalised like drawMap's output, for toBe comparisons. */
export function pic(picture: string): string {
  return drawMap(parseMap(picture))
}

/** A map filled with one value. */
export function filledMap(width: number, height: number, value: number): LabelMap {
  return { width, height, data: new Uint8Array(width * height).fill(value) }
}

export function cloneMap(map: LabelMap): LabelMap {
  return { width: map.width, height: map.height, data: map.data.slice() }
}

/** True when every byte is 0, 1 or 255. */
export function allLabels(data: Uint8Array): boolean {
  return findInvalidLabel(data) === -1
}

/** Deterministic PRNG (mulberry32): floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A random map of blobs: mostly 255 with patches of 0 and 1 (like a weak mask). */
export function randomMap(rand: () => number, width: number, height: number): LabelMap {
  const map = filledMap(width, height, 255)
  const blobs = 2 + Math.floor(rand() * 6)
  for (let b = 0; b < blobs; b++) {
    const cx = rand() * width
    const cy = rand() * height
    const r = 1 + rand() * Math.min(width, height) * 0.4
    const v = rand() < 0.5 ? 0 : 1
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) map.data[y * width + x] = v
      }
    }
  }
  // Sprinkle single pixels so runs and regions get ragged.
  for (let i = 0; i < (width * height) / 10; i++) {
    map.data[Math.floor(rand() * width * height)] = [0, 1, 255][Math.floor(rand() * 3)]
  }
  return map
}

/** Index of the first differing byte, or -1 when equal (fast; toEqual on big typed arrays is slow). */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length)
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i
  return -1
}
