/**
 * Images are shown exactly as stored: the masks were made on the stored pixel grid, so EXIF
 * orientation must never rotate an image relative to its mask. Chromium's createImageBitmap applies
 * the EXIF orientation even with `imageOrientation: 'none'` (checked in the end-to-end tests), so
 * the renderer decodes a copy of the bytes whose orientation says "as stored".
 *
 * - JPEG: every Orientation tag (0x0112) in an Exif APP1 segment is rewritten to 1, in place (same
 *   length; nothing else changes).
 * - PNG: `eXIf` chunks are dropped (chunks are independent; no other byte changes).
 * Other bytes are returned as they are. The input is never modified.
 */
export function withStoredOrientation(bytes: Uint8Array): Uint8Array {
  if (isJpeg(bytes)) return jpegOrientationOne(bytes)
  if (isPng(bytes)) return pngWithoutExif(bytes)
  return bytes
}

const ORIENTATION_TAG = 0x0112

function isJpeg(b: Uint8Array): boolean {
  return b.length > 3 && b[0] === 0xff && b[1] === 0xd8
}

function isPng(b: Uint8Array): boolean {
  return b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47
}

function jpegOrientationOne(src: Uint8Array): Uint8Array {
  let out: Uint8Array | null = null
  let p = 2
  while (p + 4 <= src.length) {
    if (src[p] !== 0xff) break
    const marker = src[p + 1]
    if (marker === 0xff) {
      p++
      continue
    }
    // Standalone markers have no length; SOS starts the entropy-coded data: headers end there.
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2
      continue
    }
    if (marker === 0xda || marker === 0xd9) break
    const len = (src[p + 2] << 8) | src[p + 3]
    if (len < 2 || p + 2 + len > src.length) break
    const seg = p + 4
    const end = p + 2 + len
    if (marker === 0xe1 && end - seg > 14 && isExifHeader(src, seg)) {
      const tags = orientationOffsets(src, seg + 6, end)
      for (const at of tags) {
        // A copy, never a view: Node Buffers override slice() to share memory.
        out ??= new Uint8Array(src)
        writeOrientation(out, at.offset, at.littleEndian)
      }
    }
    p = end
  }
  return out ?? src
}

function isExifHeader(b: Uint8Array, at: number): boolean {
  return (
    b[at] === 0x45 &&
    b[at + 1] === 0x78 &&
    b[at + 2] === 0x69 &&
    b[at + 3] === 0x66 &&
    b[at + 4] === 0 &&
    b[at + 5] === 0
  )
}

/** Offsets of the value of every Orientation entry in IFD0 (and IFD1, the thumbnail's). */
function orientationOffsets(
  b: Uint8Array,
  tiff: number,
  end: number,
): { offset: number; littleEndian: boolean }[] {
  const le = b[tiff] === 0x49 && b[tiff + 1] === 0x49
  const be = b[tiff] === 0x4d && b[tiff + 1] === 0x4d
  if (!le && !be) return []
  const u16 = (o: number) => (le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1])
  const u32 = (o: number) =>
    le
      ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
      : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0
  if (u16(tiff + 2) !== 42) return []
  const found: { offset: number; littleEndian: boolean }[] = []
  let ifd = u32(tiff + 4)
  for (let n = 0; n < 2 && ifd !== 0; n++) {
    const at = tiff + ifd
    if (at + 2 > end) break
    const count = u16(at)
    if (at + 2 + count * 12 + 4 > end) break
    for (let i = 0; i < count; i++) {
      const e = at + 2 + i * 12
      // SHORT (3), count 1: the value sits in the first two bytes of the value field.
      if (u16(e) === ORIENTATION_TAG && u16(e + 2) === 3 && u32(e + 4) === 1)
        found.push({ offset: e + 8, littleEndian: le })
    }
    ifd = u32(at + 2 + count * 12)
  }
  return found
}

function writeOrientation(b: Uint8Array, at: number, le: boolean): void {
  b[at] = le ? 1 : 0
  b[at + 1] = le ? 0 : 1
}

function pngWithoutExif(src: Uint8Array): Uint8Array {
  const keep: [number, number][] = []
  let dropped = false
  let p = 8
  while (p + 12 <= src.length) {
    const len = ((src[p] << 24) | (src[p + 1] << 16) | (src[p + 2] << 8) | src[p + 3]) >>> 0
    const type = String.fromCharCode(src[p + 4], src[p + 5], src[p + 6], src[p + 7])
    const next = p + 12 + len
    if (next > src.length) break
    if (type === 'eXIf') dropped = true
    else keep.push([p, next])
    p = next
    if (type === 'IEND') break
  }
  if (!dropped) return src
  const size = 8 + keep.reduce((n, [a, b]) => n + b - a, 0)
  const out = new Uint8Array(size)
  out.set(src.subarray(0, 8), 0)
  let at = 8
  for (const [a, b] of keep) {
    out.set(src.subarray(a, b), at)
    at += b - a
  }
  return out
}
