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
  /**
   * The proposal on preview was applied (one undo step) because the curator edited on: painted,
   * filled, resolved, undid or redid while it was shown. Not called for acceptPreview()/discardPreview().
   */
  previewApplied?(): void
}

/**
 * What the map held when a save was asked for (savePoint()), handed back to markSaved() once the
 * file is written: edits made while the save was in flight stay unsaved.
 */
export interface SavePoint {
  readonly version: number
  readonly state: number
  /** Taken in the middle of a stroke (the file holds part of it). */
  readonly inStroke: boolean
}

/** No state of the map: the file on disk holds none the history can reach (e.g. a converted map). */
const NO_STATE = -1

/**
 * The model of one open pair: its label map and its undo history, outside Vue's reactivity. Tools
 * are pure functions returning patches; the session applies each patch to the map, stages it in the
 * history (a drag is one undo step) and reports the dirty rectangle so the view redraws only that.
 *
 * Saved or not: every state of the map along the history has an id (a new step makes a new one;
 * undo and redo walk back to the ids they reach), and the session remembers the id the file on
 * disk holds. The mask is dirty when the map's state is not that one, so undoing an edit back to
 * the saved state is clean again, and an aborted stroke or discarded proposal after a save (which
 * wrote it) is dirty. A save taken mid-stroke holds the stroke's id only while the stroke changes
 * nothing more.
 *
 * Read-only (a workspace opened read-only): every edit is refused, so nothing can be left unsaved.
 */
