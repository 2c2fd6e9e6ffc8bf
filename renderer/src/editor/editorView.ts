import { FabricImage, Polyline, StaticCanvas, type TMat2D } from 'fabric'
import type { LabelMap } from '../../../shared/labels/codes'
import { closeLater, decodeImage } from './decodeImage'
import { unionRect } from '../../../shared/labels/patch'
import { LabelOverlay, type OverlayMode, type Rect } from './overlay'

const MIN_ZOOM = 1 / 64
/** Below this fit zoom a large photo is drawn from a reduced copy… */
const LOD_THRESHOLD = 0.5
/** …holding this many image pixels per screen pixel at the fit. */
const LOD_OVERSAMPLE = 2
const MAX_ZOOM = 64

/** A rectangle in image pixels, as triage regions give it. */
export interface Region {
  x: number
  y: number
  w: number
  h: number
}

export interface ImagePoint {
  /** Image coordinates in pixels: pixel (x, y) covers [x, x+1) × [y, y+1). */
  x: number
  y: number
}

/**
 * The view of one pair. fabric handles the viewport (zoom, pan), draws the photo and the lasso
 * path; it never paints labels (its brushes anti-alias). The labels are drawn by a LabelOverlay:
 * a canvas of the view's size stacked over fabric's canvas, so an edit is one putImageData of the
 * screen pixels it covers and the photo is not re-rendered while painting. Pointer input lands on
 * a transparent layer above both; the brush ring is an element moved by a CSS transform: moving it
 * redraws no canvas.
 * The label map and image live here, outside Vue's reactivity.
 */
export class EditorView {
  readonly canvas: StaticCanvas
  private readonly inputEl: HTMLElement
  /** The input layer's cursor as last set. */
  private cursor = 'crosshair'
  private readonly host: HTMLElement
  private imageObject: FabricImage | null = null
  private readonly overlay = new LabelOverlay()
  private map: LabelMap | null = null
  private readonly ringEl: HTMLDivElement
  /** Dirty rectangles of the label map waiting for the next animation frame. */
  private pendingRect: Rect | null = null
  /** The whole overlay waits for the next animation frame (after a pan, a zoom, a new pair). */
  private pendingAll = false
  private frame = 0
  /** Scale of the reduced photo (1: none), see prepareNow(). */
  private lod = 1
  private showingLow = false
  private fullImage: ImageBitmap | null = null
  private lowImage: ImageBitmap | null = null
  private generation = 0
  private lassoPath: Polyline | null = null
  private imageSize = { width: 0, height: 0 }
  /** The brush ring: an image point and a diameter in image pixels. */
  private ring: { at: ImagePoint; diameter: number } | null = null
  private mode: OverlayMode = 'fill'
  /** Regions to outline (image pixels; the triage reasons'), each a DOM element placed by transform. */
  private highlights: { rect: Region; el: HTMLDivElement }[] = []

  /** Layers over fabric's canvas, in its parent: labels, then pointer input, then the brush ring. */
  constructor(element: HTMLCanvasElement) {
    // A StaticCanvas: fabric draws the photo (and the lasso path) under a viewport transform and
    // handles no input — no event handlers of its own on every pointer move, no top canvas layer.
    this.canvas = new StaticCanvas(element, {
      renderOnAddRemove: false,
      enableRetinaScaling: false,
      imageSmoothingEnabled: true,
      backgroundColor: '#111214',
    })
    const host = element.parentElement
    if (!host) throw new Error('the editor canvas needs a parent element')
    this.host = host
    const layer = (el: HTMLElement, style: Partial<CSSStyleDeclaration>) => {
      Object.assign(el.style, { position: 'absolute', left: '0', top: '0', ...style })
      host.appendChild(el)
      return el
    }
    layer(this.overlay.canvas, { pointerEvents: 'none', opacity: '0.5' }).classList.add('overlay-layer')
    this.inputEl = layer(document.createElement('div'), {
      right: '0',
      bottom: '0',
      cursor: 'crosshair',
      // No text selection or touch gestures to track while dragging over the image.
      userSelect: 'none',
      touchAction: 'none',
    })
    this.inputEl.className = 'editor-input'
    this.inputEl.addEventListener('contextmenu', (e) => e.preventDefault())
    // No autoscroll on a middle-button drag (it pans).
    this.inputEl.addEventListener('mousedown', (e) => {
      if (e.button === 1) e.preventDefault()
    })
    this.ringEl = layer(document.createElement('div'), {
      pointerEvents: 'none',
      borderRadius: '50%',
      border: '1px dashed #ffffff',
      outline: '1px dashed #000000',
      boxSizing: 'border-box',
      display: 'none',
      willChange: 'transform',
    }) as HTMLDivElement
    this.ringEl.className = 'brush-ring'
  }

