import { defineStore } from 'pinia'
import { markRaw, shallowRef } from 'vue'
import type { PairState, ReviewProgress } from '../../../shared/api/contract'
import type { PairStatus } from '../../../shared/workspace/review'
import { api } from '../api'
import { invalidateThumbnail } from '../thumbnails'
import { closeLater, decodeImage, imageBlob } from '../editor/decodeImage'
import { EditorSession } from '../editor/editorSession'
import { setPreviewMarks } from '../editor/overlay'
import type { PreparedView } from '../editor/editorView'
import { HistoryCache } from '../editor/historyCache'
import { heldPair } from '../editor/openedPair'
import { ReadAhead, type ReadyPair } from '../editor/readAhead'
import type { EditorViewPort } from '../editor/viewPort'
import { useEditorStore } from './editor'
import { type ConflictParts, keepMineIn, loadSavedIn } from './pairConflict'
import { QUEUE_PAGE, useQueueStore } from './queue'
import { useWorkspaceStore } from './workspace'

/** The heavy data of the open pair, out of reactivity (markRaw), swapped as a whole. */
export interface LoadedPair {
  id: string
  image: ImageBitmap
  /** The image's bytes as stored (the view decodes a reduced copy from them). */
  blob: Blob
  session: EditorSession
  /**
   * The mask version the session edits (`pair:open`'s `base`, then each save's answer): sent with
   * every save, which the server refuses with `conflict` when the pair was saved elsewhere since
   * (another tab on `serve`).
   */
  base: string
  /** What the view needs to show it, made ahead (read-ahead); the view takes it once. */
  view?: PreparedView
}

export const loadedPair = shallowRef<LoadedPair | null>(null)

/*
 * The editor's parts beside the store, outside reactivity (Pinia holds only UI state): the undo
 * histories of recently opened pairs, the pair read ahead, and the view on screen, which hands
 * itself over when it mounts.
 */
let viewPort: EditorViewPort | null = null
const histories = new HistoryCache()
/**
 * The mask version (`base`) each kept history's steps lead to: the version this window last opened,
 * saved or loaded of the pair. A pair opened at another version (saved in another tab, a team
 * sync) starts its history afresh: the old steps' values would undo into the new bytes wrongly.
 */
const historyBases = new Map<string, string>()
const readAhead = new ReadAhead({
  open: (id) => api.call('pair:open', { id }, { background: true }),
  view: () => viewPort,
})

/** The editor view on screen hands itself over when it mounts. */
export function attachEditorView(port: EditorViewPort): void {
  viewPort = port
}

/** ... and takes itself back when it unmounts. */
export function detachEditorView(port: EditorViewPort): void {
  if (viewPort === port) viewPort = null
}

/** Forgets every undo history and the pair read ahead (another workspace: the same ids may name other masks). */
export function forgetPairs(): void {
  histories.clear()
  historyBases.clear()
  readAhead.drop()
}

export type SaveState = 'clean' | 'dirty' | 'saving' | 'saved' | 'error'

/** The navigation in flight: decisions wait for it, and a key pressed mid-load to another pair is dropped (decideShown). */
let pendingOpen: Promise<boolean> = Promise.resolve(true)
/**
 * Navigations queue behind the one in flight, and only the latest queued one runs (holding → moves
 * the target along without loading every pair on the way). `navTarget`: the position the latest
 * queued navigation goes to, while one is queued or running.
 */
let navTicket = 0
let navTarget: number | null = null
/**
 * Writes this window made, per pair (mask saves, decisions, notes): an open answered before a
 * write of its pair is stale. Only ever grows while the app runs (a few bytes per pair written).
 */
const writes = new Map<string, number>()
const writesTo = (id: string | null): number => (id === null ? 0 : (writes.get(id) ?? 0))

/**
 * This window's mask saves, one after another: each names the version the one before left (its
 * answer's `base`), so a second Ctrl+S while a save is in flight is not taken for a conflict.
 */
