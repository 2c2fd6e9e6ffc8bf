/**
 * Flood fill: the 4-connected region of pixels equal to the seed pixel's value gets the label.
 * Diagonal neighbours are not connected, so a fill never leaks through a one-pixel diagonal gap.
 *
 * Scanline algorithm with an explicit stack of seeds (no recursion): each popped seed grows into
 * its maximal horizontal span, which is marked and recorded; the rows above and below are scanned
 * over the span's columns and one seed is pushed per run of matching, unmarked pixels. Each span
 * is filled exactly once. The map is not touched: "marked" lives in one bitset per row the region
 * reaches (width/8 bytes each), allocated on first touch, so memory is O(region rows × width / 8 +
 * spans) — at most 3 MB on 6000×4000 — plus the patch itself.
 */
import { LABEL_UNCERTAIN, type LabelMap } from '../codes'
import { PatchBuilder, type Patch, type Point } from '../patch'
import { ByteRuns } from '../scan'
import { checkMap, checkPaintOptions, checkPoint, type PaintOptions } from './paint'

export interface FillInput {
  /** Any point inside the seed pixel (float image coordinates). */
  seed: Point
}

/**
 * Fills the seed's region with opts.label; null when nothing changes: seed outside the map, seed
 * already equal to the label, or onlyUncertain with a seed that is not 255 (filling from a
 * certain pixel does nothing).
 */
export function floodFill(map: LabelMap, input: FillInput, opts: PaintOptions): Patch | null {
  checkMap(map)
  checkPaintOptions(opts)
  checkPoint(input.seed, 'fill seed')
  const { width, height, data } = map
  const sx = Math.floor(input.seed.x)
  const sy = Math.floor(input.seed.y)
  if (sx < 0 || sy < 0 || sx >= width || sy >= height) return null
  const v = data[sy * width + sx]
  if (v === opts.label || (opts.onlyUncertain && v !== LABEL_UNCERTAIN)) return null

  const runs = new ByteRuns(data)
  const words = (width + 31) >>> 5
  const marks: (Uint32Array | undefined)[] = new Array(height)
  let stack = new Int32Array(256)
  let top = 0
  stack[top++] = sx
  stack[top++] = sy
  let minY = sy
  let maxY = sy
  let pixels = 0

  while (top > 0) {
    const y = stack[--top]
    const x = stack[--top]
    let bits = marks[y]
    if (bits === undefined) bits = marks[y] = new Uint32Array(words)
    else if ((bits[x >>> 5] >>> (x & 31)) & 1) continue
    const row = y * width
    // Spans are maximal, so growing an unmarked seed never runs into a marked pixel.
    const xl = runs.start(row + x, row, v) - row
    const xr = runs.end(row + x + 1, row + width, v) - row - 1
    setBits(bits, xl, xr)
    pixels += xr - xl + 1
    if (y < minY) minY = y
    if (y > maxY) maxY = y

    for (let ny = y - 1; ny <= y + 1; ny += 2) {
      if (ny < 0 || ny >= height) continue
      const nrow = ny * width
      const nbits = marks[ny]
      let nx = xl
      while (nx <= xr) {
        if (data[nrow + nx] !== v) {
          nx++
          continue
        }
        // A run of matching pixels belongs to one maximal span: either all marked or none.
        if (nbits !== undefined && (nbits[nx >>> 5] >>> (nx & 31)) & 1) {
          // Marked: the span ends at the next clear bit (skipped 32 pixels at a time).
          nx = nextClear(nbits, nx, width)
          continue
        }
        if (top + 2 > stack.length) {
          const grown = new Int32Array(stack.length * 2)
          grown.set(stack)
          stack = grown
        }
        stack[top++] = nx
        stack[top++] = ny
        nx = runs.end(nrow + nx + 1, nrow + xr + 1, v) - nrow
      }
    }
  }

  // Rows in order, runs in order: read the runs back from the bitsets.
  const builder = new PatchBuilder(width, height, pixels)
  for (let y = minY; y <= maxY; y++) {
    const bits = marks[y]
    if (bits === undefined) continue
    let x = nextSet(bits, 0, width)
    while (x < width) {
      const end = nextClear(bits, x, width)
      const off = builder.add(x, y, end - x)
      builder.before.fill(v, off, off + end - x)
      builder.after.fill(opts.label, off, off + end - x)
      x = nextSet(bits, end, width)
    }
  }
  return builder.finish()
}

/** Sets bits x0..x1 inclusive. */
function setBits(bits: Uint32Array, x0: number, x1: number): void {
  const w0 = x0 >>> 5
  const w1 = x1 >>> 5
  const head = (0xffffffff << (x0 & 31)) >>> 0
  const tail = 0xffffffff >>> (31 - (x1 & 31))
  if (w0 === w1) {
    bits[w0] |= head & tail
    return
  }
  bits[w0] |= head
  for (let w = w0 + 1; w < w1; w++) bits[w] = 0xffffffff
  bits[w1] |= tail
}

/** Index of the lowest set bit. */
function ctz(word: number): number {
  return 31 - Math.clz32(word & -word)
}

/** First set bit at or after x, or `end`. */
function nextSet(bits: Uint32Array, x: number, end: number): number {
  let w = x >>> 5
  if (w >= bits.length) return end
  let word = bits[w] & (0xffffffff << (x & 31))
  while (word === 0) {
    if (++w >= bits.length) return end
    word = bits[w]
  }
  return Math.min(end, (w << 5) + ctz(word))
}

/** First clear bit at or after x, or `end`. */
function nextClear(bits: Uint32Array, x: number, end: number): number {
  let w = x >>> 5
  if (w >= bits.length) return end
  let word = ~bits[w] & (0xffffffff << (x & 31))
  while (word === 0) {
    if (++w >= bits.length) return end
    word = ~bits[w]
  }
  return Math.min(end, (w << 5) + ctz(word))
}