  /** The element pointer listeners attach to: a transparent layer over the photo and the labels. */
  get eventTarget(): HTMLElement {
    return this.inputEl
  }

  /**
   * Makes what showing a pair takes beyond its decoded image — for a large image zoomed out, the
   * reduced copy of the photo, decoded from its bytes (`blob`) off the main thread — without
   * touching the screen: done ahead for the next pair, so that moving to it is a swap. The result
   * is shown with show() or given back with release().
   */
  async prepare(map: LabelMap, blob: Blob): Promise<PreparedView> {
    const prepared = this.prepareNow(map)
    if (prepared.lod < 1) prepared.lowImage = await decodeImage(blob, reducedSize(map, prepared.lod))
    return prepared
  }

  /** prepare() without the reduced photo (show() decodes it in the background). */
  prepareNow(map: LabelMap): PreparedView {
    // Level of detail: zoomed out on a large image, a reduced photo (about two image pixels per
    // screen pixel at the fit) is drawn instead of the full one, which comes back when the view
    // zooms in past it. (The overlay is always drawn at screen resolution from the map itself.)
    const fitZoom = this.fitZoomOf(map.width, map.height)
    const lod = fitZoom > 0 && fitZoom < LOD_THRESHOLD ? Math.min(1, fitZoom * LOD_OVERSAMPLE) : 1
    return { lod, lowImage: null }
  }

  /** Gives back what prepare() made for a pair that is not going to be shown. */
  static release(prepared: PreparedView): void {
    closeLater(prepared.lowImage)
    prepared.lowImage = null
  }

  /**
   * Shows a pair — its decoded image, label map and image bytes (for the reduced photo) — and fits
   * it into the canvas, with what prepare() made for it if given. The view owns the prepared parts
   * from now on; the image stays the caller's.
   */
  show(pair: { image: ImageBitmap; map: LabelMap; blob: Blob }, prepared?: PreparedView): void {
    this.clear()
    const { image, map } = pair
    const { lod, lowImage } = prepared ?? this.prepareNow(map)
    const generation = ++this.generation
    this.imageSize = { width: image.width, height: image.height }
    this.fullImage = image
    this.map = map
    this.overlay.setMap(map)
    this.lod = lod
    this.lowImage = lowImage
    const startLow = lod < 1 && lowImage !== null
    // drawImage accepts an ImageBitmap; fabric's type lists only elements, so the cast is safe here.
    this.imageObject = new FabricImage(
      (startLow ? lowImage : image) as unknown as HTMLCanvasElement,
      startLow ? { ...PHOTO_OPTIONS, scaleX: 1 / lod, scaleY: 1 / lod } : PHOTO_OPTIONS,
    )
    this.showingLow = startLow
    this.canvas.add(this.imageObject)
    this.fit()
    if (lod < 1 && !lowImage) {
      void decodeImage(pair.blob, reducedSize(map, lod)).then(
        (small) => {
          if (generation !== this.generation) return small.close()
          this.lowImage = small
          this.applyDetail()
        },
        () => {}, // the full photo stays
      )
    }
  }

  /** Swaps between the reduced and the full photo as the zoom crosses the reduced one's scale. */
  private applyDetail(): void {
    if (!this.imageObject || !this.fullImage) return
    const low = this.lod < 1 && this.zoom <= this.lod
    if (low === this.showingLow) return
    const lowImage = this.lowImage
    if (low && !lowImage) return
    this.showingLow = low
    const scale = low ? 1 / this.lod : 1
    const image = (low ? lowImage : this.fullImage) as unknown as HTMLCanvasElement
    this.imageObject.setElement(image)
    this.imageObject.set({ scaleX: scale, scaleY: scale, dirty: true })
    this.canvas.requestRenderAll()
  }

  private fitZoom(): number {
    return this.fitZoomOf(this.imageSize.width, this.imageSize.height)
  }

  private fitZoomOf(width: number, height: number): number {
    if (!width || !height) return 0
    return Math.min(this.canvas.getWidth() / width, this.canvas.getHeight() / height)
  }

  clear(): void {
    this.setHighlights([])
    this.generation++
    closeLater(this.lowImage)
    this.lowImage = null
    this.fullImage = null
    this.map = null
    this.overlay.setMap(null)
    this.pendingRect = null
    this.canvas.remove(...this.canvas.getObjects())
    this.imageObject = null
    this.lassoPath = null
    this.imageSize = { width: 0, height: 0 }
    this.redrawOverlay()
    this.canvas.requestRenderAll()
  }

  /**
   * Redraws the overlay in a dirty rectangle of the label map (after an edit, undo or redo). The
   * rectangles of one animation frame are merged: one putImageData per frame, however many
   * pointer events the frame had.
   */
  labelsChanged(rect: Rect | null): void {
    if (!rect || !this.map) return
    this.pendingRect = unionRect(this.pendingRect, rect)
    this.scheduleFlush()
  }