let saveTail: Promise<unknown> = Promise.resolve()
/** What "Keep mine" and "Load the saved version" (pairConflict.ts) take from outside reactivity. */
const conflictParts: ConflictParts = {
  shown: () => loadedPair.value,
  savesSettled: () => saveTail,
  historyBase: (id, base) => void historyBases.set(id, base),
  dropReadAhead: (id) => readAhead.drop(id),
}
/**
 * This window's mask saves in flight (queued or sent), per pair. Opening a pair waits for its own
 * (load()): an open whose mask the server reads before this window's own save lands shows (and
 * names, as its `base`) the version before it, and the next save or decision of the new session
 * would be refused as a conflict with itself.
 */
const savingIds = new Map<string, number>()
/**
 * A decision (A, R, F) is in flight, from the press until the next pair is on screen: further
 * presses are dropped (qa7s #1: 80 ms apart they decided one pair twice and passed the next over).
 */
let deciding = false

/** A decision as the proposal banner names it when a preview refuses it. */
const DECIDING = {
  accepted: 'accepting',
  rejected: 'rejecting',
  flagged: 'flagging',
  skipped: 'skipping',
} as const

/** Saves of the open pair tried in a row while the curator keeps editing during them. */
const SETTLE_TRIES = 3

/**
 * The review loop: which pair is open, its status, saving, and moving on. Navigation autosaves a
 * changed mask first and stays put when the save fails (the edit is kept and the reason shown).
 */
