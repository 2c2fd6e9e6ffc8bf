/**
 * A least-recently-used cache of loaded values bounded by BYTES, not by entry count (one 6000×4000
 * pair weighs as much as a hundred small ones). Loads in flight are shared: asking for a key being
 * loaded returns the same promise. Failed loads are not kept. A value larger than the whole budget
 * is returned to its callers but not kept.
 */
export class ByteLru<K, V> {
  readonly #limit: number
  readonly #sizeOf: (value: V) => number
  /** Insertion order = recency order (a hit re-inserts). `size` is -1 while loading. */
  readonly #entries = new Map<K, { promise: Promise<V>; size: number }>()
  #bytes = 0

  constructor(limitBytes: number, sizeOf: (value: V) => number) {
    if (!(limitBytes >= 0)) throw new RangeError(`cache limit must be >= 0, not ${limitBytes}`)
    this.#limit = limitBytes
    this.#sizeOf = sizeOf
  }

  /** Bytes held by loaded entries (loads in flight count 0 until they finish). */
  get bytes(): number {
    return this.#bytes
  }

  get limit(): number {
    return this.#limit
  }

  /** Keys held or loading, least recent first. */
  keys(): K[] {
    return [...this.#entries.keys()]
  }

  has(key: K): boolean {
    return this.#entries.has(key)
  }

  /** The held or loading value for `key` (now the most recent), or undefined. */
  get(key: K): Promise<V> | undefined {
    const e = this.#entries.get(key)
    if (!e) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, e)
    return e.promise
  }

  /** The held or loading value, else starts `load()` and holds its result when it fits. */
  getOrLoad(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.get(key)
    if (hit) return hit
    const entry = { promise: load(), size: -1 }
    this.#entries.set(key, entry)
    entry.promise.then(
      (value) => {
        if (this.#entries.get(key) !== entry) return // cleared or replaced meanwhile
        const size = this.#sizeOf(value)
        if (size > this.#limit) {
          this.#entries.delete(key)
          return
        }
        entry.size = size
        this.#bytes += size
        this.#evict(key)
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key)
      },
    )
    return entry.promise
  }

  delete(key: K): void {
    const e = this.#entries.get(key)
    if (!e) return
    this.#entries.delete(key)
    if (e.size > 0) this.#bytes -= e.size
  }

  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
  }

  /** Drops least recent loaded entries (never `keep`, never loads in flight) until within the limit. */
  #evict(keep: K): void {
    if (this.#bytes <= this.#limit) return
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.#limit) break
      if (k === keep || e.size < 0) continue
      this.#entries.delete(k)
      this.#bytes -= e.size
    }
  }
}