  /** The whole overlay is redrawn in the next animation frame (with fabric's render of the photo). */
  private redrawOverlay(): void {
    this.pendingAll = true
    this.scheduleFlush()
  }

  private scheduleFlush(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush())
  }

  private flush(): void {
    this.frame = 0
    const rect = this.pendingRect
    this.pendingRect = null
    const all = this.pendingAll
    this.pendingAll = false
    // The overlay canvas is its own layer: the browser recomposites it, fabric renders nothing.
    if (all) this.overlay.redrawAll()
    else if (rect) this.overlay.redraw(rect)
  }

  // ---- viewport ----------------------------------------------------------------------------------

  get zoom(): number {
    return this.canvas.getZoom()
  }

  /** Fits the whole image inside the canvas, centred. */
  fit(): void {
    const { width, height } = this.imageSize
    if (!width || !height) return
    const cw = this.canvas.getWidth()
    const ch = this.canvas.getHeight()
    const zoom = this.fitZoom()
    this.setViewport([zoom, 0, 0, zoom, (cw - width * zoom) / 2, (ch - height * zoom) / 2])
  }

  /** One image pixel per screen pixel, centred on the canvas centre. */
  oneToOne(): void {
    this.zoomAt(1, this.canvas.getWidth() / 2, this.canvas.getHeight() / 2)
  }

  /** Zooms to `zoom`, keeping the image point under the canvas point (sx, sy) fixed. */
  zoomAt(zoom: number, sx: number, sy: number): void {
    const z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom))
    const p = this.toImage(sx, sy)
    this.setViewport([z, 0, 0, z, sx - p.x * z, sy - p.y * z])
  }

  panBy(dx: number, dy: number): void {
    const v = this.canvas.viewportTransform
    this.setViewport([v[0], 0, 0, v[3], v[4] + dx, v[5] + dy])
  }

  /** Canvas (CSS pixel) coordinates to image coordinates. */
  toImage(sx: number, sy: number): ImagePoint {
    const v = this.canvas.viewportTransform
    return { x: (sx - v[4]) / v[0], y: (sy - v[5]) / v[3] }
  }

  resize(width: number, height: number): void {
    this.canvas.setDimensions({ width, height })
    this.overlay.resize(width, height)
    Object.assign(this.overlay.canvas.style, { width: `${width}px`, height: `${height}px` })
    this.redrawOverlay()
    this.fit()
  }

  private setViewport(v: TMat2D): void {
    this.canvas.setViewportTransform(v)
    // For automation: screen = image × zoom + (tx, ty), in the canvas's CSS pixels.
    this.host.dataset.view = `${v[0]} ${v[4]} ${v[5]}`
    this.applyDetail()
    this.overlay.setViewport({ zoom: v[0], tx: v[4], ty: v[5] })
    this.redrawOverlay()
    this.placeRing()
    this.placeHighlights()
    this.canvas.requestRenderAll()
  }

  /**
   * Outlines regions of the image (image pixels; e.g. where a triage reason applies) with light
   * elements over the view, placed by the view transform: the overlay's pixels are not touched.
   */
  setHighlights(rects: readonly (Region & { title?: string })[]): void {
    for (const h of this.highlights) h.el.remove()
    this.highlights = rects.map((r) => {
      const el = document.createElement('div')
      Object.assign(el.style, {
        position: 'absolute',
        left: '0',
        top: '0',
        pointerEvents: 'none',
        border: '2px solid #ffcc00',
        outline: '1px solid #000000',
        boxSizing: 'border-box',
      })
      el.className = 'triage-region'
      el.dataset.testid = 'triage-region'
      if (r.title) el.title = r.title
      this.host.appendChild(el)
      return { rect: { x: r.x, y: r.y, w: r.w, h: r.h }, el }
    })
    this.placeHighlights()
  }

  private placeHighlights(): void {
    const v = this.canvas.viewportTransform
    for (const { rect, el } of this.highlights) {
      Object.assign(el.style, {
        width: `${Math.max(4, rect.w * v[0])}px`,
        height: `${Math.max(4, rect.h * v[3])}px`,
        transform: `translate(${rect.x * v[0] + v[4]}px, ${rect.y * v[3] + v[5]}px)`,
      })
    }
  }

  // ---- appearance --------------------------------------------------------------------------------

  setOpacity(opacity: number): void {
    this.overlay.canvas.style.opacity = String(opacity)
  }

  setOverlayVisible(visible: boolean): void {
    this.overlay.canvas.style.visibility = visible ? 'visible' : 'hidden'
  }

  setOverlayMode(mode: OverlayMode): void {
    if (mode === this.mode) return
    this.mode = mode
    this.overlay.setMode(mode)
    this.redrawOverlay()
  }

  /** The brush ring at an image point, `diameter` image pixels across; null hides it. */
  showRing(at: ImagePoint | null, diameter: number): void {
    this.ring = at ? { at, diameter } : null
    this.placeRing()
  }

  /**
   * Shows the ring. Zoomed out or at 1:1, where the brush's snapped centre is within half a screen
   * pixel of the pointer, it is the pointer's own cursor image: moving it changes nothing on the
   * page, so hovering and painting cost no extra rendering. Zoomed in (or too large for a cursor)
   * it is an element placed by a CSS transform at the snapped centre.
   */
  private placeRing(): void {
    const ring = this.ring
    const v = this.canvas.viewportTransform
    const d = ring ? Math.max(2, ring.diameter * v[0]) : 0
    const cursor = !ring ? 'crosshair' : v[0] <= 1 && d <= RING_CURSOR_MAX ? ringCursor(d) : 'none'
    // Compared with what was set, not with style.cursor: the browser re-serializes a url() cursor,
    // so that comparison never matches and every pointer move would restyle the layer.
    if (this.cursor !== cursor) this.inputEl.style.cursor = this.cursor = cursor
    if (!ring || cursor !== 'none') {
      if (this.ringEl.style.display !== 'none') this.ringEl.style.display = 'none'
      return
    }
    const cx = ring.at.x * v[0] + v[4]
    const cy = ring.at.y * v[3] + v[5]
    const size = `${d}px`
    if (this.ringEl.style.width !== size) Object.assign(this.ringEl.style, { width: size, height: size })
    this.ringEl.style.transform = `translate(${cx - d / 2}px, ${cy - d / 2}px)`
    this.ringEl.style.display = 'block'
  }

  /** The lasso outline in progress (image coordinates); null removes it. */
  showLasso(points: ImagePoint[] | null): void {
    if (this.lassoPath) this.canvas.remove(this.lassoPath)
    this.lassoPath = null
    if (points && points.length > 1) {
      this.lassoPath = new Polyline(points, {
        fill: 'rgba(255,255,255,0.08)',
        stroke: '#ffffff',
        strokeWidth: 1,
        strokeUniform: true,
        selectable: false,
        evented: false,
        objectCaching: false,
      })
      this.canvas.add(this.lassoPath)
    }
    this.canvas.requestRenderAll()
  }

  dispose(): void {
    if (this.frame) cancelAnimationFrame(this.frame)
    this.ringEl.remove()
    for (const h of this.highlights) h.el.remove()
    this.inputEl.remove()
    this.overlay.canvas.remove()
    void this.canvas.dispose()
  }
}

