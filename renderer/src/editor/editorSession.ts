import { countLabels, LABEL_UNCERTAIN, type LabelMap } from '../../../shared/labels/codes'
import type { History } from '../../../shared/labels/history'
import { applyPatch, unionRect, type Patch, type Point, type Rect } from '../../../shared/labels/patch'
import { paintBrush } from '../../../shared/labels/tools/brush'
import { floodFill } from '../../../shared/labels/tools/fill'
import { fillPolygon } from '../../../shared/labels/tools/polygon'
import { resolveUncertain, type CertainLabel } from '../../../shared/labels/tools/resolve'
import type { ToolName } from '../stores/editor'
import type { PaintTarget } from './pointerController'

/** How often the counters reach the UI while a stroke is in progress. */
const COUNTS_INTERVAL_MS = 100

/** What the session needs to know from the UI at the moment of an edit. */
export interface ToolSettings {
  tool: ToolName
  label: 0 | 1 | 255
  brushSize: number
  onlyUncertain: boolean
}

/** What the session tells the UI after every change. */
export interface SessionListener {
  labelsChanged(rect: Rect | null): void
  stateChanged(state: { canUndo: boolean; canRedo: boolean; dirty: boolean; uncertain: number }): void
}

/**
 * The model of one open pair: its label map and its undo history, outside Vue's reactivity. Tools
 * are pure functions returning patches; the session applies each patch to the map, stages it in the
 * history (a drag is one undo step) and reports the dirty rectangle so the view redraws only that.
 */
export class EditorSession implements PaintTarget {
  private uncertain: number
  private dirty: boolean
  private previewing = false
  private dirtyBeforeStroke = false

  constructor(
    readonly id: string,
    readonly map: LabelMap,
    readonly history: History,
    private readonly settings: () => ToolSettings,
    private readonly listener: SessionListener,
    opts: {
      /** The map differs from the saved file already (e.g. converted from the challenge convention). */
      initiallyDirty?: boolean
      /** The map's uncertain pixel count when known (the main process counted it): no rescan. */
      uncertain?: number
    } = {},
  ) {
    this.uncertain = opts.uncertain ?? countLabels(map.data).uncertain
    this.dirty = opts.initiallyDirty ?? false
    this.emit()
  }

  get isDirty(): boolean {
    return this.dirty
  }

  get uncertainCount(): number {
    return this.uncertain
  }

  // ---- PaintTarget (driven by the pointer) -----------------------------------------------------------

  tool(): ToolName {
    return this.settings().tool
  }

  brushDiameter(): number {
    return this.settings().brushSize
  }

  beginStroke(at: Point): void {
    this.dirtyBeforeStroke = this.dirty
    this.history.beginStroke()
    this.strokeTo(at, at)
  }

  strokeTo(from: Point, to: Point): void {
    const s = this.settings()
    const label = s.tool === 'eraser' ? 0 : s.label
    const patch = paintBrush(
      this.map,
      { from, to },
      { diameter: s.brushSize, label, onlyUncertain: s.onlyUncertain },
    )
    if (!patch) return
    this.apply(patch)
    this.history.stage(patch)
  }

  commitStroke(): void {
    this.history.commitStroke()
    this.emit()
  }

  abortStroke(): void {
    const rect = this.history.abortStroke(this.map)
    this.afterBulkChange(rect)
    // The bytes are back as they were before the stroke, and so is their saved-or-not state.
    this.dirty = this.dirtyBeforeStroke
    this.emit()
  }

  fillAt(at: Point): void {
    const s = this.settings()
    this.record(floodFill(this.map, { seed: at }, { label: s.label, onlyUncertain: s.onlyUncertain }))
  }

  fillPolygon(points: Point[]): void {
    const s = this.settings()
    this.record(fillPolygon(this.map, { points }, { label: s.label, onlyUncertain: s.onlyUncertain }))
  }

