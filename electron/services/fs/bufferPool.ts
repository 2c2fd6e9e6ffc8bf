/**
 * Reusable byte buffers for files that are read, used briefly and dropped (an export copies each
 * image once). Every fresh Buffer above 4 KiB is an ArrayBuffer of its own; thousands of them in
 * flight count as external memory and make V8 run a full mark-compact every few tens of megabytes
 * (measured: ~40 per 690 MB export). Reusing a bounded set of buffers removes those collections.
 *
 * Buffers come in power-of-two capacities from 64 KiB; `take(size)` returns a view of exactly `size`
 * bytes, `give` takes it back once nothing refers to its bytes any more (after the write that used
 * them has finished: a buffer given back too early is overwritten by the next read). Buffers not
 * taken from this pool are ignored by `give`, so callers can give back whatever they hold.
 */
const MIN_CLASS = 64 * 1024

export class BufferPool {
  readonly #limit: number
  readonly #maxBuffer: number
  /** Free buffers by capacity. */
  readonly #free = new Map<number, ArrayBuffer[]>()
  /** The ArrayBuffers handed out by `take` and not given back yet. */
  readonly #own = new WeakSet<ArrayBuffer>()
  #pooled = 0

  /**
   * `limitBytes`: the most kept free at once (the rest is left to the garbage collector);
   * `maxBuffer`: larger requests get a plain Buffer, never pooled (default: a quarter of the limit).
   */
  constructor(limitBytes: number, opts: { maxBuffer?: number } = {}) {
    if (!(limitBytes >= 0)) throw new RangeError(`pool limit must be >= 0, not ${limitBytes}`)
    this.#limit = limitBytes
    this.#maxBuffer = opts.maxBuffer ?? limitBytes / 4
  }

  /** Bytes kept free for reuse. */
  get pooledBytes(): number {
    return this.#pooled
  }

  /** A Buffer of `size` bytes (contents undefined: the caller overwrites all of them). */
  take(size: number): Buffer {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid size ${size}`)
    if (size > this.#maxBuffer) return Buffer.allocUnsafeSlow(size)
    let capacity = MIN_CLASS
    while (capacity < size) capacity *= 2
    const ab = this.#free.get(capacity)?.pop()
    if (ab !== undefined) {
      this.#pooled -= capacity
      this.#own.add(ab)
      return Buffer.from(ab, 0, size)
    }
    const fresh = new ArrayBuffer(capacity)
    this.#own.add(fresh)
    return Buffer.from(fresh, 0, size)
  }

  /** Takes back a buffer from `take` (anything else is ignored). Its bytes must no longer be in use. */
  give(buf: Uint8Array | undefined): void {
    if (buf === undefined) return
    const ab = buf.buffer
    if (!(ab instanceof ArrayBuffer) || !this.#own.has(ab)) return
    const capacity = ab.byteLength
    // Forgotten until taken again: a second `give` of the same buffer is ignored (it would hand the
    // same memory to two readers).
    this.#own.delete(ab)
    if (this.#pooled + capacity > this.#limit) return
    let list = this.#free.get(capacity)
    if (list === undefined) this.#free.set(capacity, (list = []))
    list.push(ab)
    this.#pooled += capacity
  }
}

/**
 * One large buffer kept for the next user of the same kind (a save's 12 Mpx of filtered rows, its
 * labels in shared memory): a fresh buffer that size each time costs a memset, page faults and
 * external-memory pressure on the garbage collector. `take` hands the kept one out when it is big
 * enough (a user meanwhile gets a fresh one); `give` keeps the larger of the two, up to `maxBytes`.
 */
export class SpareBuffer<B extends { readonly byteLength: number }> {
  #spare: B | undefined

  constructor(
    private readonly make: (size: number) => B,
    private readonly maxBytes: number,
  ) {}

  take(size: number): B {
    const spare = this.#spare
    if (spare !== undefined && spare.byteLength >= size) {
      this.#spare = undefined
      return spare
    }
    return this.make(size)
  }

  give(buffer: B): void {
    if (buffer.byteLength <= this.maxBytes && (this.#spare?.byteLength ?? 0) <= buffer.byteLength) {
      this.#spare = buffer
    }
  }
}
