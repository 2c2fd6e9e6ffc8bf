import { LABEL_LESION, LABEL_UNCERTAIN, type LabelMap } from '../../../shared/labels/codes'

/** Overlay colours (opaque; the view applies the opacity). 0 stays fully transparent. */
export const OVERLAY_RGB = {
  lesion: [0, 200, 255] as const,
  uncertain: [255, 170, 0] as const,
}

/**
 * How labels are shown: `fill` colours lesion and uncertain pixels; `outline` colours only the
 * pixels on a boundary between two labels; `uncertain` shows the uncertain pixels alone.
 */
export type OverlayMode = 'fill' | 'outline' | 'uncertain'

/**
 * 256-entry lookup tables from label value to a packed RGBA pixel (in the platform's byte order,
 * for a Uint32Array view over ImageData). Values that are not labels render magenta, so a bug that
 * creates one is visible at once.
 */
export function buildOverlayLut(mode: OverlayMode = 'fill'): Uint32Array {
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
  if (mode === 'uncertain') set(LABEL_LESION, 0, 0, 0, 0)
  else set(LABEL_LESION, ...OVERLAY_RGB.lesion, 255)
  set(LABEL_UNCERTAIN, ...OVERLAY_RGB.uncertain, 255)
  return lut
}

const LUTS: Record<OverlayMode, Uint32Array> = {
  fill: buildOverlayLut('fill'),
  outline: buildOverlayLut('fill'),
  uncertain: buildOverlayLut('uncertain'),
}

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/**
 * The label map drawn into an offscreen canvas at image resolution, one canvas pixel per label
 * pixel, no smoothing. Edits redraw only their dirty rectangle (grown by one pixel in outline mode,
 * where a pixel's colour depends on its neighbours).
 */
export class LabelOverlay {
  readonly canvas: HTMLCanvasElement
  private readonly ctx: CanvasRenderingContext2D
  private mode: OverlayMode = 'fill'

  constructor(private readonly map: LabelMap) {
    this.canvas = document.createElement('canvas')
    this.canvas.width = map.width
    this.canvas.height = map.height
    const ctx = this.canvas.getContext('2d', { alpha: true })
    if (!ctx) throw new Error('no 2D canvas context')
    ctx.imageSmoothingEnabled = false
    this.ctx = ctx
    this.redrawAll()
  }

  setMode(mode: OverlayMode): void {
    if (mode === this.mode) return
    this.mode = mode
    this.redrawAll()
  }

  redrawAll(): void {
    this.redraw({ x: 0, y: 0, width: this.map.width, height: this.map.height })
  }

  redraw(dirty: Rect): void {
    const rect = this.mode === 'outline' ? grow(dirty, 1, this.map) : clip(dirty, this.map)
    const { x, y, width, height } = rect
    if (width <= 0 || height <= 0) return
    const img = this.ctx.createImageData(width, height)
    const out = new Uint32Array(img.data.buffer)
    if (this.mode === 'outline') this.paintOutline(rect, out)
    else this.paintFill(rect, out, LUTS[this.mode])
    this.ctx.putImageData(img, x, y)
  }

  private paintFill(rect: Rect, out: Uint32Array, lut: Uint32Array): void {
    const src = this.map.data
    const stride = this.map.width
    for (let row = 0; row < rect.height; row++) {
      let s = (rect.y + row) * stride + rect.x
      let d = row * rect.width
      const end = d + rect.width
      while (d < end) out[d++] = lut[src[s++]]
    }
  }

  /** A pixel is drawn when one of its 4 neighbours holds another label; 0 pixels stay clear. */
  private paintOutline(rect: Rect, out: Uint32Array): void {
    const { width: w, height: h, data } = this.map
    const lut = LUTS.fill
    for (let row = 0; row < rect.height; row++) {
      const y = rect.y + row
      let d = row * rect.width
      for (let x = rect.x; x < rect.x + rect.width; x++, d++) {
        const i = y * w + x
        const v = data[i]
        if (v === 0) continue
        const edge =
          (x > 0 && data[i - 1] !== v) ||
          (x < w - 1 && data[i + 1] !== v) ||
          (y > 0 && data[i - w] !== v) ||
          (y < h - 1 && data[i + w] !== v)
        if (edge) out[d] = lut[v]
      }
    }
  }
}

function clip(r: Rect, map: LabelMap): Rect {
  const x0 = Math.max(0, r.x)
  const y0 = Math.max(0, r.y)
  const x1 = Math.min(map.width, r.x + r.width)
  const y1 = Math.min(map.height, r.y + r.height)
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) }
}

function grow(r: Rect, by: number, map: LabelMap): Rect {
  return clip({ x: r.x - by, y: r.y - by, width: r.width + 2 * by, height: r.height + 2 * by }, map)
}
