import { LABEL_LESION, LABEL_UNCERTAIN, type LabelMap } from '../../../shared/labels/codes'
import { LABEL_RGB } from '../../../shared/labels/colours'
import { clipRect, expandRect, mapRect, type Rect } from '../../../shared/labels/patch'

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

export type { Rect }

/**
 * Where an assisted proposal on preview is unsure: flags (1 = low confidence) over `rect` of `map`,
 * row-major. The overlay hatches those pixels with amber stripes over their proposed colour, so a
 * curator checks them first; marks of another map are ignored (a pair moved on from).
 */
export interface PreviewMarks {
  map: LabelMap
  rect: Rect
  flags: Uint8Array
}

/** Amber of the unsure hatching, packed like the lookup tables. */
const UNSURE_RGBA = (() => {
  const v = new Uint32Array(1)
  new Uint8Array(v.buffer).set([255, 184, 0, 255])
  return v[0]
})()

/** Weakly held: an overlay whose view is gone is collected without having to say so. */
const overlays = new Set<WeakRef<LabelOverlay>>()
let previewMarks: PreviewMarks | null = null

/**
 * Shows (or with null, removes) the unsure marks of the proposal on preview, redrawing the
 * rectangles concerned on every overlay.
 */
export function setPreviewMarks(marks: PreviewMarks | null): void {
  const old = previewMarks
  previewMarks = marks
  for (const ref of overlays) {
    const o = ref.deref()
    if (!o) {
      overlays.delete(ref)
      continue
    }
    if (old) o.redraw(old.rect)
    if (marks) o.redraw(marks.rect)
  }
}

/** The view's transform: screen = image × zoom + (tx, ty), in canvas (CSS) pixels. */
export interface OverlayViewport {
  zoom: number
  tx: number
  ty: number
}

/**
 * The label map drawn at screen resolution into one canvas the size of the view, stacked over the
 * photo: each canvas pixel takes the colour of the ONE label pixel under its centre (nearest, no
 * blending), through a 256-entry lookup table, so every shown pixel is one label's exact colour at
 * any zoom.
 *
 * Why one view-sized canvas rather than a raster of the whole map scaled by the compositor: the
 * canvas is made once and keeps its size while the curator moves between pairs of any size (in
 * Chromium a new or resized canvas costs an allocation and two slow frames: ≈ 100 ms at 2400×1600
 * in software rendering), an edit uploads only the screen pixels it covers, and the compositor
 * never scales a canvas of up to 24 Mpx. A pan or zoom redraws the whole view (≈ 1.5 Mpx of table
 * lookups), as fabric redraws the photo.
 */
export class LabelOverlay {
  private readonly ctx: CanvasRenderingContext2D
  private image: ImageData | null = null
  private pixels = new Uint32Array(0)
  private map: LabelMap | null = null
  private mode: OverlayMode = 'fill'
  private viewport: OverlayViewport = { zoom: 1, tx: 0, ty: 0 }

  /**
   * Drawn on the main thread: handing the canvas to a worker (transferControlToOffscreen) was
   * measured slower here — each of its frames is committed on its own, and painting dropped half
   * the page's frames in software rendering.
   */
  constructor(readonly canvas: HTMLCanvasElement = document.createElement('canvas')) {
    const ctx = canvas.getContext('2d', { alpha: true })
    if (!ctx) throw new Error('no 2D canvas context')
    this.ctx = ctx
    overlays.add(new WeakRef(this))
  }

  /** The view's size in canvas pixels (the canvas is reallocated only here). */
  resize(width: number, height: number): void {
    const w = Math.max(1, Math.floor(width))
    const h = Math.max(1, Math.floor(height))
    if (w === this.canvas.width && h === this.canvas.height && this.image) return
    this.canvas.width = w
    this.canvas.height = h
    this.image = this.ctx.createImageData(w, h)
    this.pixels = new Uint32Array(this.image.data.buffer)
  }

  /** The label map shown (null: none); drawn in full at the next redraw. */
  setMap(map: LabelMap | null): void {
    this.map = map
  }

  setMode(mode: OverlayMode): void {
    this.mode = mode
  }

  setViewport(viewport: OverlayViewport): void {
    this.viewport = { ...viewport }
  }

  /** Redraws the whole view. */
  redrawAll(): void {
    this.drawScreen(0, 0, this.canvas.width, this.canvas.height)
  }

  /**
   * Redraws the screen pixels covering a rectangle of the label map (grown by one pixel in outline
   * mode, where a pixel's colour depends on its neighbours).
   */
  redraw(dirty: Rect): void {
    const map = this.map
    if (!map) return
    const r = clipRect(this.mode === 'outline' ? expandRect(dirty, 1) : dirty, mapRect(map))
    if (!r) return
    const { zoom, tx, ty } = this.viewport
    this.drawScreen(
      Math.floor(r.x * zoom + tx),
      Math.floor(r.y * zoom + ty),
      Math.ceil((r.x + r.width) * zoom + tx),
      Math.ceil((r.y + r.height) * zoom + ty),
    )
  }

