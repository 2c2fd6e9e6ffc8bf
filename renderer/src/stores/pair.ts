import { defineStore } from 'pinia'
import { markRaw, shallowRef } from 'vue'
import type { OpenedPair, PairState, ReviewProgress } from '../../../shared/api/contract'
import type { LabelMap } from '../../../shared/labels/codes'
import type { PairStatus } from '../../../shared/workspace/review'
import { History } from '../../../shared/labels/history'
import type { Rect } from '../../../shared/labels/patch'
import { api } from '../api'
import { invalidateThumbnail } from '../thumbnails'
import { closeLater, decodeImage, imageBlob } from '../editor/decodeImage'
import { EditorSession } from '../editor/editorSession'
import type { PreparedView } from '../editor/editorView'
import { useEditorStore } from './editor'
import { useQueueStore } from './queue'
import { useWorkspaceStore } from './workspace'

/** The heavy data of the open pair, out of reactivity (markRaw), swapped as a whole. */
export interface LoadedPair {
  id: string
  image: ImageBitmap
  /** The image's bytes as stored (the view decodes a reduced copy from them). */
  blob: Blob
  session: EditorSession
  /** What the view needs to show it, made ahead (read-ahead); the view takes it once. */
  view?: PreparedView
}

export const loadedPair = shallowRef<LoadedPair | null>(null)

/** The view registers here to redraw the overlay's dirty rectangles. */
export const labelsChanged = { listener: (_rect: Rect | null): void => {} }

/** Undo histories by pair id, kept while the curator moves between pairs (oldest dropped first). */
const HISTORIES_KEPT = 50
const histories = new Map<string, History>()
function historyFor(id: string): History {
  let h = histories.get(id)
  if (h) histories.delete(id)
  else h = new History()
  histories.set(id, h)
  while (histories.size > HISTORIES_KEPT) histories.delete(histories.keys().next().value as string)
  return h
}

/** Forgets every undo history and the pair read ahead (another workspace: the same ids may name other masks). */
export function clearHistories(): void {
  histories.clear()
  dropReadAhead()
}

/** How the view prepares a pair for showing, and gives back a preparation not shown (EditorCanvas registers). */
export const viewPreparer = {
  prepare: null as ((map: LabelMap, blob: Blob) => Promise<PreparedView>) | null,
  release: (_view: PreparedView): void => {},
}

/** A pair opened, decoded and prepared for the view: all that showing it takes. */
interface ReadyPair {
  pair: OpenedPair
  image: ImageBitmap
  blob: Blob
  view: PreparedView | null
}

/**
 * Read-ahead: once a pair is on screen, the next one in the queue is opened, its image decoded and
 * (for a large image) its reduced photo decoded in the background, so that moving on (→, accept,
 * reject) only swaps what is shown. One pair is kept. It is dropped when this window writes to that pair (its state would be
 * stale), when another workspace opens, or when the curator goes elsewhere; the workspace is locked
 * to this app, so nothing else writes to it meanwhile.
 */
interface ReadAhead {
  id: string
  /** Settles with the pair ready to show, or null when it could not be made (it is then opened as usual). */
  ready: Promise<ReadyPair | null>
  dropped: boolean
}
let readAhead: ReadAhead | null = null

function releaseReady(r: ReadyPair): void {
  closeLater(r.image)
  if (r.view) viewPreparer.release(r.view)
}

/** Drops the pair read ahead (only if it is `id`, when given), releasing what it holds. */
function dropReadAhead(id?: string): void {
  const a = readAhead
  if (!a || (id !== undefined && a.id !== id)) return
  readAhead = null
  a.dropped = true
  void a.ready.then((r) => r && releaseReady(r))
}

/** Takes the pair read ahead if it is `id` (waiting for it when still in flight). */
function takeReadAhead(id: string): Promise<ReadyPair | null> | null {
  const a = readAhead
  if (!a || a.id !== id) return null
  readAhead = null
  return a.ready
}

