/**
 * Test helpers that speak like a user (Excalidraw's `Pointer` and `Keyboard`): a pointer that goes
 * down, moves and comes up over pixels of the label map, and a keyboard that presses the keys of
 * the app's action table. They drive the real PointerController, EditorSession and actions over a
 * stand-in for the canvas at zoom 1 (one screen pixel is one image pixel), without a DOM.
 */
import { createPinia, setActivePinia } from 'pinia'
import { vi } from 'vitest'
import type { LabelMap } from '../../../../shared/labels/codes'
import { History } from '../../../../shared/labels/history'
import type { Rect } from '../../../../shared/labels/patch'
import { actionFor, type ActionContext, type DialogName } from '../../../../renderer/src/actions'
import { EditorSession } from '../../../../renderer/src/editor/editorSession'
import { PointerController, type PointerSurface } from '../../../../renderer/src/editor/pointerController'
import { useEditorStore } from '../../../../renderer/src/stores/editor'

/** The transparent input layer over the canvas: an event target at the page's origin. */
class InputLayer extends EventTarget {
  private captured = new Set<number>()
  getBoundingClientRect(): { left: number; top: number } {
    return { left: 0, top: 0 }
  }
  setPointerCapture(id: number): void {
    this.captured.add(id)
  }
  hasPointerCapture(id: number): boolean {
    return this.captured.has(id)
  }
  releasePointerCapture(id: number): void {
    this.captured.delete(id)
  }
}

/** The view at zoom 1 with no offset; it records what it was asked to show. */
class Surface {
  readonly layer = new InputLayer()
  lasso: unknown = null
  get eventTarget(): HTMLElement {
    return this.layer as unknown as HTMLElement
  }
  get zoom(): number {
    return 1
  }
  toImage(sx: number, sy: number): { x: number; y: number } {
    return { x: sx, y: sy }
  }
  zoomAt(): void {}
  panBy(): void {}
  showRing(): void {}
  showLasso(points: unknown): void {
    this.lasso = points
  }
}

/** A pointer over pixel (x, y) points at its centre. */
export class Pointer {
  private readonly id = 1

  constructor(private readonly layer: InputLayer) {}

  down(x: number, y: number, button = 0): this {
    return this.fire('pointerdown', x, y, button)
  }

  move(x: number, y: number): this {
    return this.fire('pointermove', x, y, 0)
  }

  up(x: number, y: number): this {
    return this.fire('pointerup', x, y, 0)
  }

  /** Down at the first pixel, through the others, up at the last: one gesture. */
  drag(...path: [number, number][]): this {
    const [first, ...rest] = path
    this.down(...first)
    for (const p of rest) this.move(...p)
    const last = path[path.length - 1]
    return this.up(...last)
  }

  click(x: number, y: number): this {
    return this.down(x, y).up(x, y)
  }

  private fire(type: string, x: number, y: number, button: number): this {
    const e = Object.assign(new Event(type, { cancelable: true }), {
      button,
      clientX: x + 0.5,
      clientY: y + 0.5,
      pointerId: this.id,
    })
    this.layer.dispatchEvent(e)
    return this
  }
}

/** Presses keys named as the action table names them (`Ctrl+z`, `Shift+L`, `Escape`, `p`). */
export class Keyboard {
  readonly performed: string[] = []

  constructor(private readonly ctx: ActionContext) {}

  press(key: string): this {
    const action = actionFor(keyEvent(key))
    if (!action) throw new Error(`no action for ${key}`)
    this.performed.push(action.name)
    action.perform(this.ctx)
    return this
  }
}

/** A key name (`Ctrl+Shift+Z`) as the fields of the KeyboardEvent a user's key press makes. */
export function keyEvent(name: string): {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  shiftKey: boolean
  altKey: boolean
} {
  let rest = name
  const take = (prefix: string): boolean => {
    if (!rest.startsWith(prefix) || rest.length === prefix.length) return false
    rest = rest.slice(prefix.length)
    return true
  }
  const ctrlKey = take('Ctrl+')
  const shift = take('Shift+')
  // A shifted symbol names itself ('?' is Shift+/ on most layouts); the event still says Shift.
  const shiftKey = shift || (rest.length === 1 && /[?!@#$%^&*()_+{}|:"<>~]/.test(rest))
  return { key: rest, ctrlKey, metaKey: false, shiftKey, altKey: false }
}

export interface EditHarness {
  session: EditorSession
  map: LabelMap
  pointer: Pointer
  keyboard: Keyboard
  editor: ReturnType<typeof useEditorStore>
  controller: PointerController
  surface: Surface
  /** Every state the session reported, latest last. */
  states: { canUndo: boolean; canRedo: boolean; dirty: boolean; uncertain: number }[]
  /** Every dirty rectangle the session reported. */
  redraws: (Rect | null)[]
  /** Dialogs shown by actions, latest last (null: closed). */
  dialogs: (DialogName | null)[]
  /** Calls made to the review loop and the view by actions (and `previewApplied` by the session). */
  calls: string[]
  dispose(): void
}

/**
 * A pair open in the editor: `map` (changed in place by edits), a fresh history, the tool settings
 * from the real editor store (brush, lesion, size 1, only over uncertain pixels unless told).
 */
export function openInEditor(
  map: LabelMap,
  settings: Partial<EditorSettings> = {},
  opts: { readOnly?: boolean; initiallyDirty?: boolean; history?: History } = {},
): EditHarness {
  vi.stubGlobal('window', new EventTarget())
  setActivePinia(createPinia())
  const editor = useEditorStore()
  Object.assign(editor, { brushSize: 1, ...settings })
  const states: EditHarness['states'] = []
  const redraws: EditHarness['redraws'] = []
  const dialogs: EditHarness['dialogs'] = []
  const calls: string[] = []
  const session = new EditorSession(
    'ISIC_0000000',
    map,
    opts.history ?? new History(),
    () => ({
      tool: editor.tool,
      label: editor.label,
      brushSize: editor.brushSize,
      onlyUncertain: editor.onlyUncertain,
    }),
    {
      labelsChanged: (r) => redraws.push(r),
      stateChanged: (s) => states.push(s),
      previewApplied: () => calls.push('previewApplied'),
    },
    opts,
  )
  const surface = new Surface()
  const controller = new PointerController(surface as unknown as PointerSurface, session)
  let open: DialogName | null = null
  const ctx: ActionContext = {
    review: {
      next: () => calls.push('next'),
      prev: () => calls.push('prev'),
      decide: (s) => calls.push(`decide:${s}`),
      save: () => calls.push('save'),
      state: {},
    },
    editor,
    view: { toggleOverlay: () => calls.push('toggleOverlay') },
    session: () => session,
    canvas: {
      abort: () => controller.abort(),
      fit: () => calls.push('fit'),
      oneToOne: () => calls.push('oneToOne'),
    },
    dialog: {
      get open() {
        return open
      },
      show: (d) => {
        open = d
        dialogs.push(d)
      },
    },
    assist: () => calls.push('assist'),
    assistLevel: (step) => calls.push(`assistLevel:${step}`),
  }
  return {
    session,
    map,
    pointer: new Pointer(surface.layer),
    keyboard: new Keyboard(ctx),
    editor,
    controller,
    surface,
    states,
    redraws,
    dialogs,
    calls,
    dispose: () => {
      controller.dispose()
      vi.unstubAllGlobals()
    },
  }
}

type EditorSettings = Pick<
  ReturnType<typeof useEditorStore>,
  'tool' | 'label' | 'brushSize' | 'onlyUncertain'
>