export const usePairStore = defineStore('pair', {
  state: () => ({
    position: -1,
    id: '',
    state: null as PairState | null,
    origin: 'source' as 'source' | 'corrected',
    loading: false,
    error: null as { code: string; message: string; file?: string } | null,
    /** A label map is on screen (false while none is, and after an open failed: nothing to count or save). */
    hasMask: false,
    /** The open attempt failed on a challenge-convention mask: the UI offers the conversion. */
    challengeOffer: false,
    saveState: 'clean' as SaveState,
    saveError: '',
    /**
     * The id of the pair on screen when a save of its edit or a decision on it was refused with
     * `conflict` (saved elsewhere since it was opened: another tab, a team sync), until the curator
     * loads the saved version or keeps theirs, or the pair leaves the screen; '' otherwise. The edit
     * stays unsaved; the decision is not recorded.
     */
    conflict: '',
    /**
     * What `conflict` refused: a save (the bar offers the saved version or this edit over it) or a
     * decision (A, R, F): only the saved version then, and the curator decides again on what it
     * shows. "Keep mine" would decide on a version they have not seen, which the base is there to
     * prevent.
     */
    conflictOf: 'save' as 'save' | 'decision',
    /** "Load the saved version" or "Keep mine" is in flight (the conflict bar's buttons wait). */
    resolving: false,
    /** Why the last action did nothing (a decision that is not possible), for the status bar. */
    notice: '',
    /**
     * What was refused while an assisted proposal is on preview (moving on, a decision, a save, a
     * new queue): the proposal banner says so until the proposal is applied or discarded. A
     * proposal only looked at never becomes a corrected mask behind the curator's back.
     */
    previewRefused: '',
    /** Increases with every navigation; answers to older requests are dropped. */
    request: 0,
  }),
  getters: {
    positionText(): string {
      const total = useQueueStore().total
      return this.position >= 0 ? `${this.position + 1} / ${total}` : `– / ${total}`
    },
    canPrev: (s) => s.position > 0,
    canNext: (s) => s.position >= 0 && s.position < useQueueStore().total - 1,
    /**
     * The status shown for the current pair: its review state, or for a pair that did not open
     * (no state comes with a failed open) its status as the queue lists it.
     */
    statusText(): PairStatus | null {
      if (this.state) return this.state.status
      if (!this.id || this.position < 0) return null
      const item = useQueueStore().pages.get(Math.floor(this.position / QUEUE_PAGE))?.[
        this.position % QUEUE_PAGE
      ]
      return item?.id === this.id ? item.status : null
    },
    /** The workspace is open read-only: no edit can be saved, so none is allowed. */
    readOnly: () => useWorkspaceStore().info?.readOnly === true,
    /**
     * The conflict bar offers "Keep mine": a save was refused and something here is unsaved. Clean
     * (never edited, or undone back to the opened state), only the saved version is offered.
     */
    keepOffered(): boolean {
      return this.conflictOf === 'save' && useEditorStore().dirty
    },
  },
  actions: {
    openAt(position: number, opts: { challenge?: 'convert' } = {}): Promise<boolean> {
      const ticket = ++navTicket
      navTarget = position
      const run = pendingOpen
        .then(() => (ticket === navTicket ? this.load(position, opts) : false))
        .finally(() => {
          if (ticket === navTicket) navTarget = null
        })
      pendingOpen = run.catch(() => false)
      return run
    },

    async load(position: number, opts: { challenge?: 'convert' }): Promise<boolean> {
      const queue = useQueueStore()
      if (position < 0 || position >= queue.total) return false
      if (!(await this.settle())) return false
      const from = this.position
      const request = ++this.request
      const id = await queue.idAt(position)
      if (request !== this.request) return false
      // This window's saves of that pair first: opened after they land, it names their version.
      while (id && savingIds.has(id)) {
        await saveTail
        if (request !== this.request) return false
      }
      /**
       * Edits made to the pair on screen while this one was loading are saved before it goes (also
       * when this one fails to open); when they cannot be, it stays on screen with the reason.
       */
      const leave = async (): Promise<boolean> => {
        if (!loadedPair.value?.session.isDirty) return true
        const settled = await this.settle()
        if (settled && request === this.request) return true
        if (request === this.request) {
          this.position = from
          this.loading = false
        }
        return false
      }
      let ready: ReadyPair | null
      for (let first = true; ; first = false) {
        // What this window wrote to the pair so far: a later write makes the copy opened now stale.
        const writes = writesTo(id)
        // The request goes out before the new position re-renders the page (a few ms of Vue's work).
        const ahead = !id || opts.challenge || !first ? null : readAhead.take(id)
        const opening =
          id && !ahead
            ? api.call('pair:open', opts.challenge ? { id, challenge: opts.challenge } : { id })
            : null
        this.position = position
        this.loading = true
        if (!id) {
          if (!(await leave())) return false
          return this.fail({ code: 'not-found', message: `no pair at position ${position + 1}` })
        }
        ready = ahead ? await ahead : null
        if (request !== this.request) {
          if (ready) readAhead.release(ready)
          return false
        }
        if (!ready) {
          // A read-ahead that came to nothing: opened now, as usual.
          const r = await (opening ?? api.call('pair:open', { id }))
          if (request !== this.request) return false
          if (!r.ok) {
            if (!(await leave())) return false
            this.challengeOffer = r.error.code === 'challenge-convention'
            return this.fail(r.error, id)
          }
          const blob = imageBlob(r.value.image.bytes, r.value.image.mime)
          // The view's reduced photo decodes beside the image, as for a pair read ahead.
          const preparing = readAhead.prepareView(r.value.mask, blob)
          let decoded: ImageBitmap
          try {
            decoded = await decodeImage(blob)
          } catch (err) {
            void preparing.then((view) => view && readAhead.releaseView(view))
            if (!(await leave())) return false
            return this.fail({ code: 'image-corrupt', message: `${r.value.image.name}: ${String(err)}` }, id)
          }
          const view = await preparing
          if (request !== this.request) {
            decoded.close()
            if (view) readAhead.releaseView(view)
            return false
          }
          // Kept without the response it came in (heldPair): the image's bytes are in the Blob.
          ready = { pair: heldPair(r.value), image: decoded, blob, view }
        }
        if (!(await leave())) {
          readAhead.release(ready)
          return false
        }
        // That save was of the pair being opened (its own row clicked, G + its id, while editing
        // it): the copy opened before it is stale, and showing it would lose the saved edit at the
        // next save. Opened again; each round needs the curator to have edited meanwhile.
        if (writesTo(id) === writes) break
        readAhead.release(ready)
      }
      const { pair, image, blob } = ready
      const editor = useEditorStore()
      const map = { width: pair.mask.width, height: pair.mask.height, data: pair.mask.data }
      const history = histories.historyFor(id)
      if (historyBases.get(id) !== pair.base) history.clear()
      historyBases.set(id, pair.base)
      const session = new EditorSession(
        id,
        map,
        history,
        () => ({
          tool: editor.tool,
          label: editor.label,
          brushSize: editor.brushSize,
          onlyUncertain: editor.onlyUncertain,
        }),
        {
          labelsChanged: (rect) => viewPort?.labelsChanged(rect),
          stateChanged: (s) => {
            editor.canUndo = s.canUndo
            editor.canRedo = s.canRedo
            editor.dirty = s.dirty
            editor.uncertainRemaining = s.uncertain
            editor.version++
            if (this.saveState !== 'saving') {
              if (s.dirty) this.saveState = 'dirty'
              else if (this.saveState === 'dirty') this.saveState = 'clean'
            }
          },
          // Already applied by the session (an edit on the preview): endPreview's accept does nothing.
          previewApplied: () =>
            this.endPreview(true, 'proposal applied (one undo step): you edited on from it'),
        },
        { initiallyDirty: pair.converted, uncertain: pair.counts.uncertain, readOnly: this.readOnly },
      )
      closeLater(loadedPair.value?.image)
      loadedPair.value = markRaw({ id, image, blob, session, base: pair.base, view: ready.view ?? undefined })
      this.id = id
      this.state = pair.state
      this.origin = pair.mask.origin
      this.error = null
      this.notice = ''
      this.challengeOffer = false
      this.saveState = pair.converted ? 'dirty' : 'clean'
      this.saveError = ''
      this.conflict = ''
      this.hasMask = true
      this.loading = false
      // What the assist banner said was about the pair before (a proposal running for it is dropped).
      if (editor.assist === 'idle') editor.assistText = ''
      // Once the pair is on screen: remember it, and get the neighbours ready.
      requestAnimationFrame(() =>
        setTimeout(() => {
          void api.call('ui:set', { key: 'lastPair', value: id })
          if (this.position === position) void this.prefetchAround(position)
        }),
      )
      return true
    },

    /**
     * The pair `id` did not open: it is the current pair (it can still be rejected or flagged), shown
     * with its error, and nothing of the pair shown before stays (its mask, counts, save state).
     */
    fail(error: { code: string; message: string; file?: string }, id = ''): false {
      this.id = id
      this.loading = false
      this.error = error
      this.notice = ''
      this.dropMask()
      return false
    },

    /** Takes the label map off the screen, and with it everything the bars showed about it. */
    dropMask() {
      this.state = null
      this.origin = 'source'
      this.saveState = 'clean'
      this.saveError = ''
      this.conflict = ''
      this.hasMask = false
      closeLater(loadedPair.value?.image)
      loadedPair.value = null
      const editor = useEditorStore()
      editor.canUndo = false
      editor.canRedo = false
      editor.dirty = false
      editor.uncertainRemaining = 0
      editor.version++
      if (editor.assist === 'idle') editor.assistText = ''
    },

    /** After the queue changed: its first pair, or no pair when it is empty. */
    openFirst(): Promise<boolean> {
      return useQueueStore().total > 0 ? this.openAt(0) : this.close()
    },

    /**
     * Shows no pair (the queue is empty): after any navigation in flight, and once the edits of the
     * pair on screen are saved (when they cannot be, it stays, with the reason).
     */
    close(): Promise<false> {
      const ticket = ++navTicket
      navTarget = null
      const run = pendingOpen.then(async (): Promise<false> => {
        if (ticket !== navTicket || !(await this.settle())) return false
        this.request++
        this.position = -1
        this.id = ''
        this.error = null
        this.notice = ''
        this.loading = false
        this.challengeOffer = false
        this.dropMask()
        return false
      })
      pendingOpen = run.catch(() => false)
      return run
    },

    /** The main process reads the neighbours into its cache; the next one is also read ahead here. */
    async prefetchAround(position: number) {
      const queue = useQueueStore()
      const [next, prev] = await Promise.all([queue.idAt(position + 1), queue.idAt(position - 1)])
      const ids = [next, prev].filter((x): x is string => x !== null)
      if (ids.length) await api.call('pair:prefetch', { ids }, { background: true })
      if (next && this.position === position && next !== this.id) readAhead.start(next)
    },

    /** One pair on from where the latest navigation goes (not from the pair still on screen). */
    next() {
      const from = navTarget ?? this.position
      return from >= 0 && from < useQueueStore().total - 1 ? this.openAt(from + 1) : Promise.resolve(false)
    },
    prev() {
      const from = navTarget ?? this.position
      return from > 0 ? this.openAt(from - 1) : Promise.resolve(false)
    },

    async goTo(id: string): Promise<boolean> {
      const r = await api.call('queue:find', { id })
      if (!r.ok) {
        this.error = r.error
        return false
      }
      return this.openAt(r.value.position)
    },

    /**
     * Ends the assisted proposal on preview: applied (one undo step) or discarded (the exact bytes
     * from before). Only Enter / Apply, or an edit on it (painting, fill), applies it.
     */
    endPreview(apply: boolean, text = apply ? 'proposal applied (one undo step)' : 'proposal discarded') {
      this.previewRefused = ''
      const session = loadedPair.value?.session
      if (apply) session?.acceptPreview()
      else session?.discardPreview()
      setPreviewMarks(null)
      const editor = useEditorStore()
      editor.assist = 'idle'
      editor.assistText = text
    },

    /**
     * True (and the proposal banner says why) when an assisted proposal is on preview: `what` is
     * refused until the curator applies it (Enter) or discards it (Esc). Moving on, deciding or
     * saving never applies a proposal silently, nor drops it: either would be a guess.
     */
    refusedInPreview(what: string): boolean {
      if (!loadedPair.value?.session.inPreview) return false
      this.previewRefused = `${what}: not while a proposal is shown. Enter applies the proposal, Esc discards it`
      return true
    },

    /** Saves the open mask when it changed; true when there is nothing left unsaved. A proposal on preview refuses it. */
    async saveIfDirty(): Promise<boolean> {
      const pair = loadedPair.value
      if (this.refusedInPreview('moving on')) return false
      if (!pair || !pair.session.isDirty) return true
      return this.writeMask()
    },

    /**
     * Saves until nothing is left unsaved (edits made while a save is in flight stay unsaved and
     * are saved by the next try); false when a save fails or the curator keeps editing.
     */
    async settle(): Promise<boolean> {
      for (let i = 0; i < SETTLE_TRIES; i++) {
        if (!(await this.saveIfDirty())) return false
        if (!loadedPair.value?.session.isDirty) return true
      }
      return false
    },

    /** Ctrl+S / the save button: after any navigation in flight; refused while a proposal is on preview. */
    async save(): Promise<boolean> {
      await pendingOpen
      if (this.refusedInPreview('saving')) return false
      return this.writeMask()
    },

    /**
     * One save of the open pair, after this window's saves before it. `rebase`: "Keep mine" after a
     * conflict: the save names the version saved now (read just before it) instead of the one
     * opened; a pair changed again meanwhile is refused again, never overwritten blindly.
     */
    writeMask(opts: { rebase?: boolean } = {}): Promise<boolean> {
      const pair = loadedPair.value
      if (!pair) return Promise.resolve(false)
      if (this.readOnly) {
        this.saveState = 'error'
        this.saveError = 'the workspace is open read-only'
        return Promise.resolve(false)
      }
      this.saveState = 'saving'
      const { id } = pair
      savingIds.set(id, (savingIds.get(id) ?? 0) + 1)
      const run = saveTail
        .then(() => this.writeMaskOf(pair, opts))
        .finally(() => {
          const left = (savingIds.get(id) ?? 1) - 1
          if (left > 0) savingIds.set(id, left)
          else savingIds.delete(id)
        })
      saveTail = run.catch(() => false)
      return run
    },

    /** One save of `pair` (after this window's saves before it); the save state is shown only while `pair` is on screen. */
    async writeMaskOf(pair: LoadedPair, opts: { rebase?: boolean } = {}): Promise<boolean> {
      const { map } = pair.session
      const onScreen = () => loadedPair.value?.session === pair.session
      if (onScreen()) this.saveState = 'saving'
      // The version on screen when this save went ahead: "Load the saved version" moving it on
      // before the answer makes a refusal of this save moot (it was about the map Load replaced).
      const asked = pair.base
      // "Keep mine" names the version saved now, read just before; `pair.base` moves to what the
      // save answers only when it lands (a save refused for another reason, e.g. a full disk,
      // leaves it: the next plain save is refused again, never an overwrite without Keep).
      let base = pair.base
      if (opts.rebase) {
        const now = await api.call('pair:version', { id: pair.id })
        if (!now.ok) {
          const why = `[${now.error.code}] the version saved now could not be read (${now.error.message}); the edit here stays unsaved`
          this.reportFailure(onScreen(), `${pair.id} was not saved`, why)
          return false
        }
        base = now.value.base
      }
      // What this save writes: edits made while it is in flight stay unsaved.
      const point = pair.session.savePoint()
      const edited = pair.session.isDirty
      const r = await api.call('pair:saveMask', {
        id: pair.id,
        width: map.width,
        height: map.height,
        data: map.data,
        base,
      })
      if (!r.ok) {
        const conflict = r.error.code === 'conflict'
        if (conflict && pair.base !== asked) {
          // Refused for a version Load has replaced meanwhile: the map is the file's now, or an
          // edit on it (dirty, saved by the next save, naming the loaded version).
          if (onScreen()) this.saveState = pair.session.isDirty ? 'dirty' : 'clean'
          return false
        }
        // A conflict: the pair was saved elsewhere (another tab, a team sync) since this one opened
        // it. The edit stays on screen, unsaved (its session is still dirty: navigation keeps asking
        // to save it), and the conflict bar offers the saved version or this edit over it. Nothing
        // unsaved (Ctrl+S on an unedited pair): the saved version only, as "Keep mine" would write
        // the stale version opened here over the newer one.
        const why = !conflict
          ? `[${r.error.code}] ${r.error.message}`
          : edited
            ? `[conflict] ${pair.id} was changed elsewhere (another tab, window or a team sync) since it was opened: load the saved version or keep yours; the edit here stays unsaved`
            : `[conflict] ${pair.id} was changed elsewhere (another tab, window or a team sync) since it was opened: nothing here was unsaved; load the saved version`
        if (conflict && onScreen()) {
          this.conflict = pair.id
          this.conflictOf = 'save'
        }
        this.reportFailure(onScreen(), `${pair.id} was not saved`, why)
        return false
      }
      pair.base = r.value.base
      historyBases.set(pair.id, r.value.base)
      pair.session.markSaved(point)
      // By id: the pair may have been opened again meanwhile (a new session of the same pair).
      if (loadedPair.value?.id === pair.id) {
        this.state = r.value.state
        this.origin = 'corrected'
      }
      if (onScreen()) {
        this.saveState = pair.session.isDirty ? 'dirty' : 'saved'
        this.saveError = ''
        this.conflict = ''
        // What "Load the saved version" said ("… Ctrl+Z brings your edit back (unsaved)", or that
        // it did not load) is over once a save of this pair lands (qa7 #14b).
        if (this.notice.startsWith(`${pair.id}: the saved version`)) this.notice = ''
      }
      readAhead.drop(pair.id)
      invalidateThumbnail(pair.id)
      this.afterDecision(pair.id, r.value.state, r.value.progress)
      return true
    },

    /** "Keep mine" after a conflict: the edit on screen saved over the version saved now (pairConflict.ts). */
    keepMine(): Promise<boolean> {
      return keepMineIn(this, conflictParts)
    },

    /** "Load the saved version" after a conflict: one undo step over the edit (pairConflict.ts). */
    loadSaved(): Promise<boolean> {
      return loadSavedIn(this, conflictParts)
    },

    /**
     * Records a decision: a changed mask is saved first (so `accept` of an edited mask leaves it
     * `corrected`, the more telling status), then the status is set; accept and reject move on.
     * A pair that did not open (a broken mask) can be rejected, flagged or skipped, not accepted.
     */
    async decide(
      status: Extract<PairStatus, 'accepted' | 'rejected' | 'flagged' | 'skipped'>,
    ): Promise<boolean> {
      // One decision at a time, its move on included: a press while one is in flight would decide
      // the same pair again, or (queued) a pair not on screen yet. It is dropped, and said so.
      if (deciding) {
        this.notice = 'still moving on: that key press was not applied; press again on the pair shown'
        return false
      }
      deciding = true
      try {
        return await this.decideShown(status, this.id)
      } finally {
        deciding = false
      }
    },

    /**
     * decide() for the pair on screen when the key was pressed (`pressedOn`, its id, or the one that
     * failed to open), while no other decision is in flight. A navigation in flight (→, a row click)
     * that shows another pair first makes the press moot: the curator has not seen that pair.
     */
    async decideShown(
      status: Extract<PairStatus, 'accepted' | 'rejected' | 'flagged' | 'skipped'>,
      pressedOn: string,
    ): Promise<boolean> {
      await pendingOpen
      if (this.id !== pressedOn) {
        this.notice = pressedOn
          ? `still moving on: that key press was not applied to ${this.id || 'the next pair'}, not yet shown when it was pressed`
          : 'the pair is still loading: that key press was not applied'
        return false
      }
      this.notice = ''
      const pair = loadedPair.value
      if (!pair) return this.decideUnopened(status)
      if (!this.state) return false
      if (this.refusedInPreview(DECIDING[status])) return false
      const edited = pair.session.isDirty || this.state.corrected
      if (!(await this.saveIfDirty())) return false
      const target: PairStatus = status === 'accepted' && edited ? 'corrected' : status
      if (this.state.status !== target) {
        // Taken on the version on screen: refused with `conflict` when the pair was saved elsewhere
        // since (another tab, a team sync), so a decision never lands on a mask not seen here.
        const asked = pair.base
        const r = await api.call('pair:setStatus', { id: pair.id, status: target, base: asked })
        if (!r.ok) {
          const onScreen = loadedPair.value?.session === pair.session
          const conflict = r.error.code === 'conflict'
          // Refused for a version "Load the saved version" replaced meanwhile: no conflict is left.
          const moot = conflict && pair.base !== asked
          if (conflict && onScreen && !moot) {
            this.conflict = pair.id
            this.conflictOf = 'decision'
          }
          // A refused decision is no failed save (the mask's save state stays as it is): the
          // notice says what was not recorded, and why.
          this.notice = `${pair.id} was not ${target}: ${
            moot
              ? '[conflict] it was taken on the version shown before the saved one was loaded; decide again on what is shown'
              : conflict
                ? '[conflict] it was changed elsewhere (another tab, window or a team sync) since it was opened: load the saved version and decide on what it shows'
                : `[${r.error.code}] ${r.error.message}`
          }`
          return false
        }
        if (loadedPair.value?.id === pair.id) this.state = r.value.state
        this.afterDecision(pair.id, r.value.state, r.value.progress)
      }
      if ((status === 'accepted' || status === 'rejected') && this.canNext) await this.next()
      return true
    },

    /**
     * A failed save: the pair's save error while it is the one on screen, else a notice naming it
     * (`what`), never the current pair's save state.
     */
    reportFailure(onScreen: boolean, what: string, why: string) {
      if (onScreen) {
        this.saveState = 'error'
        this.saveError = why
      } else {
        this.notice = `${what}: ${why}`
      }
    },

    /** A decision on the pair that failed to open (`id` and `error` name it), by its id: no mask is involved. */
    async decideUnopened(status: Extract<PairStatus, 'accepted' | 'rejected' | 'flagged' | 'skipped'>) {
      const id = this.id
      if (!id || !this.error) {
        this.notice = this.loading ? 'the pair is still loading' : 'no pair is open: nothing to decide'
        return false
      }
      if (status === 'accepted') {
        this.notice = `${id} cannot be accepted: its mask did not open ([${this.error.code}]); reject or flag it`
        return false
      }
      if (this.state?.status !== status) {
        const r = await api.call('pair:setStatus', { id, status })
        if (!r.ok) {
          this.notice = `${id} was not ${status}: [${r.error.code}] ${r.error.message}`
          return false
        }
        if (this.id === id && !loadedPair.value) this.state = r.value.state
        this.afterDecision(id, r.value.state, r.value.progress)
      }
      if (status === 'rejected' && this.canNext) await this.next()
      return true
    },

    async setNote(note: string): Promise<boolean> {
      const id = this.id
      const r = await api.call('pair:setNote', { id, note })
      if (!r.ok) {
        this.error = r.error
        return false
      }
      if (this.id === id) this.state = r.value.state
      this.afterDecision(id, r.value.state, r.value.progress)
      return true
    },

    afterDecision(id: string, state: PairState, progress: ReviewProgress) {
      writes.set(id, writesTo(id) + 1)
      readAhead.drop(id)
      const workspace = useWorkspaceStore()
      workspace.progress = progress
      // By id: the queue may have changed (another filter) since the pair was opened.
      useQueueStore().patchItem(id, {
        status: state.status,
        corrected: state.corrected,
        uncertainFraction: state.uncertainFraction,
        // A saved correction is a valid mask: the source's problem no longer applies.
        ...(state.corrected ? { problem: null } : {}),
      })
    },
  },
})
