/**
 * The PNG format of a mask (colour type, bit depth, PLTE and tRNS bytes) read from its chunks up to
 * the first IDAT, without inflating the image data: what a save needs from the source mask when the
 * previous mask is a corrected file.
 */
import { crc32 } from 'node:zlib'
import { CodedError } from '../../../shared/api/errors'
import { readPngHeader, type MaskPngFormat, type PngHeader } from './maskPng'

export function readMaskPngFormat(
  bytes: Uint8Array,
  file?: string,
): { header: PngHeader; format: MaskPngFormat } {
  const header = readPngHeader(bytes, file)
  if (header.colorType !== 0 && header.colorType !== 3) {
    throw new CodedError(
      'mask-colour',
      `PNG colour type ${header.colorType} is not a mask: expected greyscale (0) or palette (3)`,
      file,
    )
  }
  if (header.bitDepth === 16)
    throw new CodedError('mask-16bit', 'PNG is 16-bit: a mask must have 8 bits or fewer', file)
  const format: MaskPngFormat = {
    colorType: header.colorType,
    bitDepth: header.bitDepth as 1 | 2 | 4 | 8,
    interlaced: header.interlaced,
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = 8 + 25
  for (;;) {
    if (pos + 12 > bytes.length)
      throw new CodedError('png-truncated', 'PNG file ends before its image data', file)
    const length = view.getUint32(pos)
    const end = pos + 12 + length
    if (end > bytes.length) throw new CodedError('png-truncated', 'PNG file ends inside a chunk', file)
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7])
    if (type === 'IDAT' || type === 'IEND') break
    if (type === 'PLTE' || type === 'tRNS') {
      if (crc32(bytes.subarray(pos + 4, end - 4)) !== view.getUint32(end - 4)) {
        throw new CodedError('png-corrupt', `PNG chunk ${type} has a bad CRC`, file)
      }
      const body = new Uint8Array(bytes.subarray(pos + 8, pos + 8 + length))
      if (type === 'PLTE' && header.colorType === 3) format.palette = body
      if (type === 'tRNS') format.transparency = body
    }
    pos = end
  }
  if (header.colorType === 3 && format.palette === undefined) {
    throw new CodedError('png-corrupt', 'palette PNG has no PLTE chunk before its image data', file)
  }
  return { header, format }
}