  /** Computes and uploads the canvas pixels of [x0, x1) × [y0, y1) (clipped to the canvas). */
  private drawScreen(x0: number, y0: number, x1: number, y1: number): void {
    const image = this.image
    if (!image) return
    const cw = this.canvas.width
    const ch = this.canvas.height
    x0 = Math.max(0, x0)
    y0 = Math.max(0, y0)
    x1 = Math.min(cw, x1)
    y1 = Math.min(ch, y1)
    if (x1 <= x0 || y1 <= y0) return
    const out = this.pixels
    const map = this.map
    if (!map) {
      for (let y = y0; y < y1; y++) out.fill(0, y * cw + x0, y * cw + x1)
      this.ctx.putImageData(image, 0, 0, x0, y0, x1 - x0, y1 - y0)
      return
    }
    const { width: mw, height: mh, data } = map
    const { zoom, tx, ty } = this.viewport
    const lut = LUTS[this.mode]
    const outline = this.mode === 'outline'
    // The label column under every canvas column of the rectangle (-1 outside the map).
    const cols = new Int32Array(x1 - x0)
    let first = -1
    let last = -1
    for (let i = 0; i < cols.length; i++) {
      const sx = Math.floor((x0 + i + 0.5 - tx) / zoom)
      if (sx >= 0 && sx < mw) {
        cols[i] = sx
        if (first < 0) first = i
        last = i
      } else cols[i] = -1
    }
    const marks = previewMarks !== null && previewMarks.map === map ? previewMarks : null
    // Zoomed in, successive canvas rows often show the same label row: copied, not recomputed.
    let prevSy = -1
    let prevStart = 0
    for (let y = y0; y < y1; y++) {
      const rowStart = y * cw
      const sy = Math.floor((y + 0.5 - ty) / zoom)
      if (sy < 0 || sy >= mh || first < 0) {
        out.fill(0, rowStart + x0, rowStart + x1)
        continue
      }
      const marked = marks !== null && sy >= marks.rect.y && sy < marks.rect.y + marks.rect.height
      if (sy === prevSy && !marked) {
        out.copyWithin(rowStart + x0, prevStart + x0, prevStart + x1)
        continue
      }
      if (first > 0) out.fill(0, rowStart + x0, rowStart + x0 + first)
      if (last < cols.length - 1) out.fill(0, rowStart + x0 + last + 1, rowStart + x1)
      if (outline) outlineRow(out, rowStart + x0, lut, map, sy, cols, first, last)
      else fillRow(out, rowStart + x0, lut, data, sy * mw, cols, first, last)
      if (marked) hatchRow(out, rowStart + x0, x0 + y, marks, sy, cols, first, last)
      prevSy = sy
      prevStart = rowStart
    }
    this.ctx.putImageData(image, 0, 0, x0, y0, x1 - x0, y1 - y0)
  }
}

/** One canvas row in fill modes: out[at + i] = colour of the label at column cols[i] (small, so V8 optimizes it early). */
function fillRow(
  out: Uint32Array,
  at: number,
  lut: Uint32Array,
  data: Uint8Array,
  base: number,
  cols: Int32Array,
  first: number,
  last: number,
): void {
  let d = at + first
  for (let i = first; i <= last; i++) out[d++] = lut[data[base + cols[i]]]
}

/**
 * Unsure pixels of one canvas row: diagonal amber stripes (4 screen pixels wide) over the proposed
 * colour; `phase` = canvas x + y of the row's first pixel.
 */
function hatchRow(
  out: Uint32Array,
  at: number,
  phase: number,
  marks: PreviewMarks,
  sy: number,
  cols: Int32Array,
  first: number,
  last: number,
): void {
  const { rect, flags } = marks
  const base = (sy - rect.y) * rect.width - rect.x
  for (let i = first; i <= last; i++) {
    const sx = cols[i]
    if (sx < rect.x || sx >= rect.x + rect.width || flags[base + sx] === 0) continue
    if (((phase + i) & 4) !== 0) out[at + i] = UNSURE_RGBA
  }
}

/** One canvas row in outline mode: a pixel is drawn when one of its 4 neighbours holds another label; 0 stays clear. */
function outlineRow(
  out: Uint32Array,
  at: number,
  lut: Uint32Array,
  map: LabelMap,
  sy: number,
  cols: Int32Array,
  first: number,
  last: number,
): void {
  const { width: mw, height: mh, data } = map
  const base = sy * mw
  let d = at + first
  for (let i = first; i <= last; i++, d++) {
    const sx = cols[i]
    const k = base + sx
    const v = data[k]
    const edge =
      v !== 0 &&
      ((sx > 0 && data[k - 1] !== v) ||
        (sx < mw - 1 && data[k + 1] !== v) ||
        (sy > 0 && data[k - mw] !== v) ||
        (sy < mh - 1 && data[k + mw] !== v))
    out[d] = edge ? lut[v] : 0
  }
}
