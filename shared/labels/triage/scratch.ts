/**
 * Reusable working memory for the triage's synchronous passes over small grids. A typed array over
 * 64 bytes gets a backing store outside V8's heap, and allocating one costs microseconds — measured
 * more than the pass itself on a 32×24 grid, where the in-scan score makes a dozen of them per mask.
 * Each module keeps its own pool; what it hands out is valid until that pool is asked again
 * (everything here is synchronous, and no pass calls back into its own module's pool).
 */

/** Arrays larger than this are not kept, so one huge grid does not pin its memory. */
const RETAIN = 1 << 22

export class Scratch {
  #i32 = new Int32Array(0)
  #f64 = new Float64Array(0)
  #u8 = new Uint8Array(0)

  /** A zeroed Int32Array view of `length` elements. */
  i32(length: number): Int32Array {
    if (length > RETAIN) return new Int32Array(length)
    if (this.#i32.length < length) this.#i32 = new Int32Array(Math.max(length, 2 * this.#i32.length))
    return this.#i32.subarray(0, length).fill(0)
  }

  /** A zeroed Float64Array view of `length` elements. */
  f64(length: number): Float64Array {
    if (length > RETAIN) return new Float64Array(length)
    if (this.#f64.length < length) this.#f64 = new Float64Array(Math.max(length, 2 * this.#f64.length))
    return this.#f64.subarray(0, length).fill(0)
  }

  /** A zeroed Uint8Array view of `length` elements. */
  u8(length: number): Uint8Array {
    if (length > RETAIN) return new Uint8Array(length)
    if (this.#u8.length < length) this.#u8 = new Uint8Array(Math.max(length, 2 * this.#u8.length))
    return this.#u8.subarray(0, length).fill(0)
  }
}