function startReadAhead(id: string): void {
  if (readAhead?.id === id) return
  dropReadAhead()
  const entry: ReadAhead = { id, dropped: false, ready: Promise.resolve(null) }
  entry.ready = (async (): Promise<ReadyPair | null> => {
    // A background request: the curator's own requests go first.
    const r = await api.call('pair:open', { id }, { background: true })
    if (!r.ok || entry.dropped) return null
    const blob = imageBlob(r.value.image.bytes, r.value.image.mime)
    // The image and the view's reduced copy of it decode at the same time, off the main thread.
    const prepare = viewPreparer.prepare
    const [decoded, view] = await Promise.all([
      decodeImage(blob).catch(() => null),
      prepare ? prepare(r.value.mask, blob).catch(() => null) : null,
    ])
    if (!decoded) {
      // Opened as usual instead, which reports the undecodable image.
      if (view) viewPreparer.release(view)
      return null
    }
    const ready: ReadyPair = { pair: r.value, image: decoded, blob, view }
    if (entry.dropped) {
      releaseReady(ready)
      return null
    }
    return ready
  })().catch(() => null)
  readAhead = entry
}

type SaveState = 'clean' | 'dirty' | 'saving' | 'saved' | 'error'

/** The navigation in flight: decisions wait for it, so a key pressed mid-load acts on the pair it names. */
let pendingOpen: Promise<boolean> = Promise.resolve(true)

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
    error: null as { code: string; message: string } | null,
    /** The open attempt failed on a challenge-convention mask: the UI offers the conversion. */
    challengeOffer: false,
    saveState: 'clean' as SaveState,
    saveError: '',
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
  },
  actions: {
    openAt(position: number, opts: { challenge?: 'convert' } = {}): Promise<boolean> {
      const run = pendingOpen.then(() => this.load(position, opts))
      pendingOpen = run.catch(() => false)
      return run
    },

    async load(position: number, opts: { challenge?: 'convert' }): Promise<boolean> {
      const queue = useQueueStore()
      if (position < 0 || position >= queue.total) return false
      if (!(await this.saveIfDirty())) return false
      const request = ++this.request
      const id = await queue.idAt(position)
      if (request !== this.request) return false
      // The request goes out before the new position re-renders the page (a few ms of Vue's work).
      const ahead = !id || opts.challenge ? null : takeReadAhead(id)
      const opening =
        id && !ahead
          ? api.call('pair:open', opts.challenge ? { id, challenge: opts.challenge } : { id })
          : null
      this.position = position
      this.loading = true
      if (!id) return this.fail({ code: 'not-found', message: `no pair at position ${position + 1}` })
      let ready = ahead ? await ahead : null
      if (request !== this.request) {
        if (ready) releaseReady(ready)
        return false
      }
      if (!ready) {
        // A read-ahead that came to nothing: opened now, as usual.
        const r = await (opening ?? api.call('pair:open', { id }))
        if (request !== this.request) return false
        if (!r.ok) {
          this.challengeOffer = r.error.code === 'challenge-convention'
          return this.fail(r.error)
        }
        const blob = imageBlob(r.value.image.bytes, r.value.image.mime)
        let decoded: ImageBitmap
        try {
          decoded = await decodeImage(blob)
        } catch (err) {
          return this.fail({ code: 'image-corrupt', message: `${r.value.image.name}: ${String(err)}` })
        }
        if (request !== this.request) {
          decoded.close()
          return false
        }
        ready = { pair: r.value, image: decoded, blob, view: null }
      }
      const { pair, image, blob } = ready
      const editor = useEditorStore()
      const map = { width: pair.mask.width, height: pair.mask.height, data: pair.mask.data }
      const session = new EditorSession(
        id,
        map,
        historyFor(id),
        () => ({
          tool: editor.tool,
          label: editor.label,
          brushSize: editor.brushSize,
          onlyUncertain: editor.onlyUncertain,
        }),
        {
          labelsChanged: (rect) => labelsChanged.listener(rect),
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
        },
        { initiallyDirty: pair.converted, uncertain: pair.counts.uncertain },
      )
      closeLater(loadedPair.value?.image)
      loadedPair.value = markRaw({ id, image, blob, session, view: ready.view ?? undefined })
      this.id = id
      this.state = pair.state
      this.origin = pair.mask.origin
      this.error = null
      this.challengeOffer = false
      this.saveState = pair.converted ? 'dirty' : 'clean'
      this.saveError = ''
      this.loading = false
      // Once the pair is on screen: remember it, and get the neighbours ready.
      requestAnimationFrame(() =>
        setTimeout(() => {
          void api.call('ui:set', { key: 'lastPair', value: id })
          if (this.position === position) void this.prefetchAround(position)
        }),
      )
      return true
    },

    fail(error: { code: string; message: string }): false {
      this.loading = false
      this.error = error
      this.state = null
      closeLater(loadedPair.value?.image)
      loadedPair.value = null
      return false
    },

    /** The main process reads the neighbours into its cache; the next one is also read ahead here. */
    async prefetchAround(position: number) {
      const queue = useQueueStore()
      const [next, prev] = await Promise.all([queue.idAt(position + 1), queue.idAt(position - 1)])
      const ids = [next, prev].filter((x): x is string => x !== null)
      if (ids.length) await api.call('pair:prefetch', { ids }, { background: true })
      if (next && this.position === position && next !== this.id) startReadAhead(next)
    },

    next() {
      return this.canNext ? this.openAt(this.position + 1) : Promise.resolve(false)
    },
    prev() {
      return this.canPrev ? this.openAt(this.position - 1) : Promise.resolve(false)
    },

    async goTo(id: string): Promise<boolean> {
      const r = await api.call('queue:find', { id })
      if (!r.ok) {
        this.error = r.error
        return false
      }
      return this.openAt(r.value.position)
    },

    /** Saves the open mask when it changed; true when there is nothing left unsaved. */
    async saveIfDirty(): Promise<boolean> {
      const pair = loadedPair.value
      // Moving on with an assisted proposal on screen keeps it, as one undo step.
      if (pair?.session.inPreview) {
        pair.session.acceptPreview()
        const editor = useEditorStore()
        editor.assist = 'idle'
        editor.assistText = ''
      }
      if (!pair || !pair.session.isDirty) return true
      return this.writeMask()
    },

    /** Ctrl+S / the save button: after any navigation in flight. */
    async save(): Promise<boolean> {
      await pendingOpen
      return this.writeMask()
    },

    async writeMask(): Promise<boolean> {
      const pair = loadedPair.value
      if (!pair) return false
      if (useWorkspaceStore().info?.readOnly) {
        this.saveState = 'error'
        this.saveError = 'the workspace is open read-only'
        return false
      }
      const { map } = pair.session
      this.saveState = 'saving'
      const r = await api.call('pair:saveMask', {
        id: pair.id,
        width: map.width,
        height: map.height,
        data: map.data,
      })
      if (!r.ok) {
        this.saveState = 'error'
        this.saveError = `[${r.error.code}] ${r.error.message}`
        return false
      }
      if (loadedPair.value === pair) {
        pair.session.markSaved()
        this.state = r.value.state
        this.origin = 'corrected'
      }
      this.saveState = 'saved'
      dropReadAhead(pair.id)
      invalidateThumbnail(pair.id)
      this.afterDecision(pair.id, r.value.state, r.value.progress)
      return true
    },

    /**
     * Records a decision: a changed mask is saved first (so `accept` of an edited mask leaves it
     * `corrected`, the more telling status), then the status is set; accept and reject move on.
     */
    async decide(
      status: Extract<PairStatus, 'accepted' | 'rejected' | 'flagged' | 'skipped'>,
    ): Promise<boolean> {
      await pendingOpen
      const pair = loadedPair.value
      if (!pair || !this.state) return false
      const edited = pair.session.isDirty || this.state.corrected
      if (!(await this.saveIfDirty())) return false
      const target: PairStatus = status === 'accepted' && edited ? 'corrected' : status
      if (this.state.status !== target) {
        const r = await api.call('pair:setStatus', { id: pair.id, status: target })
        if (!r.ok) {
          this.saveState = 'error'
          this.saveError = `[${r.error.code}] ${r.error.message}`
          return false
        }
        if (loadedPair.value === pair) this.state = r.value.state
        this.afterDecision(pair.id, r.value.state, r.value.progress)
      }
      if ((status === 'accepted' || status === 'rejected') && this.canNext) await this.next()
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
      dropReadAhead(id)
      const workspace = useWorkspaceStore()
      workspace.progress = progress
      const queue = useQueueStore()
      if (this.id === id)
        queue.patchItem(this.position, {
          status: state.status,
          corrected: state.corrected,
          uncertainFraction: state.uncertainFraction,
          // A saved correction is a valid mask: the source's problem no longer applies.
          ...(state.corrected ? { problem: null } : {}),
        })
    },
  },
})