/** Diameters (screen pixels) up to which the ring is a cursor image (browsers refuse large cursors). */
const RING_CURSOR_MAX = 120

const ringCursors = new Map<number, string>()

/** A CSS cursor: a dashed white-and-black circle `diameter` screen pixels across, hotspot at its centre. */
function ringCursor(diameter: number): string {
  const d = Math.round(diameter)
  let css = ringCursors.get(d)
  if (css) return css
  const size = d + 4
  const c = document.createElement('canvas')
  c.width = size
  c.height = size
  const ctx = c.getContext('2d')
  if (!ctx) return 'crosshair'
  const h = Math.floor(size / 2)
  ctx.lineWidth = 1
  ctx.setLineDash([4, 3])
  ctx.beginPath()
  ctx.arc(h, h, d / 2, 0, Math.PI * 2)
  ctx.strokeStyle = '#ffffff'
  ctx.stroke()
  ctx.strokeStyle = '#000000'
  ctx.lineDashOffset = 3.5
  ctx.stroke()
  css = `url(${c.toDataURL('image/png')}) ${h} ${h}, crosshair`
  ringCursors.set(d, css)
  return css
}

/** What showing one pair takes beyond its image and map, made ahead by EditorView.prepare(). */
export interface PreparedView {
  /** Scale of the reduced photo (1: none). */
  lod: number
  /** The photo at `lod` (null until made, or when lod is 1). */
  lowImage: ImageBitmap | null
}

function reducedSize(map: LabelMap, lod: number): { width: number; height: number } {
  return {
    width: Math.max(1, Math.round(map.width * lod)),
    height: Math.max(1, Math.round(map.height * lod)),
  }
}

/** The photo: a fixed, non-interactive object at the image origin, smoothed when scaled. */
const PHOTO_OPTIONS = {
  left: 0,
  top: 0,
  originX: 'left' as const,
  originY: 'top' as const,
  selectable: false,
  evented: false,
  hasControls: false,
  objectCaching: false,
  imageSmoothing: true,
}
