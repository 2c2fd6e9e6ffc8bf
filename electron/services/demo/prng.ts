/**
 * Seeded pseudo-random numbers for the synthetic demo data. Never Math.random, never the clock:
 * the same seed gives the same sequence on every run and every machine.
 */

/** A generator of uniform numbers in [0, 1). */
export type Rng = () => number

/** mulberry32: 32-bit state, tiny and fast, plenty for test imagery. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Uniform in [lo, hi). */
export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng()
}

/** Uniform integer in [lo, hi] (both inclusive). */
export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1))
}

/** A nonzero 32-bit seed for an xorshift stream, derived from the generator. */
export function xorshiftSeed(rng: Rng): number {
  return (Math.floor(rng() * 0xffffffff) | 1) >>> 0
}
