/**
 * Every keyboard action, in one table (Excalidraw's actions): its name, its keys, what it does,
 * and how it enters the label map's undo history. The key handler only looks actions up here, and
 * the `?` help overlay is generated from the same table, so the help can never drift from the keys.
 */
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN, type Label } from '../../shared/labels/codes'
import type { CertainLabel } from '../../shared/labels/tools/resolve'
import type { ToolName } from './stores/editor'

/**
 * How an action enters the undo history of the open pair's label map:
 * - `none`: it never changes the labels (review, tools, view, dialogs);
 * - `step`: it records one undo step at once, or nothing when it changes nothing;
 * - `preview`: it shows a proposal held as an open stroke: Enter makes it one step, Escape restores
 *   the exact bytes from before; the level keys act on it (PREVIEW_ACTIONS), an edit (`step`)
 *   applies it and edits on from it, moving on, decisions, saves and `travel` are refused while
 *   it is shown (App.vue, the pair store), the view and tools leave it as it is;
 * - `travel`: it moves along the history (undo, redo), recording nothing;
 * - `abort`: it drops the stroke or lasso in progress, restoring the exact bytes from before it.
 */
export type HistoryEffect = 'none' | 'step' | 'preview' | 'travel' | 'abort'

export type DialogName = 'help' | 'note' | 'goto' | 'workspace' | 'export'

/** What actions act on; App.vue builds it from the stores and the canvas. */
export interface ActionContext {
  review: {
    next(): unknown
    prev(): unknown
    decide(status: 'accepted' | 'rejected' | 'flagged'): unknown
    save(): unknown
    /** The open pair's review state (null: no pair open). */
    readonly state: object | null
  }
  editor: {
    setTool(tool: ToolName): void
    setLabel(label: Label): void
    growBrush(direction: 1 | -1): void
    cycleOverlayMode(): void
    onlyUncertain: boolean
  }
  view: { toggleOverlay(): void }
  /** The open pair's editor session, if a pair is open. */
  session(): { undo(): void; redo(): void; resolveAll(label: CertainLabel): void } | undefined
  canvas: {
    /** Drops a stroke or lasso in progress; false when there was none. */
    abort(): boolean
    fit(): void
    oneToOne(): void
  }
  dialog: { readonly open: DialogName | null; show(dialog: DialogName | null): void }
  /** Starts the assisted proposal for the uncertain pixels. */
  assist(): void
  /** While a proposal is previewed: moves its level one step: more of the band → lesion (1) or → skin (−1). */
  assistLevel(step: 1 | -1): void
}

export interface Action {
  name: string
  /** KeyboardEvent.key values (case-sensitive), with an optional `Ctrl+` / `Shift+` prefix, as keyName() writes them. */
  keys: readonly string[]
  group: 'Review' | 'Tools' | 'View' | 'Edit'
  /** The line the help shows. */
  description: string
  history: HistoryEffect
  perform(ctx: ActionContext): void
}

const tool = (name: ToolName) => (ctx: ActionContext) => ctx.editor.setTool(name)
const label = (l: Label) => (ctx: ActionContext) => ctx.editor.setLabel(l)
const resolve = (l: CertainLabel) => (ctx: ActionContext) => ctx.session()?.resolveAll(l)

