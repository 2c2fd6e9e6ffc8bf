import { defineStore } from 'pinia'
import { LABEL_LESION, type Label } from '../../../shared/labels/codes'
import type { OverlayMode } from '../editor/overlay'

export type ToolName = 'brush' | 'eraser' | 'fill' | 'lasso'

export const BRUSH_MIN = 1
export const BRUSH_MAX = 256

/**
 * The editor's UI state: which tool, label and size, and what the canvas shows. No pixels: the
 * label map and its history live in the EditorSession, outside reactivity; this store mirrors
 * only small facts about them (version, undo availability, remaining uncertain pixels).
 */
export const useEditorStore = defineStore('editor', {
  state: () => ({
    tool: 'brush' as ToolName,
    label: LABEL_LESION as Label,
    brushSize: 16,
    /** Paint only over uncertain pixels (on by default: certain pixels change only on purpose). */
    onlyUncertain: true,
    overlayMode: 'fill' as OverlayMode,
    canUndo: false,
    canRedo: false,
    /** The current mask differs from what is saved. */
    dirty: false,
    /** Pixels still 255 in the current mask. */
    uncertainRemaining: 0,
    /** Bumped on every change of the label map (watchers redraw what depends on it). */
    version: 0,
    /** Assisted resolution: computing, or a proposal shown for the curator to apply or discard. */
    assist: 'idle' as 'idle' | 'running' | 'preview',
    assistText: '',
  }),
  actions: {
    setTool(tool: ToolName) {
      this.tool = tool
    },
    setLabel(label: Label) {
      this.label = label
      if (this.tool === 'eraser') this.tool = 'brush'
    },
    setBrushSize(size: number) {
      if (!Number.isFinite(size)) return
      this.brushSize = Math.round(Math.min(BRUSH_MAX, Math.max(BRUSH_MIN, size)))
    },
    /** `[` and `]`: steps that feel even at every size (about 15% per press, at least 1 px). */
    growBrush(direction: 1 | -1) {
      const step = Math.max(1, Math.round(this.brushSize * 0.15))
      this.setBrushSize(this.brushSize + direction * step)
    },
    cycleOverlayMode() {
      const modes: OverlayMode[] = ['fill', 'outline', 'uncertain']
      this.overlayMode = modes[(modes.indexOf(this.overlayMode) + 1) % modes.length]
    },
  },
})
