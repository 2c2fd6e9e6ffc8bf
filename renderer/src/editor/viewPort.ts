import type { LabelMap } from '../../../shared/labels/codes'
import type { Rect } from '../../../shared/labels/patch'
import type { PreparedView } from './editorView'

/**
 * What the review loop asks of the editor view on screen. The view hands one over when it mounts
 * (`attachEditorView` in stores/pair.ts) and takes it back when it unmounts, so the store never
 * holds hooks for the view to fill in.
 */
export interface EditorViewPort {
  /** The labels inside `rect` changed (null: all of them); the view redraws that much. */
  labelsChanged(rect: Rect | null): void
  /** Makes what showing a pair takes beyond its decoded image, without touching the screen. */
  prepare(map: LabelMap, blob: Blob): Promise<PreparedView>
  /** Gives back what prepare() made for a pair that is not going to be shown. */
  release(prepared: PreparedView): void
}
