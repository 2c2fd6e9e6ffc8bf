import { afterEach, describe, expect, it } from 'vitest'
import {
  ACTIONS,
  actionFor,
  actionNamed,
  helpSections,
  indexByKey,
  keyName,
  PREVIEW_ACTIONS,
  repeatsWhenHeld,
  type Action,
  type ActionName,
} from '../../../renderer/src/actions'
import { firstDiff, parseMap } from '../shared/labels/ascii'
import { keyEvent, openInEditor, type EditHarness } from './editor/user'

/** Named keys the app binds (KeyboardEvent.key values); any other key is one character. */
const NAMED_KEYS = new Set(['ArrowRight', 'ArrowLeft', 'PageDown', 'PageUp', 'Escape'])

describe('the action table', () => {
  it('names every action once', () => {
    const names = ACTIONS.map((a) => a.name)
    expect(new Set(names).size).toBe(names.length)
  })

  it('binds every key to exactly one action, and every action to at least one key', () => {
    const all = ACTIONS.flatMap((a) => a.keys)
    expect(new Set(all).size).toBe(all.length)
    expect(indexByKey(ACTIONS).size).toBe(all.length)
    for (const a of ACTIONS) expect(a.keys.length, a.name).toBeGreaterThan(0)
  })

  it('a held key never repeats a decision, a dialog or a tool; moving on, undo and sizes repeat', () => {
    for (const key of [
      'a',
      'r',
      'f',
      'n',
      'g',
      '?',
      'Ctrl+s',
      'u',
      'Shift+L',
      'Shift+B',
      'Escape',
      'Enter',
      'x',
    ])
      expect(repeatsWhenHeld(keyEvent(key)), key).toBe(false)
    for (const key of ['ArrowRight', 'ArrowLeft', 'Ctrl+z', 'Ctrl+y', '[', ']', ',', '.'])
      expect(repeatsWhenHeld(keyEvent(key)), key).toBe(true)
  })

  it('refuses a table that binds one key twice', () => {
    const twice: Action[] = [
      { ...actionNamed('undo') },
      { ...actionNamed('redo'), keys: ['Ctrl+y', 'Ctrl+z'] },
    ]
    expect(() => indexByKey(twice)).toThrow(/Ctrl\+z is bound to both undo and redo/)
  })

  it('writes every key the way a key press names it, so each key reaches its action', () => {
    for (const a of ACTIONS) {
      for (const k of a.keys) {
        const e = keyEvent(k)
        expect(keyName(e), `${a.name}: ${k}`).toBe(k)
        expect(e.key.length === 1 || NAMED_KEYS.has(e.key), `${a.name}: ${k}`).toBe(true)
        expect(actionFor(e)?.name).toBe(a.name)
      }
    }
  })

  it('tells a shifted letter from the plain one, takes ⌘ for Ctrl, and leaves Alt to the system', () => {
    expect(actionFor(keyEvent('l'))?.name).toBe('tool-lasso')
    expect(actionFor(keyEvent('Shift+L'))?.name).toBe('resolve-lesion')
    expect(actionFor({ key: 'z', ctrlKey: false, metaKey: true, shiftKey: false, altKey: false })?.name).toBe(
      'undo',
    )
    expect(actionFor({ ...keyEvent('a'), altKey: true })).toBeUndefined()
    expect(actionFor(keyEvent('x'))).toBeUndefined()
  })

  it('the help lists every action once, in table order, with all its keys', () => {
    const listed = helpSections().flatMap((s) => s.actions)
    expect(listed.map((a) => a.name).sort()).toEqual(ACTIONS.map((a) => a.name).sort())
    expect(listed.flatMap((a) => a.keys).sort()).toEqual(ACTIONS.flatMap((a) => a.keys).sort())
    for (const s of helpSections()) for (const a of s.actions) expect(a.group).toBe(s.group)
    expect(helpSections().map((s) => s.group)).toEqual(['Review', 'Edit', 'Tools', 'View'])
  })
})

describe('each action enters the undo history as it declares', () => {
  let h: EditHarness | null = null
  afterEach(() => {
    h?.dispose()
    h = null
  })

  /** A pair with one committed stroke and uncertain pixels left; before `redo`, an undo; for `abort`, a stroke in progress. */
  function prepared(action: Action): { e: EditHarness; committed: Uint8Array } {
    const e = openInEditor(
      parseMap(`
        ??.#??
        ??????
        ?#..??
      `),
    )
    h = e
    e.pointer.drag([0, 1], [5, 1])
    if (action.name === 'redo') e.session.undo()
    const committed = e.map.data.slice()
    if (action.history === 'abort') e.pointer.down(0, 0).move(5, 0)
    return { e, committed }
  }

  for (const action of ACTIONS) {
    it(`${action.name}: ${action.history}`, () => {
      const { e, committed } = prepared(action)
      const { history } = e.session
      const bytes = e.map.data.slice()
      const undo = history.undoDepth
      const redo = history.redoDepth
      e.keyboard.press(action.keys[0])
      expect(e.keyboard.performed).toEqual([action.name])
      expect(history.inStroke).toBe(false)
      switch (action.history) {
        case 'none':
          expect(firstDiff(e.map.data, bytes)).toBe(-1)
          expect([history.undoDepth, history.redoDepth]).toEqual([undo, redo])
          break
        case 'step':
          expect(firstDiff(e.map.data, bytes)).not.toBe(-1)
          expect([history.undoDepth, history.redoDepth]).toEqual([undo + 1, 0])
          break
        case 'travel':
          expect(firstDiff(e.map.data, bytes)).not.toBe(-1)
          expect(history.undoDepth + history.redoDepth).toBe(undo + redo)
          expect(history.undoDepth).not.toBe(undo)
          break
        case 'preview': {
          // The proposal is computed elsewhere (a worker) and arrives as an open stroke; the level
          // keys act on it there (App.vue, which keeps it open for them: PREVIEW_ACTIONS).
          const levelCalls: Record<string, string> = {
            'assist-level-skin': 'assistLevel:-1',
            'assist-level-lesion': 'assistLevel:1',
          }
          expect(e.calls).toEqual([levelCalls[action.name] ?? 'assist'])
          expect(action.name === 'assist' || PREVIEW_ACTIONS.has(action.name as ActionName)).toBe(true)
          expect(firstDiff(e.map.data, bytes)).toBe(-1)
          break
        }
        case 'abort':
          expect(firstDiff(e.map.data, committed)).toBe(-1)
          expect([history.undoDepth, history.redoDepth]).toEqual([undo, redo])
          break
      }
    })
  }
})
