import { LABEL_LESION, LABEL_UNCERTAIN, type LabelMap } from '../../../shared/labels/codes'
import { LABEL_RGB } from '../../../shared/labels/colours'

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
  else set(LABEL_LESION, ...LABEL_RGB.lesion, 255)
  set(LABEL_UNCERTAIN, ...LABEL_RGB.uncertain, 255)
  return lut
}

const FILL_LUT = buildOverlayLut('fill')
/** Outline mode colours the boundary pixels it keeps like fill mode does. */
const LUTS: Record<OverlayMode, Uint32Array> = {
  fill: FILL_LUT,
  outline: FILL_LUT,
  uncertain: buildOverlayLut('uncertain'),
}

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** One overlay raster: a canvas showing the label map at `scale` (1 = one canvas pixel per label pixel). */
class OverlayLayer {
  readonly canvas: HTMLCanvasElement
  private readonly ctx: CanvasRenderingContext2D

  constructor(
    private readonly map: LabelMap,
    readonly scale: number,
  ) {
    this.canvas = document.createElement('canvas')
    this.canvas.width = Math.max(1, Math.round(map.width * scale))
    this.canvas.height = Math.max(1, Math.round(map.height * scale))
    const ctx = this.canvas.getContext('2d', { alpha: true })
    if (!ctx) throw new Error('no 2D canvas context')
    ctx.imageSmoothingEnabled = false
    this.ctx = ctx
  }

  /** Repaints the canvas pixels covering a rectangle of the label map (nearest label, no blending). */
  redraw(rect: Rect, mode: OverlayMode): void {
    const s = this.scale
    const cw = this.canvas.width
    const ch = this.canvas.height
    const x0 = Math.max(0, Math.floor(rect.x * s))
    const y0 = Math.max(0, Math.floor(rect.y * s))
    const x1 = Math.min(cw, Math.ceil((rect.x + rect.width) * s))
    const y1 = Math.min(ch, Math.ceil((rect.y + rect.height) * s))
    const width = x1 - x0
    const height = y1 - y0
    if (width <= 0 || height <= 0) return
    const img = this.ctx.createImageData(width, height)
    const out = new Uint32Array(img.data.buffer)
    const { width: mw, height: mh, data } = this.map
    const lut = LUTS[mode]
    // Source column of every target column, computed once per call.
    const cols = new Int32Array(width)
    for (let i = 0; i < width; i++)
      cols[i] = s === 1 ? x0 + i : Math.min(mw - 1, Math.floor((x0 + i + 0.5) / s))
    for (let row = 0; row < height; row++) {
      const sy = s === 1 ? y0 + row : Math.min(mh - 1, Math.floor((y0 + row + 0.5) / s))
      const base = sy * mw
      let d = row * width
      if (mode !== 'outline') {
        for (let i = 0; i < width; i++) out[d++] = lut[data[base + cols[i]]]
        continue
      }
      // Outline: a pixel is drawn when one of its 4 neighbours holds another label; 0 stays clear.
      for (let i = 0; i < width; i++, d++) {
        const sx = cols[i]
        const k = base + sx
        const v = data[k]
        if (v === 0) continue
        const edge =
          (sx > 0 && data[k - 1] !== v) ||
          (sx < mw - 1 && data[k + 1] !== v) ||
          (sy > 0 && data[k - mw] !== v) ||
          (sy < mh - 1 && data[k + mw] !== v)
        if (edge) out[d] = lut[v]
      }
    }
    this.ctx.putImageData(img, x0, y0)
  }
}

/**
 * The label map as overlay rasters, always drawn without smoothing so every shown pixel is one
 * label's exact colour. A large map viewed zoomed out gets a reduced raster (`lowScale`, nearest
 * label per pixel), built at once; the full-resolution raster is built only when the view zooms in
 * past it. Edits redraw only their dirty rectangle in the rasters that exist (grown by one pixel
 * in outline mode, where a pixel's colour depends on its neighbours).
 */
export class LabelOverlay {
  private mode: OverlayMode = 'fill'
  private full: OverlayLayer | null = null
  readonly low: OverlayLayer | null

  constructor(
    private readonly map: LabelMap,
    lowScale = 1,
  ) {
    this.low = lowScale < 1 ? new OverlayLayer(map, lowScale) : null
    if (this.low) this.low.redraw(this.all(), this.mode)
    else this.fullLayer()
  }

  /** The full-resolution canvas, built on first use. */
  fullCanvas(): HTMLCanvasElement {
    return this.fullLayer().canvas
  }

  private fullLayer(): OverlayLayer {
    if (!this.full) {
      this.full = new OverlayLayer(this.map, 1)
      this.full.redraw(this.all(), this.mode)
    }
    return this.full
  }

  setMode(mode: OverlayMode): void {
    if (mode === this.mode) return
    this.mode = mode
    this.redrawAll()
  }

  redrawAll(): void {
    this.redraw(this.all())
  }

  redraw(dirty: Rect): void {
    const rect = this.mode === 'outline' ? grow(dirty, 1, this.map) : clip(dirty, this.map)
    if (rect.width <= 0 || rect.height <= 0) return
    this.full?.redraw(rect, this.mode)
    this.low?.redraw(rect, this.mode)
  }

  private all(): Rect {
    return { x: 0, y: 0, width: this.map.width, height: this.map.height }
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
