/**
 * Per-mask analysis, pure and synchronous (no I/O, no workers): label counts, 4-connected components
 * of the lesion and of the uncertain label, and the challenge-convention check. The scan workers
 * (maskScan.ts) call exactly this on every mask; anything else may call it on a decoded LabelMap.
 */
import { CodedError } from '../api/errors'
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN, findInvalidLabel, type LabelMap } from './codes'

export interface MaskAnalysis {
  width: number
  height: number
  counts: { background: number; lesion: number; uncertain: number }
  /** 4-connected components of lesion (1) pixels. */
  lesionComponents: number
  /** 4-connected components of uncertain (255) pixels. */
  uncertainComponents: number
  /** True when the map looks like an ISIC challenge mask (0 background / 255 lesion): see CHALLENGE_RULE. */
  challengeConvention: boolean
}

/**
 * The challenge-convention rule. ISIC challenge masks use 0 background / 255 lesion; read as a weak map
 * they would say "all uncertain". A map is taken for a challenge mask when ALL of these hold:
 *
 * 1. it has no lesion (1) pixels, and both background (0) and uncertain (255) pixels (a map without
 *    any background is ambiguous and stays a weak map: all uncertain);
 * 2. its largest 4-connected 255 component C holds at least `dominantShare` (90 %) of the 255 pixels
 *    (a challenge lesion is one region; scattered uncertain blobs are not);
 * 3. C covers at least `minAreaShare` (0.5 %) of the image (stray uncertain specks are not lesions);
 * 4. C is a solid blob, not a band: its inradius r (the largest city-block distance from a pixel of C
 *    to the nearest pixel outside C; pixels beyond the image edge do not count) is at least
 *    `minSolidity` (0.35) times the radius of a disc of the same area, sqrt(|C|/π). A disc or a
 *    square scores about 0.9–1, a 6:1 ellipse about 0.4; a band of width w around a lesion of radius
 *    R scores sqrt(w / 8R) (0.16 for w = R/5), an open band of width w and length L along the image
 *    edge 0.89·sqrt(w / L).
 */
export const CHALLENGE_RULE = Object.freeze({ dominantShare: 0.9, minAreaShare: 0.005, minSolidity: 0.35 })

/** Analyses a decoded label map. Values outside {0, 1, 255} throw `mask-values`. */
export function analyzeMask(map: LabelMap, file?: string): MaskAnalysis {
  return analyze(map, file).analysis
}

function analyze(map: LabelMap, file: string | undefined): { analysis: MaskAnalysis; runs: Runs } {
  const { width, height, data } = map
  if (data.length !== width * height) {
    throw new CodedError('mask-size', `mask has ${data.length} values for ${width}×${height} pixels`, file)
  }
  const runs = labelRuns(map)
  const hist = runs.hist
  const background = hist[LABEL_BACKGROUND]
  const lesion = hist[LABEL_LESION]
  const uncertain = hist[LABEL_UNCERTAIN]
  const invalid = data.length - background - lesion - uncertain
  if (invalid > 0) throw invalidValuesError(map, invalid, file)

  let challengeConvention = false
  if (lesion === 0 && uncertain > 0 && background > 0) {
    challengeConvention = looksLikeChallengeMask(map, runs, uncertain)
  }
  const analysis = {
    width,
    height,
    counts: { background, lesion, uncertain },
    lesionComponents: runs.lesionComponents,
    uncertainComponents: runs.uncertainComponents,
    challengeConvention,
  }
  return { analysis, runs }
}

/**
 * A label map as its runs of 1 and 255, row by row (background is what they leave out): all it takes
 * to count the pixel transitions to another map without reading either map's pixels again.
 */
export interface LabelRuns {
  width: number
  height: number
  /** Runs of row y: rowStart[y] to rowStart[y + 1] − 1, left to right. */
  rowStart: Int32Array
  x0: Int32Array
  /** One past the run's last column. */
  x1: Int32Array
  value: Uint8Array
}

/**
 * analyzeMask, and the map's runs (see LabelRuns; a copy the caller may keep). Values outside
 * {0, 1, 255} throw `mask-values`, as in analyzeMask.
 */
export function analyzeMaskWithRuns(
  map: LabelMap,
  file?: string,
): { analysis: MaskAnalysis; runs: LabelRuns } {
  const { analysis, runs: r } = analyze(map, file)
  return {
    analysis,
    runs: {
      width: map.width,
      height: map.height,
      rowStart: r.rowStart,
      x0: r.x0.slice(0, r.count),
      x1: r.x1.slice(0, r.count),
      value: r.value.slice(0, r.count),
    },
  }
}