export const ACTIONS = [
  {
    name: 'next',
    keys: ['ArrowRight', 'PageDown'],
    group: 'Review',
    description: 'Next pair (saves a changed mask first)',
    history: 'none',
    perform: (ctx) => void ctx.review.next(),
  },
  {
    name: 'prev',
    keys: ['ArrowLeft', 'PageUp'],
    group: 'Review',
    description: 'Previous pair (saves first)',
    history: 'none',
    perform: (ctx) => void ctx.review.prev(),
  },
  {
    name: 'accept',
    keys: ['a'],
    group: 'Review',
    description: 'Accept the mask as it is (or as corrected), then next',
    history: 'none',
    perform: (ctx) => void ctx.review.decide('accepted'),
  },
  {
    name: 'reject',
    keys: ['r'],
    group: 'Review',
    description: 'Reject the pair, then next',
    history: 'none',
    perform: (ctx) => void ctx.review.decide('rejected'),
  },
  {
    name: 'flag',
    keys: ['f'],
    group: 'Review',
    description: 'Flag the pair for a second look',
    history: 'none',
    perform: (ctx) => void ctx.review.decide('flagged'),
  },
  {
    name: 'note',
    keys: ['n'],
    group: 'Review',
    description: 'Write a note on the pair',
    history: 'none',
    perform: (ctx) => {
      if (ctx.review.state) ctx.dialog.show('note')
    },
  },
  {
    name: 'goto',
    keys: ['g'],
    group: 'Review',
    description: 'Go to an ISIC id',
    history: 'none',
    perform: (ctx) => ctx.dialog.show('goto'),
  },
  {
    name: 'help',
    keys: ['?'],
    group: 'Review',
    description: 'Show or hide this help',
    history: 'none',
    perform: (ctx) => ctx.dialog.show(ctx.dialog.open === 'help' ? null : 'help'),
  },
  {
    name: 'save',
    keys: ['Ctrl+s'],
    group: 'Edit',
    description: 'Save the corrected mask',
    history: 'none',
    perform: (ctx) => void ctx.review.save(),
  },
  {
    name: 'undo',
    keys: ['Ctrl+z'],
    group: 'Edit',
    description: 'Undo (one stroke is one step)',
    history: 'travel',
    perform: (ctx) => ctx.session()?.undo(),
  },
  {
    name: 'redo',
    keys: ['Ctrl+Shift+Z', 'Ctrl+y'],
    group: 'Edit',
    description: 'Redo',
    history: 'travel',
    perform: (ctx) => ctx.session()?.redo(),
  },
  {
    name: 'escape',
    keys: ['Escape'],
    group: 'Edit',
    description: 'Abort the stroke or lasso in progress; close dialogs',
    history: 'abort',
    perform: (ctx) => {
      if (!ctx.canvas.abort()) ctx.dialog.show(null)
    },
  },
  {
    name: 'resolve-lesion',
    keys: ['Shift+L'],
    group: 'Edit',
    description: 'Resolve all remaining uncertain → lesion',
    history: 'step',
    perform: resolve(LABEL_LESION),
  },
  {
    name: 'resolve-background',
    keys: ['Shift+B'],
    group: 'Edit',
    description: 'Resolve all remaining uncertain → background',
    history: 'step',
    perform: resolve(LABEL_BACKGROUND),
  },
  {
    name: 'assist',
    keys: ['u'],
    group: 'Edit',
    description: 'Propose labels for the uncertain pixels from the image',
    history: 'preview',
    perform: (ctx) => ctx.assist(),
  },
  {
    name: 'assist-level-skin',
    keys: [','],
    group: 'Edit',
    description: 'Proposal on preview: give more of the band to the skin (background)',
    history: 'preview',
    perform: (ctx) => ctx.assistLevel(-1),
  },
  {
    name: 'assist-level-lesion',
    keys: ['.'],
    group: 'Edit',
    description: 'Proposal on preview: give more of the band to the lesion',
    history: 'preview',
    perform: (ctx) => ctx.assistLevel(1),
  },
  {
    name: 'tool-brush',
    keys: ['b'],
    group: 'Tools',
    description: 'Brush',
    history: 'none',
    perform: tool('brush'),
  },
  {
    name: 'tool-eraser',
    keys: ['e'],
    group: 'Tools',
    description: 'Eraser (paints background)',
    history: 'none',
    perform: tool('eraser'),
  },
  {
    name: 'tool-fill',
    keys: ['k'],
    group: 'Tools',
    description: 'Flood fill (4-connected region of one value)',
    history: 'none',
    perform: tool('fill'),
  },
  {
    name: 'tool-lasso',
    keys: ['l'],
    group: 'Tools',
    description: 'Lasso: fill a drawn polygon',
    history: 'none',
    perform: tool('lasso'),
  },
  {
    name: 'label-lesion',
    keys: ['1'],
    group: 'Tools',
    description: 'Paint lesion (1)',
    history: 'none',
    perform: label(LABEL_LESION),
  },
  {
    name: 'label-background',
    keys: ['2'],
    group: 'Tools',
    description: 'Paint background (0)',
    history: 'none',
    perform: label(LABEL_BACKGROUND),
  },
  {
    name: 'label-uncertain',
    keys: ['3'],
    group: 'Tools',
    description: 'Paint uncertain (255)',
    history: 'none',
    perform: label(LABEL_UNCERTAIN),
  },
  {
    name: 'brush-smaller',
    keys: ['['],
    group: 'Tools',
    description: 'Smaller brush',
    history: 'none',
    perform: (ctx) => ctx.editor.growBrush(-1),
  },
  {
    name: 'brush-larger',
    keys: [']'],
    group: 'Tools',
    description: 'Larger brush',
    history: 'none',
    perform: (ctx) => ctx.editor.growBrush(1),
  },
  {
    name: 'toggle-only-uncertain',
    keys: ['p'],
    group: 'Tools',
    description: 'Paint only over uncertain pixels (on by default) / everywhere',
    history: 'none',
    perform: (ctx) => {
      ctx.editor.onlyUncertain = !ctx.editor.onlyUncertain
    },
  },
  {
    name: 'toggle-overlay',
    keys: ['o'],
    group: 'View',
    description: 'Show or hide the overlay',
    history: 'none',
    perform: (ctx) => ctx.view.toggleOverlay(),
  },
  {
    name: 'cycle-overlay-mode',
    keys: ['Shift+O'],
    group: 'View',
    description: 'Overlay: filled → outline → uncertain only',
    history: 'none',
    perform: (ctx) => ctx.editor.cycleOverlayMode(),
  },
  {
    name: 'fit',
    keys: ['Ctrl+0'],
    group: 'View',
    description: 'Fit the image (also: double-click)',
    history: 'none',
    perform: (ctx) => ctx.canvas.fit(),
  },
  {
    name: 'one-to-one',
    keys: ['Ctrl+1'],
    group: 'View',
    description: 'One image pixel per screen pixel',
    history: 'none',
    perform: (ctx) => ctx.canvas.oneToOne(),
  },
] as const satisfies readonly Action[]

