/**
 * Pairing masks with images by ISIC id, at the scale of the full release (43,885 pairs) in a few
 * milliseconds: names are parsed by hand (no regex), ids become integers, and the join is a merge of
 * two natively sorted Float64Arrays of keys (id × 2^26 + file position). No object per file or pair.
 *
 * Naming rules:
 * - a mask is `ISIC_` + 7 digits, optionally `_segmentation` or `_Segmentation`, then `.png` (any case);
 * - an image is `ISIC_` + 7 digits then `.jpg`, `.jpeg` or `.png` (any case);
 * both in any folder (the base name is what counts). Anything else is ignored.
 *
 * Choice among duplicates: for masks, the first by path (code-point order); for images, the first
 * source in the order given, then the first by path within it.
 */

/**
 * Files of one source that pairing looks at: their paths, by position. A source that holds its names
 * as bytes (a zip's central directory) gives `nameTable`: names are then parsed from the bytes and
 * `names` is never touched (for a zip source it is an array made on first use).
 */
export interface NamedFiles {
  readonly names: readonly string[]
  readonly nameTable?: EntryTable
}

/** A file: its source (0 = the masks source for masks; the image source's position for images) and position. */
export interface FileAt {
  source: number
  file: number
}

export interface Duplicate {
  id: number
  role: 'mask' | 'image'
  used: FileAt
  ignored: FileAt[]
}

export interface Pairing {
  /** Pairs sorted by id: id number, mask file position, image source and file position. */
  ids: Int32Array
  maskFiles: Int32Array
  imageSources: Uint16Array
  imageFiles: Int32Array
  /** Masks without an image (sorted by id): id and mask file position. */
  unpairedIds: Int32Array
  unpairedFiles: Int32Array
  /** Ids of images without a mask, sorted. */
  imagesWithoutMask: Int32Array
  duplicates: Duplicate[]
  /** Files matching neither rule, over all sources. */
  ignored: number
}

import { entryName, type EntryTable } from './zip/zipFormat'

const FILE_BITS = 2 ** 26
const MAX_FILES = FILE_BITS - 1

/** `ISIC_0000123` for 123. */
export function idString(n: number): string {
  return 'ISIC_' + String(n).padStart(7, '0')
}

/** The number of an `ISIC_` + 7 digits id, or -1. */
export function idNumber(id: string): number {
  if (id.length !== 12 || !id.startsWith('ISIC_')) return -1
  return digits7(id, 5)
}

