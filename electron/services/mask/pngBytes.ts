/**
 * What the PNG decoder (maskPng.ts) and encoder (pngEncode.ts) of label masks share: the format a
 * mask PNG is kept in, the signature, big-endian words and the size of a packed row.
 */

export interface MaskPngFormat {
  /** 0 = greyscale, 3 = palette (VOC style: the index is the label, 255 = void). */
  colorType: 0 | 3
  bitDepth: 1 | 2 | 4 | 8
  interlaced: boolean
  /** Raw PLTE bytes (palette only). */
  palette?: Uint8Array
  /** Raw tRNS bytes if present. */
  transparency?: Uint8Array
}

export const SIGNATURE = Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10)

export function readU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24
  b[o + 1] = (v >>> 16) & 0xff
  b[o + 2] = (v >>> 8) & 0xff
  b[o + 3] = v & 0xff
}

export function rowBytesOf(width: number, bitDepth: number): number {
  return Math.floor((width * bitDepth + 7) / 8)
}
