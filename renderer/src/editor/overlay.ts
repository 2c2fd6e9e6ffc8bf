import { LABEL_LESION, LABEL_UNCERTAIN, type LabelMap } from '../../../shared/labels/codes'

/** Overlay colours (opaque; the view applies the opacity). 0 stays fully transparent. */
export const OVERLAY_RGB = {
  lesion: [0, 200, 255] as const,
  uncertain: [255, 170, 0] as const,
}

/**
 * 256-entry lookup table from label value to a packed RGBA pixel (in the platform's byte order,
 * for a Uint32Array view over ImageData). Values that are not labels render magenta, so a bug that
 * creates one is visible at once.
 */
export function buildOverlayLut(): Uint32Array {
  const lut = new Uint32Array(256)
  const bytes = new Uint8Array(lut.buffer)
  const set = (v: number, r: number, g: number, b: number, a: number) => {
    bytes[v * 4] = r
    bytes[v * 4 + 1] = g
    bytes[v * 4 + 2] = b
    bytes[v * 4 + 3] = a
  }
  for (let v = 0; v < 256; v++) set(v, 255, 0, 255, 255)
  set(0, 0, 0, 0, 0)
  set(LABEL_LESION, ...OVERLAY_RGB.lesion, 255)
  set(LABEL_UNCERTAIN, ...OVERLAY_RGB.uncertain, 255)
  return lut
}

const LUT = buildOverlayLut()

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/**
 * The label map drawn into an offscreen canvas at image resolution, one canvas pixel per label
 * pixel, no smoothing. Edits redraw only their dirty rectangle.
 */
export class LabelOverlay {
  readonly canvas: HTMLCanvasElement
  private readonly ctx: CanvasRenderingContext2D

  constructor(private readonly map: LabelMap) {
    this.canvas = document.createElement('canvas')
    this.canvas.width = map.width
    this.canvas.height = map.height
    const ctx = this.canvas.getContext('2d', { alpha: true })
    if (!ctx) throw new Error('no 2D canvas context')
    ctx.imageSmoothingEnabled = false
    this.ctx = ctx
    this.redraw({ x: 0, y: 0, width: map.width, height: map.height })
  }

  redraw(rect: Rect): void {
    const { x, y, width, height } = rect
    if (width <= 0 || height <= 0) return
    const img = this.ctx.createImageData(width, height)
    const out = new Uint32Array(img.data.buffer)
    const src = this.map.data
    const stride = this.map.width
    for (let row = 0; row < height; row++) {
      let s = (y + row) * stride + x
      let d = row * width
      const end = d + width
      while (d < end) out[d++] = LUT[src[s++]]
    }
    this.ctx.putImageData(img, x, y)
  }
}