/** The 7-digit number at `at`, or -1 when any of the 7 characters is not a digit. */
function digits7(s: string, at: number): number {
  let n = 0
  for (let k = at; k < at + 7; k++) {
    const d = s.charCodeAt(k) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/**
 * The id number when the base name of `name` is `ISIC_` + 7 digits followed by exactly `tailLen`
 * more characters, else -1. No allocation: this runs on every file of every source.
 */
function idWithTail(name: string, tailLen: number): number {
  const at = name.length - 12 - tailLen
  if (at < 0 || (at > 0 && name.charCodeAt(at - 1) !== 47)) return -1 // '/' or the start before ISIC_
  if (
    name.charCodeAt(at) !== 73 || // I
    name.charCodeAt(at + 1) !== 83 || // S
    name.charCodeAt(at + 2) !== 73 || // I
    name.charCodeAt(at + 3) !== 67 || // C
    name.charCodeAt(at + 4) !== 95 // _
  ) {
    return -1
  }
  return digits7(name, at + 5)
}

/**
 * The character at `at` with an ASCII upper-case letter folded to lower case (a lower-case letter
 * compared with the result matches exactly its two cases; a position out of range gives 32).
 */
function folded(name: string, at: number): number {
  return name.charCodeAt(at) | 0x20
}

/** True when `name` ends with `.png` in any case. */
function endsWithPng(name: string): boolean {
  const n = name.length
  return (
    name.charCodeAt(n - 4) === 46 &&
    folded(name, n - 3) === 112 &&
    folded(name, n - 2) === 110 &&
    folded(name, n - 1) === 103
  )
}

/** The id number of a mask file name (see the naming rules), or -1. */
export function maskIdOf(name: string): number {
  if (!endsWithPng(name)) return -1
  const plain = idWithTail(name, 4)
  if (plain >= 0) return plain
  // `_segmentation` or `_Segmentation` exactly, then `.png` in any case.
  const at = name.length - 17
  if (at < 0 || !name.startsWith('_', at) || !name.startsWith('egmentation', at + 2)) return -1
  const s = name.charCodeAt(at + 1)
  return s === 115 || s === 83 ? idWithTail(name, 17) : -1
}

/** The id number of an image file name (see the naming rules), or -1. */
export function imageIdOf(name: string): number {
  const n = name.length
  if (name.charCodeAt(n - 4) === 46) {
    // .jpg or .png
    const a = folded(name, n - 3)
    const b = folded(name, n - 2)
    const ok = (a === 106 && b === 112) || (a === 112 && b === 110)
    return ok && folded(name, n - 1) === 103 ? idWithTail(name, 4) : -1
  }
  if (
    name.charCodeAt(n - 5) === 46 &&
    folded(name, n - 4) === 106 &&
    folded(name, n - 3) === 112 &&
    folded(name, n - 2) === 101 &&
    folded(name, n - 1) === 103
  ) {
    return idWithTail(name, 5) // .jpeg
  }
  return -1
}

// The same rules on a name's bytes (`b[start..end)`, UTF-8 or Latin-1): every character they look at
// is ASCII, which is the same byte in both encodings and never part of a multi-byte UTF-8 character.

/** The 7-digit number at `at` of `b`, or -1. */
function digits7Bytes(b: Uint8Array, at: number): number {
  let n = 0
  for (let k = at; k < at + 7; k++) {
    const d = b[k] - 48
    if (!(d >= 0 && d <= 9)) return -1
    n = n * 10 + d
  }
  return n
}

/** idWithTail on bytes: the base name is `ISIC_` + 7 digits + exactly `tailLen` more bytes. */
function idWithTailBytes(b: Uint8Array, start: number, end: number, tailLen: number): number {
  const at = end - 12 - tailLen
  if (at < start || (at > start && b[at - 1] !== 47)) return -1
  if (b[at] !== 73 || b[at + 1] !== 83 || b[at + 2] !== 73 || b[at + 3] !== 67 || b[at + 4] !== 95) return -1
  return digits7Bytes(b, at + 5)
}

/** maskIdOf on bytes. */
export function maskIdOfBytes(b: Uint8Array, start: number, end: number): number {
  if (
    end - start < 4 ||
    b[end - 4] !== 46 ||
    (b[end - 3] | 0x20) !== 112 ||
    (b[end - 2] | 0x20) !== 110 ||
    (b[end - 1] | 0x20) !== 103
  ) {
    return -1
  }
  const plain = idWithTailBytes(b, start, end, 4)
  if (plain >= 0) return plain
  // `_segmentation` or `_Segmentation` exactly, then `.png` in any case.
  const at = end - 17
  if (at < start || b[at] !== 95 || (b[at + 1] !== 115 && b[at + 1] !== 83)) return -1
  for (let k = 0; k < SEGMENTATION.length; k++) if (b[at + 2 + k] !== SEGMENTATION[k]) return -1
  return idWithTailBytes(b, start, end, 17)
}

const SEGMENTATION = Uint8Array.from('egmentation', (c) => c.charCodeAt(0))

/** imageIdOf on bytes. */
export function imageIdOfBytes(b: Uint8Array, start: number, end: number): number {
  const n = end - start
  if (n >= 4 && b[end - 4] === 46) {
    // .jpg or .png
    const x = b[end - 3] | 0x20
    const y = b[end - 2] | 0x20
    const ok = (x === 106 && y === 112) || (x === 112 && y === 110)
    return ok && (b[end - 1] | 0x20) === 103 ? idWithTailBytes(b, start, end, 4) : -1
  }
  if (
    n >= 5 &&
    b[end - 5] === 46 &&
    (b[end - 4] | 0x20) === 106 &&
    (b[end - 3] | 0x20) === 112 &&
    (b[end - 2] | 0x20) === 101 &&
    (b[end - 1] | 0x20) === 103
  ) {
    return idWithTailBytes(b, start, end, 5) // .jpeg
  }
  return -1
}

/** Number of files of a source (without making a zip source's name array). */
function countOf(source: NamedFiles): number {
  return source.nameTable ? source.nameTable.count : source.names.length
}

/** The name of file `i` of a source (decoded from the bytes when the source has them). */
function nameOf(source: NamedFiles, i: number): string {
  return source.nameTable ? entryName(source.nameTable, i) : source.names[i]
}

function keysOf(
  source: NamedFiles,
  parse: (name: string) => number,
  parseBytes: (b: Uint8Array, start: number, end: number) => number,
  into: Float64Array,
  at: number,
  base: number,
) {
  let n = at
  const t = source.nameTable
  if (t) {
    const { nameBytes, nameStart, nameEnd } = t
    for (let i = 0; i < t.count; i++) {
      const id = parseBytes(nameBytes, nameStart[i], nameEnd[i])
      if (id >= 0) into[n++] = id * FILE_BITS + base + i
    }
    return n
  }
  const names = source.names
  for (let i = 0; i < names.length; i++) {
    const id = parse(names[i])
    if (id >= 0) into[n++] = id * FILE_BITS + base + i
  }
  return n
}

/**
 * Sorts keys in place, unless they are in order already: the usual case (zip entries written in id
 * order, folder listings sorted by name), where the check costs a tenth of the sort.
 */
function sorted(keys: Float64Array): Float64Array {
  for (let k = 1; k < keys.length; k++) if (keys[k - 1] > keys[k]) return keys.sort()
  return keys
}

/** The sorted pairing keys of a masks source (id × 2^26 + position), for `pairFiles`. */
export function maskKeysOf(masks: NamedFiles): Float64Array {
  const count = countOf(masks)
  if (count > MAX_FILES) throw new RangeError(`pairing supports up to ${MAX_FILES} files per role`)
  const all = new Float64Array(count)
  return sorted(all.subarray(0, keysOf(masks, maskIdOf, maskIdOfBytes, all, 0, 0)))
}

/**
 * Pairs the masks of `masks` with the images of `images` (in priority order). `maskKeys`, when
 * given, are `maskKeysOf(masks)` computed earlier (e.g. while the image folders were being listed).
 */
export function pairFiles(
  masks: NamedFiles,
  images: readonly NamedFiles[],
  maskKeys: Float64Array = maskKeysOf(masks),
): Pairing {
  const totalImages = images.reduce((n, s) => n + countOf(s), 0)
  if (totalImages > MAX_FILES) throw new RangeError(`pairing supports up to ${MAX_FILES} files per role`)
  // Image keys carry a global position: source offsets in priority order, so a lower key wins.
  const offsets: number[] = []
  const imageKeysAll = new Float64Array(totalImages)
  let filled = 0
  let offset = 0
  for (const s of images) {
    offsets.push(offset)
    filled = keysOf(s, imageIdOf, imageIdOfBytes, imageKeysAll, filled, offset)
    offset += countOf(s)
  }
  const imageKeys = sorted(imageKeysAll.subarray(0, filled))
  const ignored = countOf(masks) - maskKeys.length + totalImages - imageKeys.length

  const sourceOf = (g: number): number => {
    let s = offsets.length - 1
    while (offsets[s] > g) s--
    return s
  }
  const imageAt = (g: number): FileAt => {
    const s = sourceOf(g)
    return { source: s, file: g - offsets[s] }
  }
  const byPath = (source: NamedFiles) => (a: number, b: number) => {
    const x = nameOf(source, a)
    const y = nameOf(source, b)
    return x < y ? -1 : x > y ? 1 : a - b
  }

  const ids = new Int32Array(maskKeys.length)
  const maskFiles = new Int32Array(maskKeys.length)
  const imageSources = new Uint16Array(maskKeys.length)
  const imageFiles = new Int32Array(maskKeys.length)
  const unpairedIds = new Int32Array(maskKeys.length)
  const unpairedFiles = new Int32Array(maskKeys.length)
  const alone: number[] = []
  const duplicates: Duplicate[] = []
  let pairs = 0
  let unpaired = 0
  let i = 0
  let j = 0
  while (i < maskKeys.length || j < imageKeys.length) {
    const mId = i < maskKeys.length ? Math.floor(maskKeys[i] / FILE_BITS) : Infinity
    const iId = j < imageKeys.length ? Math.floor(imageKeys[j] / FILE_BITS) : Infinity
    const id = Math.min(mId, iId)
    let mask = -1
    if (mId === id) {
      let end = i + 1
      while (end < maskKeys.length && Math.floor(maskKeys[end] / FILE_BITS) === id) end++
      mask = maskKeys[i] - id * FILE_BITS
      if (end - i > 1) {
        const files = []
        for (let k = i; k < end; k++) files.push(maskKeys[k] - id * FILE_BITS)
        files.sort(byPath(masks))
        mask = files[0]
        duplicates.push({
          id,
          role: 'mask',
          used: { source: 0, file: mask },
          ignored: files.slice(1).map((file) => ({ source: 0, file })),
        })
      }
      i = end
    }
    // The image as a global position (no object per pair: this runs 43,885 times), -1 when none.
    let image = -1
    if (iId === id) {
      let end = j + 1
      while (end < imageKeys.length && Math.floor(imageKeys[end] / FILE_BITS) === id) end++
      image = imageKeys[j] - id * FILE_BITS
      if (end - j > 1) {
        const all = []
        for (let k = j; k < end; k++) all.push(imageAt(imageKeys[k] - id * FILE_BITS))
        const first = all[0].source
        const same = all
          .filter((f) => f.source === first)
          .sort((a, b) => byPath(images[first])(a.file, b.file))
        image = offsets[same[0].source] + same[0].file
        duplicates.push({
          id,
          role: 'image',
          used: same[0],
          ignored: [...same.slice(1), ...all.filter((f) => f.source !== first)],
        })
      }
      j = end
    }
    if (mask >= 0 && image >= 0) {
      const source = sourceOf(image)
      ids[pairs] = id
      maskFiles[pairs] = mask
      imageSources[pairs] = source
      imageFiles[pairs] = image - offsets[source]
      pairs++
    } else if (mask >= 0) {
      unpairedIds[unpaired] = id
      unpairedFiles[unpaired] = mask
      unpaired++
    } else {
      alone.push(id)
    }
  }
  return {
    ids: ids.slice(0, pairs),
    maskFiles: maskFiles.slice(0, pairs),
    imageSources: imageSources.slice(0, pairs),
    imageFiles: imageFiles.slice(0, pairs),
    unpairedIds: unpairedIds.slice(0, unpaired),
    unpairedFiles: unpairedFiles.slice(0, unpaired),
    imagesWithoutMask: Int32Array.from(alone),
    duplicates,
    ignored,
  }
}
