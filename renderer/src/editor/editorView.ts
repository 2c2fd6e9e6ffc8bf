import { Canvas, FabricImage, Polyline, type TMat2D } from 'fabric'
import type { LabelMap } from '../../../shared/labels/codes'
import { LabelOverlay, type OverlayMode, type Rect } from './overlay'

const MIN_ZOOM = 1 / 64
/** Below this fit zoom a pair is shown through reduced rasters… */
const LOD_THRESHOLD = 0.5
/** …holding this many image pixels per screen pixel at the fit. */
const LOD_OVERSAMPLE = 2
const MAX_ZOOM = 64

export interface ImagePoint {
  /** Image coordinates in pixels: pixel (x, y) covers [x, x+1) × [y, y+1). */
  x: number
  y: number
}

/**
 * The view of one pair. fabric handles the viewport (zoom, pan), draws the image and the overlay,
 * and shows the brush ring and the lasso path; it never paints labels (its brushes anti-alias).
 * The label map and image live here, outside Vue's reactivity.
 */
export class EditorView {
  readonly canvas: Canvas
  private imageObject: FabricImage | null = null
  /**
   * The overlay is a canvas of its own stacked between fabric's scene and top canvases and placed
   * by a CSS transform that follows the viewport (nearest-neighbour scaling). An edit is one
   * putImageData into it: the scene (the photo) is not re-rendered while painting.
   */
  private overlayEl: HTMLCanvasElement | null = null
  /** Image pixels per overlay-canvas pixel of the raster shown (1, or 1/lod for the reduced one). */
  private overlayScale = 1
  private overlay: LabelOverlay | null = null
  /** The brush ring, drawn on fabric's top canvas: moving it never redraws the scene. */
  private ring: { at: ImagePoint; diameter: number } | null = null
  /** Dirty rectangles of the label map waiting for the next animation frame. */
  private pendingRect: Rect | null = null
  private frame = 0
  /** Level of detail (see show()). */
  private lod = 1
  private showingLow = false
  private fullImage: ImageBitmap | null = null
  private lowImage: ImageBitmap | null = null
  private generation = 0
  private lassoPath: Polyline | null = null
  private imageSize = { width: 0, height: 0 }
  private opacity = 0.5
  private overlayVisible = true
  private mode: OverlayMode = 'fill'

  constructor(element: HTMLCanvasElement) {
    this.canvas = new Canvas(element, {
      selection: false,
      renderOnAddRemove: false,
      enableRetinaScaling: false,
      skipTargetFind: true,
      stopContextMenu: true,
      fireMiddleClick: true,
      imageSmoothingEnabled: true,
      backgroundColor: '#111214',
      defaultCursor: 'none',
      hoverCursor: 'none',
    })
  }

  /** The element pointer listeners attach to (fabric's top canvas). */
  get eventTarget(): HTMLElement {
    return this.canvas.upperCanvasEl
  }

  /** Shows a decoded image with its label map and fits it into the canvas. */
  show(image: ImageBitmap, map: LabelMap): void {
    this.clear()
    const generation = ++this.generation
    this.imageSize = { width: image.width, height: image.height }
    this.fullImage = image
    // Level of detail: zoomed out on a large image, a reduced image and overlay (about two image
    // pixels per screen pixel at the fit) are drawn instead of the full rasters; the full ones
    // come back when the view zooms in past them.
    const fitZoom = this.fitZoom()
    this.lod = fitZoom > 0 && fitZoom < LOD_THRESHOLD ? Math.min(1, fitZoom * LOD_OVERSAMPLE) : 1
    // drawImage accepts an ImageBitmap; fabric's type lists only elements, so the cast is safe here.
    this.imageObject = new FabricImage(image as unknown as HTMLCanvasElement, PHOTO_OPTIONS)
    this.overlay = new LabelOverlay(map, this.lod)
    this.overlay.setMode(this.mode)
    this.showingLow = false
    this.setOverlayElement(
      this.overlay.low?.canvas ?? this.overlay.fullCanvas(),
      this.overlay.low ? 1 / this.lod : 1,
    )
    this.canvas.add(this.imageObject)
    this.fit()
    if (this.lod < 1) {
      const w = Math.max(1, Math.round(image.width * this.lod))
      const h = Math.max(1, Math.round(image.height * this.lod))
      void createImageBitmap(image, { resizeWidth: w, resizeHeight: h, resizeQuality: 'medium' }).then(
        (small) => {
          if (generation !== this.generation) return small.close()
          this.lowImage = small
          this.applyDetail()
        },
      )
    }
  }

  /** Swaps between the reduced and the full rasters as the zoom crosses the reduced one's scale. */
  private applyDetail(): void {
    if (!this.imageObject || !this.overlay || !this.fullImage) return
    const low = this.lod < 1 && this.zoom <= this.lod
    if (low === this.showingLow) return
    const lowImage = this.lowImage
    if (low && (!lowImage || !this.overlay.low)) return
    this.showingLow = low
    const scale = low ? 1 / this.lod : 1
    const image = (low ? lowImage : this.fullImage) as unknown as HTMLCanvasElement
    const overlay = low ? this.overlay.low!.canvas : this.overlay.fullCanvas()
    this.imageObject.setElement(image)
    this.imageObject.set({ scaleX: scale, scaleY: scale, dirty: true })
    this.setOverlayElement(overlay, scale)
    this.canvas.requestRenderAll()
  }