/**
 * Pixels changed per (old label → new label) between two maps of the same size given as runs:
 * `counts[(slot(old) << 2) | slot(new)]` with slots 0 → 0, 1 → 1, 255 → 2 (the diagonal stays 0).
 * One merge of the two run lists per row: the cost follows the number of runs, not of pixels.
 */
export function runTransitions(before: LabelRuns, after: LabelRuns): Float64Array {
  if (before.width !== after.width || before.height !== after.height) {
    throw new RangeError('runTransitions needs maps of equal size')
  }
  const counts = new Float64Array(16)
  // Per label slot (1, 2): pixels in runs, and pixels of those runs lying over a run of the other map.
  const lengthBefore = [0, 0, 0]
  const lengthAfter = [0, 0, 0]
  const coveredBefore = [0, 0, 0]
  const coveredAfter = [0, 0, 0]
  const { x0: a0, x1: a1, value: av, rowStart: ar } = before
  const { x0: b0, x1: b1, value: bv, rowStart: br } = after
  for (let y = 0; y < before.height; y++) {
    let i = ar[y]
    const iEnd = ar[y + 1]
    let j = br[y]
    const jEnd = br[y + 1]
    // Each run's length is added when the merge moves past it.
    while (i < iEnd && j < jEnd) {
      const lo = a0[i] > b0[j] ? a0[i] : b0[j]
      const hi = a1[i] < b1[j] ? a1[i] : b1[j]
      const from = av[i] === LABEL_LESION ? 1 : 2
      const to = bv[j] === LABEL_LESION ? 1 : 2
      if (hi > lo) {
        coveredBefore[from] += hi - lo
        coveredAfter[to] += hi - lo
        if (from !== to) counts[(from << 2) | to] += hi - lo
      }
      if (a1[i] <= b1[j]) {
        lengthBefore[from] += a1[i] - a0[i]
        i++
      } else {
        lengthAfter[to] += b1[j] - b0[j]
        j++
      }
    }
    for (; i < iEnd; i++) lengthBefore[av[i] === LABEL_LESION ? 1 : 2] += a1[i] - a0[i]
    for (; j < jEnd; j++) lengthAfter[bv[j] === LABEL_LESION ? 1 : 2] += b1[j] - b0[j]
  }
  for (const slot of [1, 2]) {
    counts[slot << 2] = lengthBefore[slot] - coveredBefore[slot] // label → background
    counts[slot] = lengthAfter[slot] - coveredAfter[slot] // background → label
  }
  return counts
}

/**
 * The challenge-convention check alone (see CHALLENGE_RULE), for a map already known to hold only
 * labels. Cheap unless the map has no lesion pixels: only then are components computed.
 */
export function isChallengeConvention(
  map: LabelMap,
  counts: { background: number; lesion: number; uncertain: number },
): boolean {
  if (counts.lesion !== 0 || counts.uncertain === 0 || counts.background === 0) return false
  return looksLikeChallengeMask(map, labelRuns(map), counts.uncertain)
}

/** The `mask-values` error for a map holding `invalid` values outside {0, 1, 255}. */
export function invalidValuesError(map: LabelMap, invalid: number, file?: string): CodedError {
  const at = findInvalidLabel(map.data)
  const x = at % map.width
  const y = Math.floor(at / map.width)
  const where = file === undefined ? '' : `${file}: `
  return new CodedError(
    'mask-values',
    `${where}${invalid} pixels hold values other than 0, 1, 255 (first: ${map.data[at]} at x=${x}, y=${y})`,
    file,
  )
}

/**
 * The explicit conversion of a challenge-convention mask (0 background / 255 lesion) to a weak map
 * (255 → 1). Returns a new map; never applied silently. A map holding anything but 0 and 255 is not
 * a challenge mask: `mask-values`.
 */
export function convertChallengeMask(map: LabelMap, file?: string): LabelMap {
  const { width, height, data } = map
  const out = new Uint8Array(data.length)
  // The labels as locals: a module binding read per pixel costs ~10× the loop under a module
  // transform that turns imports into property reads (220 → 30 ms on 12 Mpx under vitest).
  const uncertain = LABEL_UNCERTAIN
  const lesion = LABEL_LESION
  const background = LABEL_BACKGROUND
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v === uncertain) out[i] = lesion
    else if (v !== background) {
      const where = file === undefined ? '' : `${file}: `
      throw new CodedError(
        'mask-values',
        `${where}not a challenge-convention mask: value ${v} at x=${i % width}, y=${Math.floor(i / width)} (only 0 and 255 convert)`,
        file,
      )
    }
  }
  return { width, height, data: out }
}