export class EditorSession implements PaintTarget {
  private uncertain: number
  /** What the open stroke changed the uncertain count by (an abort takes it back, no recount). */
  private strokeUncertain = 0
  private previewing = false
  /** Bumped by every change of the map's bytes (edits, aborts, undo, redo, preview levels). */
  private edits = 0
  /** The id of the map's state; `back`/`fwd`: the ids undo and redo lead to (this session's steps). */
  private stateId = 0
  private back: number[] = []
  private fwd: number[] = []
  private nextId = 1
  /** The id the open stroke's state takes when it is committed; null: no stroke open. */
  private strokeId: number | null = null
  private strokeChanged = false
  /** The state the file on disk holds. */
  private savedId: number
  readonly readOnly: boolean

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
      /** Refuse every edit (the workspace is open read-only: nothing could be saved). */
      readOnly?: boolean
    } = {},
  ) {
    this.uncertain = opts.uncertain ?? countLabels(map.data).uncertain
    // A stroke an earlier visit left open (the curator moved on mid-drag): a step before this state.
    if (history.inStroke) history.commitStroke()
    this.savedId = opts.initiallyDirty ? NO_STATE : this.stateId
    this.readOnly = opts.readOnly ?? false
    this.emit()
  }

  get isDirty(): boolean {
    return this.currentState() !== this.savedId
  }

  get uncertainCount(): number {
    return this.uncertain
  }

  /** Changes with every change of the map's bytes: a result computed from older bytes is stale. */
  get version(): number {
    return this.edits
  }

  // ---- PaintTarget (driven by the pointer) -----------------------------------------------------------

  tool(): ToolName {
    return this.settings().tool
  }

  brushDiameter(): number {
    return this.settings().brushSize
  }

  /** Starts a drag; a proposal on preview is applied first (one undo step), a lost stroke committed. */
  beginStroke(at: Point): void {
    if (this.readOnly) return
    this.openStroke()
    this.strokeTo(at, at)
  }

  strokeTo(from: Point, to: Point): void {
    if (this.strokeId === null || this.previewing) return
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
    this.emitCountsOnly()
  }

  commitStroke(): void {
    if (this.strokeId === null) return
    const step = this.history.commitStroke()
    if (step) this.moveTo(this.strokeId)
    this.strokeId = null
    this.previewing = false
    this.emit()
  }

  /** Escape: the map gets back the exact bytes from before the stroke (and their saved state). */
  abortStroke(): void {
    if (this.strokeId === null) return
    const rect = this.history.abortStroke(this.map)
    this.uncertain -= this.strokeUncertain
    this.strokeUncertain = 0
    this.strokeId = null
    this.previewing = false
    this.afterBulkChange(rect)
  }

  fillAt(at: Point): void {
    const s = this.settings()
    this.record(() => floodFill(this.map, { seed: at }, { label: s.label, onlyUncertain: s.onlyUncertain }))
  }

  fillPolygon(points: Point[]): void {
    const s = this.settings()
    this.record(() => fillPolygon(this.map, { points }, { label: s.label, onlyUncertain: s.onlyUncertain }))
  }

  // ---- one-shot edits and history -------------------------------------------------------------------

  resolveAll(label: CertainLabel): void {
    this.record(() => resolveUncertain(this.map, { label }))
  }

  /**
   * Shows a ready-made patch (the assisted proposal) on the map as a preview: applied, but held
   * as an open stroke, so acceptPreview() makes it ONE undo step and discardPreview() restores the
   * exact bytes from before. `basedOn`: the version() the proposal was computed from; when the map
   * changed since (the curator painted while it was computed) the proposal is refused (false), as
   * it would write its values over those edits.
   */
  previewProposal(patch: Patch, basedOn?: number): boolean {
    if (this.readOnly || (basedOn !== undefined && basedOn !== this.edits)) return false
    this.openStroke()
    this.apply(patch)
    this.history.stage(patch)
    this.previewing = true
    this.emit()
    return true
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
    this.uncertain -= this.strokeUncertain
    this.strokeUncertain = uncertainDelta(patch, 'redo')
    this.uncertain += this.strokeUncertain
    this.changed()
    this.listener.labelsChanged(unionRect(undone, rect))
  }

  get inPreview(): boolean {
    return this.previewing
  }

  acceptPreview(): void {
    if (!this.inPreview) return
    this.commitStroke()
  }

  discardPreview(): void {
    if (!this.inPreview) return
    this.abortStroke()
  }

  undo(): void {
    this.commitOpen()
    if (this.history.undoDepth === 0) {
      this.emit()
      return
    }
    const step = this.history.nextUndo
    const rect = this.history.undo(this.map)
    if (step) this.uncertain += uncertainDelta(step, 'undo')
    this.fwd.push(this.stateId)
    // A step from an earlier visit of the pair: a state this session has not seen.
    this.stateId = this.back.pop() ?? this.nextId++
    this.afterBulkChange(rect)
  }

  redo(): void {
    this.commitOpen()
    if (this.history.redoDepth === 0) {
      this.emit()
      return
    }
    const step = this.history.nextRedo
    const rect = this.history.redo(this.map)
    if (step) this.uncertain += uncertainDelta(step, 'redo')
    this.back.push(this.stateId)
    this.stateId = this.fwd.pop() ?? this.nextId++
    this.afterBulkChange(rect)
  }

  /** What a save started now writes; hand it to markSaved() once the file is written. */
  savePoint(): SavePoint {
    return {
      version: this.edits,
      state: this.currentState(),
      inStroke: this.strokeId !== null && this.strokeChanged,
    }
  }

  /**
   * The map as it was at `at` (default: now) is on disk. Edits made since stay unsaved; a save
   * taken mid-stroke counts only if the stroke changes nothing more (an abort after it is unsaved).
   */
  markSaved(at: SavePoint = this.savePoint()): void {
    this.savedId = at.version !== this.edits && at.inStroke ? NO_STATE : at.state
    this.emit()
  }

  private currentState(): number {
    return this.strokeId !== null && this.strokeChanged ? this.strokeId : this.stateId
  }

  /** Opens a stroke in the history, committing one left open (a lost pointer-up, a preview). */
  private openStroke(): void {
    this.commitOpen()
    this.history.beginStroke()
    this.strokeId = this.nextId++
    this.strokeChanged = false
    this.strokeUncertain = 0
  }

  /** Commits an open stroke; a proposal on preview so applied is told to the UI. */
  private commitOpen(): void {
    if (this.strokeId === null) return
    const wasPreview = this.inPreview
    this.commitStroke()
    if (wasPreview) this.listener.previewApplied?.()
  }

  /** A new step: the state the stroke or edit made; the redo steps are gone. */
  private moveTo(id: number): void {
    this.back.push(this.stateId)
    this.stateId = id
    this.fwd = []
  }

  /** A one-shot edit (fill, resolve): refused in a read-only session. */
  private record(make: () => Patch | null): void {
    if (this.readOnly) return
    this.commitOpen()
    const patch = make()
    if (!patch) return
    this.apply(patch)
    if (this.history.record(patch)) this.moveTo(this.nextId++)
    this.emit()
  }

  /** Applies a patch to the map and keeps the uncertain count without rescanning the map. */
  private apply(patch: Patch): void {
    const rect = applyPatch(this.map, patch, 'redo')
    const delta = uncertainDelta(patch, 'redo')
    this.uncertain += delta
    if (this.strokeId !== null) this.strokeUncertain += delta
    this.changed()
    this.listener.labelsChanged(rect)
  }

  /** The map's bytes changed; inside a stroke saved midway, the file no longer holds its end. */
  private changed(): void {
    this.edits++
    if (this.strokeId === null) return
    if (this.strokeChanged && this.savedId === this.strokeId) this.savedId = NO_STATE
    this.strokeChanged = true
  }

  /** Undo, redo, an aborted stroke: the count was kept from the patches (no rescan of the map). */
  private afterBulkChange(rect: Rect | null): void {
    if (rect) {
      this.edits++
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
      this.listener.stateChanged({
        canUndo: true,
        canRedo: false,
        dirty: this.isDirty,
        uncertain: this.uncertain,
      })
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
      dirty: this.isDirty,
      uncertain: this.uncertain,
    })
  }
}

/**
 * How applying `patch` in `direction` changes the uncertain count: its pixels' values before and
 * after, counted exactly (O(patch), never O(map): undo on a 24 MP map was a 95 ms rescan).
 */
function uncertainDelta(patch: Patch, direction: 'undo' | 'redo'): number {
  let delta = 0
  for (let i = 0; i < patch.after.length; i++) {
    delta += (patch.after[i] === LABEL_UNCERTAIN ? 1 : 0) - (patch.before[i] === LABEL_UNCERTAIN ? 1 : 0)
  }
  return direction === 'redo' ? delta : -delta
}
