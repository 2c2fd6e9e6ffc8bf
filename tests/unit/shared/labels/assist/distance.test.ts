import { describe, expect, it } from 'vitest'
import { indexDistance2, nearestSite } from '../../../../../shared/labels/assist/distance'
import { mulberry32 } from '../../../../../electron/services/demo/prng'

describe('nearestSite (exact Euclidean feature transform)', () => {
  it('finds a nearest site for every pixel, at the brute-force distance', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = mulberry32(seed)
      const W = 1 + Math.floor(rng() * 23)
      const H = 1 + Math.floor(rng() * 17)
      const density = [0.01, 0.05, 0.3][seed % 3]
      const site = new Uint8Array(W * H)
      const sites: number[] = []
      for (let i = 0; i < W * H; i++) {
        if (rng() < density) {
          site[i] = 1
          sites.push(i)
        }
      }
      const out = nearestSite(W, H, site)
      if (sites.length === 0) {
        expect(Array.from(out).every((v) => v === -1)).toBe(true)
        continue
      }
      for (let i = 0; i < W * H; i++) {
        expect(site[out[i]], `seed ${seed} pixel ${i}`).toBe(1)
        const best = Math.min(...sites.map((j) => indexDistance2(W, i, j)))
        expect(indexDistance2(W, i, out[i]), `seed ${seed} pixel ${i}`).toBe(best)
      }
    }
  })

  it('breaks every tie towards the smaller column, then the smaller row (brute force)', () => {
    // Sparse sites on a coarse lattice: many pixels have several nearest sites at the same distance.
    for (let seed = 1; seed <= 30; seed++) {
      const rng = mulberry32(100 + seed)
      const W = 2 + Math.floor(rng() * 30)
      const H = 2 + Math.floor(rng() * 20)
      const site = new Uint8Array(W * H)
      const sites: number[] = []
      for (let i = 0; i < W * H; i++) {
        const y = Math.floor(i / W)
        if ((i - y * W) % 2 === 0 && y % 2 === 0 && rng() < 0.15) {
          site[i] = 1
          sites.push(i)
        }
      }
      if (sites.length === 0) continue
      const out = nearestSite(W, H, site)
      for (let i = 0; i < W * H; i++) {
        let best = sites[0]
        for (const j of sites) {
          const d = indexDistance2(W, i, j) - indexDistance2(W, i, best)
          const col = (j % W) - (best % W)
          if (d < 0 || (d === 0 && (col < 0 || (col === 0 && j < best)))) best = j
        }
        expect(out[i], `seed ${seed} pixel ${i}`).toBe(best)
      }
    }
  })

  it('maps a site to itself and breaks ties deterministically', () => {
    const site = new Uint8Array([1, 0, 0, 0, 1])
    expect(Array.from(nearestSite(5, 1, site))).toEqual([0, 0, 0, 4, 4])
    const column = new Uint8Array([1, 0, 1])
    expect(Array.from(nearestSite(1, 3, column))).toEqual([0, 0, 2])
  })

  it('rejects a mask of the wrong size', () => {
    expect(() => nearestSite(3, 3, new Uint8Array(8))).toThrow(RangeError)
  })
})
