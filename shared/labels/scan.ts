/**
 * Runs of equal bytes, compared four at a time: a fill or resolve over millions of pixels spends
 * most of its time finding where a run of one value ends.
 */
export class ByteRuns {
  private readonly words: Uint32Array
  private readonly offset: number

  constructor(readonly data: Uint8Array) {
    // A word view over the whole underlying buffer is always aligned; only words lying entirely
    // inside the range being scanned are compared.
    this.words = new Uint32Array(data.buffer, 0, data.buffer.byteLength >>> 2)
    this.offset = data.byteOffset
  }

  /** First index k in [i, end) with data[k] !== v, or end. */
  end(i: number, end: number, v: number): number {
    const { data, words, offset } = this
    while (i < end && ((offset + i) & 3) !== 0) {
      if (data[i] !== v) return i
      i++
    }
    const pattern = (v * 0x01010101) >>> 0
    while (i + 4 <= end && words[(offset + i) >>> 2] === pattern) i += 4
    while (i < end && data[i] === v) i++
    return i
  }

  /** Smallest index k in [lo, i] with data[k..i) all equal to v. */
  start(i: number, lo: number, v: number): number {
    const { data, words, offset } = this
    while (i > lo && ((offset + i) & 3) !== 0) {
      if (data[i - 1] !== v) return i
      i--
    }
    const pattern = (v * 0x01010101) >>> 0
    while (i - 4 >= lo && words[(offset + i - 4) >>> 2] === pattern) i -= 4
    while (i > lo && data[i - 1] === v) i--
    return i
  }
}

/**
 * dst[dstOff…] = src[srcOff…], len bytes. A loop for short runs: `set(subarray())` allocates a view
 * per call, which dominates when copying tens of thousands of short runs.
 */
export function copyBytes(
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
  len: number,
): void {
  if (len < 64) {
    for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]
  } else {
    dst.set(src.subarray(srcOff, srcOff + len), dstOff)
  }
}
