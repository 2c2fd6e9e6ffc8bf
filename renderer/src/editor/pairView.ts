import { Canvas, FabricImage, Point } from 'fabric'
import type { LabelMap } from '../../../shared/labels/codes'
import { LabelOverlay } from './overlay'

const MIN_ZOOM = 1 / 64
const MAX_ZOOM = 64

/**
 * The view of one pair: fabric handles zoom, pan and drawing the image and the overlay; it never
 * paints labels (its brushes anti-alias). The label map and image live here, outside Vue's
 * reactivity.
 */
export class PairView {
  private readonly canvas: Canvas
  private imageObject: FabricImage | null = null
  private overlayObject: FabricImage | null = null
  private overlay: LabelOverlay | null = null
  private imageSize = { width: 0, height: 0 }
  private opacity = 0.5
  private overlayVisible = true

  constructor(element: HTMLCanvasElement) {
    this.canvas = new Canvas(element, {
      selection: false,
      renderOnAddRemove: false,
      enableRetinaScaling: false,
      skipOffscreen: false,
      imageSmoothingEnabled: true,
      backgroundColor: '#111214',
      defaultCursor: 'crosshair',
    })
    this.canvas.on('mouse:wheel', (opt) => {
      const e = opt.e as WheelEvent
      e.preventDefault()
      const zoom = clamp(this.canvas.getZoom() * Math.pow(0.999, e.deltaY), MIN_ZOOM, MAX_ZOOM)
      this.canvas.zoomToPoint(new Point(e.offsetX, e.offsetY), zoom)
      this.canvas.requestRenderAll()
    })
  }

  /** Shows a decoded image with its label map and fits it into the canvas. */
  show(image: ImageBitmap, map: LabelMap): void {
    this.clear()
    this.imageSize = { width: image.width, height: image.height }
    // drawImage accepts an ImageBitmap; fabric's type lists only elements, so the cast is safe here.
    this.imageObject = new FabricImage(image as unknown as HTMLCanvasElement, staticImageOptions(true))
    this.overlay = new LabelOverlay(map)
    this.overlayObject = new FabricImage(this.overlay.canvas, {
      ...staticImageOptions(false),
      opacity: this.opacity,
      visible: this.overlayVisible,
    })
    this.canvas.add(this.imageObject, this.overlayObject)
    this.fit()
  }

  clear(): void {
    if (this.imageObject) this.canvas.remove(this.imageObject)
    if (this.overlayObject) this.canvas.remove(this.overlayObject)
    this.imageObject = null
    this.overlayObject = null
    this.overlay = null
    this.canvas.requestRenderAll()
  }

  /** Fits the whole image inside the canvas, centred. */
  fit(): void {
    const { width, height } = this.imageSize
    if (!width || !height) return
    const cw = this.canvas.getWidth()
    const ch = this.canvas.getHeight()
    const zoom = Math.min(cw / width, ch / height)
    this.canvas.setViewportTransform([zoom, 0, 0, zoom, (cw - width * zoom) / 2, (ch - height * zoom) / 2])
    this.canvas.requestRenderAll()
  }

  resize(width: number, height: number): void {
    this.canvas.setDimensions({ width, height })
    this.fit()
  }

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

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v))
}
