import sharp from 'sharp'
import { LABEL_LESION, LABEL_UNCERTAIN, type LabelMap } from '../../shared/labels/codes'
import { LABEL_RGB } from '../../shared/labels/colours'

/** Longest side of a queue thumbnail, in pixels. */
export const THUMB_SIZE = 96

/**
 * A queue thumbnail: the image shrunk to THUMB_SIZE (libjpeg's DCT scaling makes even a 6000×4000
 * JPEG cheap to shrink), with the label map sampled by nearest neighbour and blended over it in the
 * overlay colours (lesion cyan, uncertain amber). EXIF orientation is not applied, like in the editor.
 */
export async function makeThumbnail(imageBytes: Uint8Array, map: LabelMap): Promise<Buffer> {
  const scale = THUMB_SIZE / Math.max(map.width, map.height)
  const w = Math.max(1, Math.round(map.width * scale))
  const h = Math.max(1, Math.round(map.height * scale))
  const { data, info } = await sharp(imageBytes, { failOn: 'none' })
    .resize(w, h, { fit: 'fill', kernel: 'linear' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  const ch = info.channels
  const rgb = Buffer.alloc(w * h * 3)
  for (let y = 0; y < h; y++) {
    const sy = Math.min(map.height - 1, Math.floor(((y + 0.5) * map.height) / h))
    for (let x = 0; x < w; x++) {
      const sx = Math.min(map.width - 1, Math.floor(((x + 0.5) * map.width) / w))
      const v = map.data[sy * map.width + sx]
      const i = (y * w + x) * ch
      const o = (y * w + x) * 3
      let r = data[i]
      let g = ch >= 3 ? data[i + 1] : data[i]
      let b = ch >= 3 ? data[i + 2] : data[i]
      // Half and half with the label colour, like the editor's overlay at 50 %.
      const c = v === LABEL_LESION ? LABEL_RGB.lesion : v === LABEL_UNCERTAIN ? LABEL_RGB.uncertain : null
      if (c) [r, g, b] = [(r + c[0]) / 2, (g + c[1]) / 2, (b + c[2]) / 2]
      rgb[o] = r
      rgb[o + 1] = g
      rgb[o + 2] = b
    }
  }
  return sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer()
}