  /** Shows `el` as the overlay layer, each of its pixels covering `scale` image pixels. */
  private setOverlayElement(el: HTMLCanvasElement, scale: number): void {
    if (this.overlayEl !== el) {
      this.overlayEl?.remove()
      el.classList.add('overlay-layer')
      Object.assign(el.style, {
        position: 'absolute',
        left: '0',
        top: '0',
        transformOrigin: '0 0',
        imageRendering: 'pixelated',
        pointerEvents: 'none',
        opacity: String(this.opacity),
        visibility: this.overlayVisible ? 'visible' : 'hidden',
      })
      // Between fabric's scene canvas and its top canvas (brush ring, pointer events).
      this.canvas.wrapperEl.insertBefore(el, this.canvas.upperCanvasEl)
      this.overlayEl = el
    }
    this.overlayScale = scale
    this.placeOverlay()
  }

  /** Follows the viewport: the same transform fabric applies to the image. */
  private placeOverlay(): void {
    if (!this.overlayEl) return
    const v = this.canvas.viewportTransform
    const k = this.overlayScale
    this.overlayEl.style.transform = `matrix(${v[0] * k}, 0, 0, ${v[3] * k}, ${v[4]}, ${v[5]})`
  }

  private fitZoom(): number {
    const { width, height } = this.imageSize
    if (!width || !height) return 0
    return Math.min(this.canvas.getWidth() / width, this.canvas.getHeight() / height)
  }

  clear(): void {
    this.generation++
    this.lowImage?.close()
    this.lowImage = null
    this.fullImage = null
    this.pendingRect = null
    this.canvas.remove(...this.canvas.getObjects())
    this.imageObject = null
    this.overlayEl?.remove()
    this.overlayEl = null
    this.overlay = null
    this.lassoPath = null
    this.imageSize = { width: 0, height: 0 }
    this.canvas.requestRenderAll()
  }

  /**
   * Redraws the overlay in a dirty rectangle of the label map (after an edit, undo or redo). The
   * rectangles of one animation frame are merged: one putImageData and one scene render per frame,
   * however many pointer events the frame had.
   */
  labelsChanged(rect: Rect | null): void {
    if (!rect || !this.overlay) return
    const p = this.pendingRect
    if (p) {
      const x = Math.min(p.x, rect.x)
      const y = Math.min(p.y, rect.y)
      this.pendingRect = {
        x,
        y,
        width: Math.max(p.x + p.width, rect.x + rect.width) - x,
        height: Math.max(p.y + p.height, rect.y + rect.height) - y,
      }
    } else this.pendingRect = { ...rect }
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush())
  }

  private flush(): void {
    this.frame = 0
    const rect = this.pendingRect
    this.pendingRect = null
    if (!rect || !this.overlay) return
    // The overlay canvas is its own layer: the browser recomposites it, fabric renders nothing.
    this.overlay.redraw(rect)
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
    this.fit()
  }

  private setViewport(v: TMat2D): void {
    this.canvas.setViewportTransform(v)
    this.applyDetail()
    this.placeOverlay()
    this.drawRing()
    // The overlay is shown pixel for pixel when zoomed in; smoothing only ever applies to the photo.
    this.canvas.requestRenderAll()
  }

  // ---- appearance --------------------------------------------------------------------------------

  setOpacity(opacity: number): void {
    this.opacity = opacity
    if (this.overlayEl) this.overlayEl.style.opacity = String(opacity)
  }

  setOverlayVisible(visible: boolean): void {
    this.overlayVisible = visible
    if (this.overlayEl) this.overlayEl.style.visibility = visible ? 'visible' : 'hidden'
  }

  setOverlayMode(mode: OverlayMode): void {
    this.mode = mode
    this.overlay?.setMode(mode)
  }

  /** The brush ring at an image point, `diameter` image pixels across; null hides it. */
  showRing(at: ImagePoint | null, diameter: number): void {
    this.ring = at ? { at, diameter } : null
    this.drawRing()
  }

  /** Draws the ring on the top canvas (cleared first); the scene below is not touched. */
  private drawRing(): void {
    const ctx = this.canvas.contextTop
    this.canvas.clearContext(ctx)
    if (!this.ring) return
    const v = this.canvas.viewportTransform
    const cx = this.ring.at.x * v[0] + v[4]
    const cy = this.ring.at.y * v[3] + v[5]
    const r = Math.max(1, (this.ring.diameter / 2) * v[0])
    ctx.save()
    ctx.lineWidth = 1
    ctx.setLineDash([4, 3])
    ctx.strokeStyle = '#ffffff'
    ctx.beginPath()
    ctx.arc(cx, cy, r, 0, Math.PI * 2)
    ctx.stroke()
    ctx.strokeStyle = '#000000'
    ctx.lineDashOffset = 3.5
    ctx.stroke()
    ctx.restore()
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
    void this.canvas.dispose()
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