// ---- connected components over runs --------------------------------------------------------------

/** Runs of 1 or 255 (row, [x0, x1), value) with a union-find over them. */
interface Runs {
  count: number
  /** Runs of row y: rowStart[y] to rowStart[y + 1] − 1. */
  rowStart: Int32Array
  x0: Int32Array
  x1: Int32Array
  value: Uint8Array
  parent: Int32Array
  /** Pixels per value (the runs cover every pixel). */
  hist: Float64Array
  lesionComponents: number
  uncertainComponents: number
}

/** The root of `i` in a union-find forest over `parent`, compressing the path on the way. */
export function findRoot(parent: Int32Array, i: number): number {
  let r = i
  while (parent[r] !== r) r = parent[r]
  // Path compression.
  while (parent[i] !== r) {
    const next = parent[i]
    parent[i] = r
    i = next
  }
  return r
}

/**
 * The run arrays of the last labelRuns call, reused by the next one: a 12-Mpx map with a fragmented
 * band has a few hundred thousand runs, and growing fresh arrays to that size cost as much as a fifth
 * of the pass. A Runs result is only used before the next call (everything here is synchronous).
 * Arrays grown beyond RETAIN_RUNS are not kept, so a pathological map does not pin its memory.
 */
const RETAIN_RUNS = 1 << 20
let scratch:
  | {
      x0: Int32Array<ArrayBuffer>
      x1: Int32Array<ArrayBuffer>
      value: Uint8Array<ArrayBuffer>
      parent: Int32Array<ArrayBuffer>
    }
  | undefined

/**
 * One pass over the rows: every maximal run of 1 or 255 becomes a node; a run is joined to each run
 * of the same value in the row above whose columns overlap (4-connectivity). Components = runs − joins.
 */
function labelRuns(map: LabelMap): Runs {
  const { width, height, data } = map
  const reused = scratch
  scratch = undefined
  let x0s = reused?.x0 ?? new Int32Array(1024)
  let x1s = reused?.x1 ?? new Int32Array(1024)
  let vals = reused?.value ?? new Uint8Array(1024)
  let parent = reused?.parent ?? new Int32Array(1024)
  let cap = x0s.length
  const rowStarts = new Int32Array(height + 1)
  const hist = new Float64Array(256)
  // Uniform stretches are compared 4 bytes at a time (masks are mostly long runs).
  const words =
    data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2) : null
  let n = 0
  let lesionComponents = 0
  let uncertainComponents = 0
  let prevStart = 0 // first run of the previous row
  let prevEnd = 0 // one past its last run
  for (let y = 0; y < height; y++) {
    const base = y * width
    const rowEnd = base + width
    const rowStart = n
    rowStarts[y] = n
    let p = prevStart // cursor into the previous row's runs
    let i = base
    while (i < rowEnd) {
      const v = data[i]
      let j = i + 1
      // A run of one or two pixels (fragmented regions) ends before any word is worth reading.
      if (j < rowEnd && data[j] === v && ++j < rowEnd && data[j] === v && words !== null) {
        while (j < rowEnd && (j & 3) !== 0 && data[j] === v) j++
        if ((j & 3) === 0 && j + 4 <= rowEnd) {
          const pattern = (v * 0x01010101) >>> 0
          let w = j >>> 2
          const wEnd = rowEnd >>> 2
          while (w < wEnd && words[w] === pattern) w++
          j = w << 2
        }
      }
      while (j < rowEnd && data[j] === v) j++
      hist[v] += j - i
      if (v !== LABEL_BACKGROUND) {
        const x = i - base
        const e = j - base
        if (n === cap) {
          cap *= 2
          x0s = grow(x0s, cap)
          x1s = grow(x1s, cap)
          parent = grow(parent, cap)
          const nv = new Uint8Array(cap)
          nv.set(vals)
          vals = nv
        }
        x0s[n] = x
        x1s[n] = e
        vals[n] = v
        parent[n] = n
        // The root of this run's set: the run itself until it joins one above.
        let root = n
        let joins = 0
        // Previous-row runs ending at or before x cannot overlap this run or any later one.
        while (p < prevEnd && x1s[p] <= x) p++
        for (let q = p; q < prevEnd && x0s[q] < e; q++) {
          if (vals[q] !== v) continue
          const a = findRoot(parent, q)
          if (a !== root) {
            // Keep the smaller index as root: roots stay in the earliest run.
            if (a < root) {
              parent[root] = a
              root = a
            } else parent[a] = root
            joins++
          }
        }
        if (v === LABEL_LESION) lesionComponents += 1 - joins
        else uncertainComponents += 1 - joins
        n++
      }
      i = j
    }
    prevStart = rowStart
    prevEnd = n
  }
  rowStarts[height] = n
  if (cap <= RETAIN_RUNS) scratch = { x0: x0s, x1: x1s, value: vals, parent }
  return {
    count: n,
    rowStart: rowStarts,
    x0: x0s,
    x1: x1s,
    value: vals,
    parent,
    hist,
    lesionComponents,
    uncertainComponents,
  }
}

