import { Canvas, Circle, FabricImage, Polyline, type TMat2D } from 'fabric'
import type { LabelMap } from '../../../shared/labels/codes'
import { LabelOverlay, type OverlayMode, type Rect } from './overlay'

const MIN_ZOOM = 1 / 64
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
  private overlayObject: FabricImage | null = null
  private overlay: LabelOverlay | null = null
  private readonly ring: Circle
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
    this.ring = new Circle({
      radius: 5,
      originX: 'center',
      originY: 'center',
      fill: 'transparent',
      stroke: '#ffffff',
      strokeWidth: 1,
      strokeUniform: true,
      strokeDashArray: [4, 3],
      selectable: false,
      evented: false,
      visible: false,
      objectCaching: false,
    })
  }

  /** The element pointer listeners attach to (fabric's top canvas). */
  get eventTarget(): HTMLElement {
    return this.canvas.upperCanvasEl
  }

  /** Shows a decoded image with its label map and fits it into the canvas. */
  show(image: ImageBitmap, map: LabelMap): void {
    this.clear()
    this.imageSize = { width: image.width, height: image.height }
    // drawImage accepts an ImageBitmap; fabric's type lists only elements, so the cast is safe here.
    this.imageObject = new FabricImage(image as unknown as HTMLCanvasElement, staticImageOptions(true))
    this.overlay = new LabelOverlay(map)
    this.overlay.setMode(this.mode)
    this.overlayObject = new FabricImage(this.overlay.canvas, {
      ...staticImageOptions(false),
      opacity: this.opacity,
      visible: this.overlayVisible,
    })
    this.canvas.add(this.imageObject, this.overlayObject, this.ring)
    this.fit()
  }

  clear(): void {
    this.canvas.remove(...this.canvas.getObjects())
    this.imageObject = null
    this.overlayObject = null
    this.overlay = null
    this.lassoPath = null
    this.imageSize = { width: 0, height: 0 }
    this.canvas.requestRenderAll()
  }

  /** Redraws the overlay in a dirty rectangle of the label map (after an edit, undo or redo). */
  labelsChanged(rect: Rect | null): void {
    if (!rect || !this.overlay) return
    this.overlay.redraw(rect)
    this.overlayObject?.set('dirty', true)
    this.canvas.requestRenderAll()
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
    const zoom = Math.min(cw / width, ch / height)
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
    // The overlay is shown pixel for pixel when zoomed in; smoothing only ever applies to the photo.
    this.canvas.requestRenderAll()
  }

  // ---- appearance --------------------------------------------------------------------------------

  setOpacity(opacity: number): void {
    this.opacity = opacity
    this.overlayObject?.set({ opacity })
    this.canvas.requestRenderAll()
  }

  setOverlayVisible(visible: boolean): void {
    this.overlayVisible = visible
    this.overlayObject?.set({ visible })
    this.canvas.requestRenderAll()
  }

  setOverlayMode(mode: OverlayMode): void {
    this.mode = mode
    this.overlay?.setMode(mode)
    this.overlayObject?.set('dirty', true)
    this.canvas.requestRenderAll()
  }

  /** The brush ring at an image point, `diameter` image pixels across; null hides it. */
  showRing(at: ImagePoint | null, diameter: number): void {
    if (!at) {
      if (this.ring.visible) {
        this.ring.set({ visible: false })
        this.canvas.requestRenderAll()
      }
      return
    }
    this.ring.set({ visible: true, left: at.x, top: at.y, radius: Math.max(0.5, diameter / 2) })
    this.canvas.requestRenderAll()
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
    void this.canvas.dispose()
  }
}

function staticImageOptions(smooth: boolean) {
  return {
    left: 0,
    top: 0,
    originX: 'left' as const,
    originY: 'top' as const,
    selectable: false,
    evented: false,
    hasControls: false,
    objectCaching: false,
    // Labels are shown pixel for pixel: never interpolate the overlay.
    imageSmoothing: smooth,
  }
}
