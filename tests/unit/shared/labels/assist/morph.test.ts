import { describe, expect, it } from 'vitest'
import { closing, rankFilter } from '../../../../../shared/labels/assist/morph'
import { mulberry32 } from '../../../../../electron/services/demo/prng'

function bruteRank(
  src: Float32Array,
  W: number,
  H: number,
  C: number,
  r: number,
  isMax: boolean,
): Float32Array {
  const out = new Float32Array(src.length)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < C; c++) {
        let v = isMax ? -Infinity : Infinity
        for (let yy = Math.max(0, y - r); yy <= Math.min(H - 1, y + r); yy++) {
          for (let xx = Math.max(0, x - r); xx <= Math.min(W - 1, x + r); xx++) {
            const s = src[(yy * W + xx) * C + c]
            v = isMax ? Math.max(v, s) : Math.min(v, s)
          }
        }
        out[(y * W + x) * C + c] = v
      }
    }
  }
  return out
}

describe('rankFilter / closing', () => {
  it('equals a brute-force square max and min filter, clamped at the borders', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rng = mulberry32(seed)
      const W = 1 + Math.floor(rng() * 20)
      const H = 1 + Math.floor(rng() * 15)
      const C = seed % 2 === 0 ? 1 : 3
      const r = Math.floor(rng() * 5)
      const src = new Float32Array(W * H * C)
      for (let i = 0; i < src.length; i++) src[i] = Math.floor(rng() * 256)
      for (const isMax of [true, false]) {
        expect(Array.from(rankFilter(src, W, H, C, r, isMax)), `seed ${seed}`).toEqual(
          Array.from(bruteRank(src, W, H, C, r, isMax)),
        )
      }
    }
  })

  it('closing removes a dark line thinner than the window and keeps a step edge', () => {
    const W = 20
    const H = 12
    const src = new Float32Array(W * H)
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) src[y * W + x] = x < 10 ? 50 : 200
    for (let y = 0; y < H; y++) src[y * W + 15] = 10 // a 1-pixel dark line on the bright side
    const out = closing(src, W, H, 1, 1)
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) expect(out[y * W + x]).toBe(x < 10 ? 50 : 200)
    }
  })
})
