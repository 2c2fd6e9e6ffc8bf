/**
 * Every keyboard shortcut, in one table: the key handler and the `?` help overlay both read it,
 * so the help can never drift from what the keys do.
 */
export type ActionName =
  | 'next'
  | 'prev'
  | 'accept'
  | 'reject'
  | 'flag'
  | 'note'
  | 'goto'
  | 'help'
  | 'save'
  | 'undo'
  | 'redo'
  | 'escape'
  | 'tool-brush'
  | 'tool-eraser'
  | 'tool-fill'
  | 'tool-lasso'
  | 'label-lesion'
  | 'label-background'
  | 'label-uncertain'
  | 'brush-smaller'
  | 'brush-larger'
  | 'toggle-only-uncertain'
  | 'toggle-overlay'
  | 'cycle-overlay-mode'
  | 'fit'
  | 'one-to-one'
  | 'resolve-lesion'
  | 'resolve-background'
  | 'assist'

export interface Shortcut {
  action: ActionName
  /** KeyboardEvent.key values (case-sensitive), with an optional `Ctrl+` / `Shift+` prefix. */
  keys: string[]
  group: 'Review' | 'Tools' | 'View' | 'Edit'
  help: string
}

export const SHORTCUTS: readonly Shortcut[] = [
  {
    action: 'next',
    keys: ['ArrowRight', 'PageDown'],
    group: 'Review',
    help: 'Next pair (saves a changed mask first)',
  },
  { action: 'prev', keys: ['ArrowLeft', 'PageUp'], group: 'Review', help: 'Previous pair (saves first)' },
  {
    action: 'accept',
    keys: ['a'],
    group: 'Review',
    help: 'Accept the mask as it is (or as corrected), then next',
  },
  { action: 'reject', keys: ['r'], group: 'Review', help: 'Reject the pair, then next' },
  { action: 'flag', keys: ['f'], group: 'Review', help: 'Flag the pair for a second look' },
  { action: 'note', keys: ['n'], group: 'Review', help: 'Write a note on the pair' },
  { action: 'goto', keys: ['g'], group: 'Review', help: 'Go to an ISIC id' },
  { action: 'help', keys: ['?'], group: 'Review', help: 'Show or hide this help' },
  { action: 'save', keys: ['Ctrl+s'], group: 'Edit', help: 'Save the corrected mask' },
  { action: 'undo', keys: ['Ctrl+z'], group: 'Edit', help: 'Undo (one stroke is one step)' },
  { action: 'redo', keys: ['Ctrl+Shift+Z', 'Ctrl+y'], group: 'Edit', help: 'Redo' },
  {
    action: 'escape',
    keys: ['Escape'],
    group: 'Edit',
    help: 'Abort the stroke or lasso in progress; close dialogs',
  },
  {
    action: 'resolve-lesion',
    keys: ['Shift+L'],
    group: 'Edit',
    help: 'Resolve all remaining uncertain → lesion',
  },
  {
    action: 'resolve-background',
    keys: ['Shift+B'],
    group: 'Edit',
    help: 'Resolve all remaining uncertain → background',
  },
  {
    action: 'assist',
    keys: ['u'],
    group: 'Edit',
    help: 'Propose labels for the uncertain pixels from the image',
  },
  { action: 'tool-brush', keys: ['b'], group: 'Tools', help: 'Brush' },
  { action: 'tool-eraser', keys: ['e'], group: 'Tools', help: 'Eraser (paints background)' },
  { action: 'tool-fill', keys: ['k'], group: 'Tools', help: 'Flood fill (4-connected region of one value)' },
  { action: 'tool-lasso', keys: ['l'], group: 'Tools', help: 'Lasso: fill a drawn polygon' },
  { action: 'label-lesion', keys: ['1'], group: 'Tools', help: 'Paint lesion (1)' },
  { action: 'label-background', keys: ['2'], group: 'Tools', help: 'Paint background (0)' },
  { action: 'label-uncertain', keys: ['3'], group: 'Tools', help: 'Paint uncertain (255)' },
  { action: 'brush-smaller', keys: ['['], group: 'Tools', help: 'Smaller brush' },
  { action: 'brush-larger', keys: [']'], group: 'Tools', help: 'Larger brush' },
  {
    action: 'toggle-only-uncertain',
    keys: ['p'],
    group: 'Tools',
    help: 'Paint only over uncertain pixels (on by default) / everywhere',
  },
  { action: 'toggle-overlay', keys: ['o'], group: 'View', help: 'Show or hide the overlay' },
  {
    action: 'cycle-overlay-mode',
    keys: ['Shift+O'],
    group: 'View',
    help: 'Overlay: filled → outline → uncertain only',
  },
  { action: 'fit', keys: ['Ctrl+0'], group: 'View', help: 'Fit the image (also: double-click)' },
  { action: 'one-to-one', keys: ['Ctrl+1'], group: 'View', help: 'One image pixel per screen pixel' },
]

/** Canonical name of a key event, e.g. `Ctrl+z`, `Shift+L`, `]`. */
export function keyName(e: KeyboardEvent): string {
  const ctrl = e.ctrlKey || e.metaKey
  // For printable keys Shift is already in e.key ('L', '?'); name it only for letters, to tell L from l.
  const letter = e.key.length === 1 && /[a-z]/i.test(e.key)
  const shift = e.shiftKey && (letter || e.key.length > 1)
  return `${ctrl ? 'Ctrl+' : ''}${shift ? 'Shift+' : ''}${e.key}`
}

const BY_KEY = new Map<string, ActionName>()
for (const s of SHORTCUTS) for (const k of s.keys) BY_KEY.set(k, s.action)

export function actionFor(e: KeyboardEvent): ActionName | undefined {
  if (e.altKey) return undefined
  return BY_KEY.get(keyName(e))
}