export type ActionName = (typeof ACTIONS)[number]['name']

/**
 * The actions that act on a proposal on preview and leave it open (an edit applies it first;
 * moving on, deciding, saving, undo and redo are refused while it is shown).
 */
export const PREVIEW_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>([
  'assist-level-skin',
  'assist-level-lesion',
])

/**
 * The actions a held key repeats (the key's auto-repeat): moving along the queue (navigations
 * coalesce, only the latest runs), undo and redo, the brush size and the proposal's level. Every
 * other action, decisions first of all, acts once per press: holding `a` must not accept the
 * following pairs unseen.
 */
export const REPEATING_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>([
  'next',
  'prev',
  'undo',
  'redo',
  'brush-smaller',
  'brush-larger',
  'assist-level-skin',
  'assist-level-lesion',
])

/** Whether an auto-repeated key event (`e.repeat`) may act again: only for REPEATING_ACTIONS. */
export function repeatsWhenHeld(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>,
): boolean {
  const action = actionFor(e)
  return action !== undefined && REPEATING_ACTIONS.has(action.name as ActionName)
}

/** The action of that name (the toolbar's buttons run actions by name). */
export function actionNamed(name: ActionName): Action {
  return ACTIONS.find((a) => a.name === name) as Action
}

/** Canonical name of a key event, e.g. `Ctrl+z`, `Shift+L`, `]`. */
export function keyName(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey'>): string {
  const ctrl = e.ctrlKey || e.metaKey
  // For printable keys Shift is already in e.key ('L', '?'); name it only for letters, to tell L from l.
  const letter = e.key.length === 1 && /[a-z]/i.test(e.key)
  const shift = e.shiftKey && (letter || e.key.length > 1)
  return `${ctrl ? 'Ctrl+' : ''}${shift ? 'Shift+' : ''}${e.key}`
}

/** Key name → action; a key claimed by two actions is a programming error, refused at load. */
export function indexByKey(actions: readonly Action[]): Map<string, Action> {
  const byKey = new Map<string, Action>()
  for (const a of actions)
    for (const k of a.keys) {
      const other = byKey.get(k)
      if (other) throw new Error(`key ${k} is bound to both ${other.name} and ${a.name}`)
      byKey.set(k, a)
    }
  return byKey
}

const BY_KEY = indexByKey(ACTIONS)

/** The action a key event asks for (none with Alt, which belongs to the system). */
export function actionFor(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>,
): Action | undefined {
  if (e.altKey) return undefined
  return BY_KEY.get(keyName(e))
}

/** The help overlay's sections: the table's groups, in order of first appearance, with their actions. */
export function helpSections(actions: readonly Action[] = ACTIONS): { group: string; actions: Action[] }[] {
  const groups = new Map<string, Action[]>()
  for (const a of actions) groups.set(a.group, [...(groups.get(a.group) ?? []), a])
  return [...groups].map(([group, list]) => ({ group, actions: list }))
}

/** A key as the help shows it. */
export function prettyKey(key: string): string {
  return key
    .replace('ArrowRight', '→')
    .replace('ArrowLeft', '←')
    .replace('Ctrl+', 'Ctrl + ')
    .replace('Shift+', 'Shift + ')
}
