import { brushCentre } from '../../../shared/labels/tools/brush'
import type { EditorView, ImagePoint } from './editorView'

/** What the pointer drives; the EditorSession implements it. */
export interface PaintTarget {
  /** The tool under the pointer right now. */
  tool(): 'brush' | 'eraser' | 'fill' | 'lasso'
  brushDiameter(): number
  beginStroke(at: ImagePoint): void
  strokeTo(from: ImagePoint, to: ImagePoint): void
  commitStroke(): void
  abortStroke(): void
  fillAt(at: ImagePoint): void
  fillPolygon(points: ImagePoint[]): void
}

/** What the pointer needs of the view (EditorView; a stand-in in the unit tests). */
export type PointerSurface = Pick<
  EditorView,
  'eventTarget' | 'toImage' | 'zoom' | 'zoomAt' | 'panBy' | 'showRing' | 'showLasso'
>

/** Lasso points closer than this (screen pixels) to the previous one are skipped. */
const LASSO_MIN_STEP = 2

/**
 * Pointer bindings for the canvas (kept apart from the model and the view, like napari's
 * mouse-bindings module): left button paints with the current tool; space+drag or the middle
 * button pans; the wheel zooms at the cursor; Escape aborts a stroke or lasso in progress.
 */
export class PointerController {
  private mode: 'idle' | 'stroke' | 'lasso' | 'pan' = 'idle'
  private last: ImagePoint | null = null
  private lastScreen = { x: 0, y: 0 }
  private lasso: ImagePoint[] = []
  private spaceDown = false
  private readonly cleanup: (() => void)[] = []
  /** The canvas's page rectangle, read once per gesture: reading it per event forces layouts. */
  private box: DOMRect | null = null

  constructor(
    private readonly view: PointerSurface,
    private readonly target: PaintTarget,
  ) {
    const el = view.eventTarget
    this.on(el, 'pointerdown', (e) => this.down(e))
    this.on(el, 'pointermove', (e) => this.move(e))
    this.on(el, 'pointerup', (e) => this.up(e))
    this.on(el, 'pointercancel', () => this.cancel())
    this.on(el, 'pointerleave', () => {
      this.view.showRing(null, 0)
      this.box = null
    })
    this.on(window, 'resize', () => {
      this.box = null
    })
    this.on(el, 'wheel', (e) => this.wheel(e), { passive: false })
    this.on(window, 'keydown', (e) => this.key(e, true))
    this.on(window, 'keyup', (e) => this.key(e, false))
    this.on(window, 'blur', () => {
      this.spaceDown = false
    })
  }

  /** Escape: drops a stroke or lasso in progress. Returns whether there was one. */
  abort(): boolean {
    if (this.mode === 'stroke') {
      this.target.abortStroke()
      this.mode = 'idle'
      return true
    }
    if (this.mode === 'lasso') {
      this.lasso = []
      this.view.showLasso(null)
      this.mode = 'idle'
      return true
    }
    return false
  }

  get busy(): boolean {
    return this.mode !== 'idle'
  }

  dispose(): void {
    this.cleanup.forEach((f) => f())
  }

  private on<K extends keyof HTMLElementEventMap>(
    el: HTMLElement | Window,
    type: K,
    fn: (e: HTMLElementEventMap[K]) => void,
    opts?: AddEventListenerOptions,
  ): void {
    const listener = fn as EventListener
    el.addEventListener(type, listener, opts)
    this.cleanup.push(() => el.removeEventListener(type, listener, opts))
  }

  private local(e: PointerEvent | WheelEvent): { sx: number; sy: number } {
    const r = (this.box ??= this.view.eventTarget.getBoundingClientRect())
    return { sx: e.clientX - r.left, sy: e.clientY - r.top }
  }

  private down(e: PointerEvent): void {
    if (this.mode !== 'idle') return
    this.box = null
    const { sx, sy } = this.local(e)
    this.view.eventTarget.setPointerCapture(e.pointerId)
    if (e.button === 1 || (e.button === 0 && this.spaceDown)) {
      this.mode = 'pan'
      this.lastScreen = { x: sx, y: sy }
      e.preventDefault()
      return
    }
    if (e.button !== 0) return
    const p = this.view.toImage(sx, sy)
    switch (this.target.tool()) {
      case 'brush':
      case 'eraser':
        this.mode = 'stroke'
        this.last = p
        this.target.beginStroke(p)
        break
      case 'fill':
        this.target.fillAt(p)
        break
      case 'lasso':
        this.mode = 'lasso'
        this.lasso = [p]
        this.lastScreen = { x: sx, y: sy }
        break
    }
  }

  private move(e: PointerEvent): void {
    const { sx, sy } = this.local(e)
    const p = this.view.toImage(sx, sy)
    const tool = this.target.tool()
    const d = this.target.brushDiameter()
    // The ring sits where the stamp will land (the brush snaps its centre to the pixel lattice).
    this.view.showRing(tool === 'brush' || tool === 'eraser' ? brushCentre(p, d) : null, d)
    switch (this.mode) {
      case 'pan':
        this.view.panBy(sx - this.lastScreen.x, sy - this.lastScreen.y)
        this.lastScreen = { x: sx, y: sy }
        break
      case 'stroke':
        // Coalesced events carry the intermediate positions of a fast move (no gaps, and the
        // segment interpolation covers whatever lies between them).
        for (const ce of coalesced(e)) {
          const q = this.view.toImage(...xy(this.local(ce)))
          if (this.last) this.target.strokeTo(this.last, q)
          this.last = q
        }
        break
      case 'lasso':
        if (Math.hypot(sx - this.lastScreen.x, sy - this.lastScreen.y) >= LASSO_MIN_STEP) {
          this.lasso.push(p)
          this.lastScreen = { x: sx, y: sy }
          this.view.showLasso(this.lasso)
        }
        break
    }
  }

  private up(e: PointerEvent): void {
    if (this.view.eventTarget.hasPointerCapture(e.pointerId))
      this.view.eventTarget.releasePointerCapture(e.pointerId)
    switch (this.mode) {
      case 'stroke':
        this.target.commitStroke()
        break
      case 'lasso':
        if (this.lasso.length >= 3) this.target.fillPolygon(this.lasso)
        this.lasso = []
        this.view.showLasso(null)
        break
    }
    this.mode = 'idle'
    this.last = null
  }

  private cancel(): void {
    this.abort()
    this.mode = 'idle'
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault()
    const { sx, sy } = this.local(e)
    this.view.zoomAt(this.view.zoom * Math.pow(0.998, e.deltaY), sx, sy)
  }

  private key(e: KeyboardEvent, down: boolean): void {
    if (e.code === 'Space') {
      const t = e.target as HTMLElement | null
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA')) return
      this.spaceDown = down
      e.preventDefault()
    }
  }
}

function coalesced(e: PointerEvent): PointerEvent[] {
  const list = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : []
  return list.length > 0 ? list : [e]
}

function xy(p: { sx: number; sy: number }): [number, number] {
  return [p.sx, p.sy]
}
