import { describe, expect, it } from 'vitest'
import type { Binary } from '../../../../bench/triage/devSet'
import { CORRUPTIONS, corruptPair, rngFrom, weakMap } from '../../../../bench/triage/weakMaps'

const W = 480
const H = 360
function disc(cx: number, cy: number, r: number): Binary {
  const data = new Uint8Array(W * H)
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) data[y * W + x] = Math.hypot(x - cx, y - cy) < r ? 1 : 0
  return { width: W, height: H, data }
}
const truth = disc(240, 180, 90)
const image = { width: 240, height: 180, data: new Uint8Array(240 * 180 * 3).fill(180) }
const labelsOf = (d: Uint8Array): number[] => [...new Set(d)].sort((a, b) => a - b)

describe('weak maps for the triage evaluation', () => {
  it('are deterministic per seed, hold only 0/1/255, and put a band along the boundary', () => {
    const a = weakMap(truth, rngFrom(7))
    expect(weakMap(truth, rngFrom(7)).data).toEqual(a.data)
    expect(weakMap(truth, rngFrom(8)).data).not.toEqual(a.data)
    expect(labelsOf(a.data)).toEqual([0, 1, 255])
    expect(a.data[180 * W + 240]).toBe(1)
    expect(a.data[5 * W + 5]).not.toBe(1)
    // On the true boundary the map is mostly uncertain.
    let band = 0
    let n = 0
    for (let k = 0; k < 360; k += 5) {
      const x = Math.round(240 + 90 * Math.cos((k * Math.PI) / 180))
      const y = Math.round(180 + 90 * Math.sin((k * Math.PI) / 180))
      n++
      if (a.data[y * W + x] === 255) band++
    }
    expect(band / n).toBeGreaterThan(0.6)
  })

  it.each(CORRUPTIONS)('%s changes the map (and only artefacts the image), labels stay 0/1/255', (kind) => {
    const clean = weakMap(truth, rngFrom(3))
    const bad = corruptPair(kind, truth, image, [disc(90, 90, 45)], rngFrom(3))
    expect(bad.map.data).not.toEqual(clean.data)
    for (const v of labelsOf(bad.map.data)) expect([0, 1, 255]).toContain(v)
    const drawn = ['vignette', 'ruler', 'hair', 'sticker'].includes(kind)
    expect(bad.image.data !== image.data).toBe(drawn)
    if (drawn) expect(bad.image.data).not.toEqual(image.data)
  })
})