function grow(a: Int32Array<ArrayBuffer>, cap: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(cap)
  b.set(a)
  return b
}

// ---- the challenge-convention check ---------------------------------------------------------------

function looksLikeChallengeMask(map: LabelMap, runs: Runs, uncertain: number): boolean {
  const { width, height } = map
  // Component sizes (255 runs only: the map has no 1s here).
  const size = new Float64Array(runs.count)
  let largest = -1
  for (let i = 0; i < runs.count; i++) {
    const r = findRoot(runs.parent, i)
    size[r] += runs.x1[i] - runs.x0[i]
    if (largest < 0 || size[r] > size[largest]) largest = r
  }
  const area = size[largest]
  if (area < CHALLENGE_RULE.dominantShare * uncertain) return false
  if (area < CHALLENGE_RULE.minAreaShare * width * height) return false

  // Bounding box of C, then C painted into it.
  let top = height
  let bottom = -1
  let left = width
  let right = -1
  for (let y = 0; y < height; y++) {
    for (let i = runs.rowStart[y]; i < runs.rowStart[y + 1]; i++) {
      if (findRoot(runs.parent, i) !== largest) continue
      if (y < top) top = y
      if (y > bottom) bottom = y
      if (runs.x0[i] < left) left = runs.x0[i]
      if (runs.x1[i] - 1 > right) right = runs.x1[i] - 1
    }
  }
  const bw = right - left + 1
  const bh = bottom - top + 1
  const INF = 0xffff
  // City-block distance to the nearest pixel outside C (0 outside C, INF inside before the passes).
  const dist = new Uint16Array(bw * bh)
  for (let y = top; y <= bottom; y++) {
    const o = (y - top) * bw - left
    for (let i = runs.rowStart[y]; i < runs.rowStart[y + 1]; i++) {
      if (findRoot(runs.parent, i) === largest) dist.fill(INF, o + runs.x0[i], o + runs.x1[i])
    }
  }
  // Beyond the box: a pixel outside C (distance 0) when inside the image, nothing beyond the image edge.
  const edgeTop = top > 0 ? 0 : INF
  const edgeBottom = bottom < height - 1 ? 0 : INF
  const edgeLeft = left > 0 ? 0 : INF
  const edgeRight = right < width - 1 ? 0 : INF
  for (let y = 0; y < bh; y++) {
    const o = y * bw
    for (let x = 0; x < bw; x++) {
      const i = o + x
      if (dist[i] === 0) continue
      const up = y > 0 ? dist[i - bw] : edgeTop
      const lf = x > 0 ? dist[i - 1] : edgeLeft
      const m = Math.min(up, lf) + 1
      if (m < dist[i]) dist[i] = m
    }
  }
  let inradius = 0
  for (let y = bh - 1; y >= 0; y--) {
    const o = y * bw
    for (let x = bw - 1; x >= 0; x--) {
      const i = o + x
      if (dist[i] === 0) continue
      const dn = y < bh - 1 ? dist[i + bw] : edgeBottom
      const rt = x < bw - 1 ? dist[i + 1] : edgeRight
      const m = Math.min(dn, rt) + 1
      if (m < dist[i]) dist[i] = m
      if (dist[i] > inradius) inradius = dist[i]
    }
  }
  return inradius >= CHALLENGE_RULE.minSolidity * Math.sqrt(area / Math.PI)
}