  // ---- one-shot edits and history -------------------------------------------------------------------

  resolveAll(label: CertainLabel): void {
    this.record(resolveUncertain(this.map, { label }))
  }

  /**
   * Shows a ready-made patch (the assisted proposal) on the map as a preview: applied, but held
   * as an open stroke, so acceptPreview() makes it ONE undo step and discardPreview() restores the
   * exact bytes from before.
   */
  previewProposal(patch: Patch): void {
    this.dirtyBeforeStroke = this.dirty
    this.history.beginStroke()
    this.apply(patch)
    this.history.stage(patch)
    this.previewing = true
    this.emit()
  }

  /**
   * Replaces the preview by another patch over the same pixels (the proposal at another level):
   * the open stroke is rolled back to the exact bytes from before and holds the new patch alone, so
   * Enter is still ONE undo step and Escape still restores those bytes. Costs the band's pixels,
   * not the map's; the uncertain count is unchanged (the same 255 pixels become 0 or 1).
   */
  replacePreview(patch: Patch): void {
    if (!this.inPreview) return
    const undone = this.history.abortStroke(this.map)
    this.history.beginStroke()
    const rect = applyPatch(this.map, patch, 'redo')
    this.history.stage(patch)
    this.listener.labelsChanged(unionRect(undone, rect))
  }

  get inPreview(): boolean {
    return this.previewing && this.history.inStroke
  }

  acceptPreview(): void {
    if (!this.inPreview) return
    this.previewing = false
    this.commitStroke()
  }

  discardPreview(): void {
    if (!this.inPreview) return
    this.previewing = false
    this.abortStroke()
  }

  undo(): void {
    this.afterBulkChange(this.history.undo(this.map))
  }

  redo(): void {
    this.afterBulkChange(this.history.redo(this.map))
  }

  /** The current map was saved: it is now the clean state. */
  markSaved(): void {
    this.dirty = false
    this.emit()
  }

  private record(patch: Patch | null): void {
    if (!patch) return
    this.apply(patch)
    this.history.record(patch)
    this.emit()
  }

  /** Applies a patch to the map and keeps the uncertain count without rescanning the map. */
  private apply(patch: Patch | null): void {
    if (!patch) return
    const rect = applyPatch(this.map, patch, 'redo')
    let delta = 0
    for (let i = 0; i < patch.after.length; i++) {
      delta += (patch.after[i] === LABEL_UNCERTAIN ? 1 : 0) - (patch.before[i] === LABEL_UNCERTAIN ? 1 : 0)
    }
    this.uncertain += delta
    this.dirty = true
    this.listener.labelsChanged(rect)
    if (!this.history.inStroke) this.emit()
    else this.emitCountsOnly()
  }

  private afterBulkChange(rect: Rect | null): void {
    if (rect) {
      this.uncertain = countLabels(this.map.data).uncertain
      this.dirty = true
      this.listener.labelsChanged(rect)
    }
    this.emit()
  }

  /**
   * During a drag the counters reach the UI ten times a second, not once per pointer event or
   * frame: each update re-lays out and repaints the text showing them, time taken from the frames
   * that show the paint. The end of the stroke reports at once (emit()).
   */
  private countsTimer: ReturnType<typeof setTimeout> | null = null

  private emitCountsOnly(): void {
    if (this.countsTimer !== null) return
    this.countsTimer = setTimeout(() => {
      this.countsTimer = null
      this.listener.stateChanged({ canUndo: true, canRedo: false, dirty: true, uncertain: this.uncertain })
    }, COUNTS_INTERVAL_MS)
  }

  private emit(): void {
    if (this.countsTimer !== null) {
      clearTimeout(this.countsTimer)
      this.countsTimer = null
    }
    this.listener.stateChanged({
      canUndo: this.history.canUndo,
      canRedo: this.history.canRedo,
      dirty: this.dirty,
      uncertain: this.uncertain,
    })
  }
}
