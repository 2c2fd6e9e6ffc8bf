import type { OpenedPair } from '../../../shared/api/contract'
import type { Result } from '../../../shared/api/result'
import type { LabelMap } from '../../../shared/labels/codes'
import { closeLater, decodeImage, imageBlob } from './decodeImage'
import { heldPair, type HeldPair } from './openedPair'
import type { PreparedView } from './editorView'
import type { EditorViewPort } from './viewPort'

/** A pair opened, decoded and prepared for the view: all that showing it takes. */
export interface ReadyPair {
  /** The answer without its image bytes (they are in `blob`) nor the response buffer (heldPair). */
  pair: HeldPair
  image: ImageBitmap
  /** The image's bytes as stored (the view decodes a reduced copy from them). */
  blob: Blob
  /** What the view made ahead for it; null when it was not made (the view makes it when showing). */
  view: PreparedView | null
}

/** What the read-ahead needs from outside: the API, the view on screen, and how images decode. */
export interface ReadAheadDeps {
  /** Opens a pair as a background request (fetch priority 'low': the curator's own requests go first). */
  open(id: string): Promise<Result<OpenedPair>>
  /** The view that prepares pairs for showing, when one is on screen. */
  view(): EditorViewPort | null
  /** Decodes the image bytes (default: decodeImage, off the main thread). */
  decode?(blob: Blob): Promise<ImageBitmap>
  /** Frees a decoded image no one will show (default: closeLater, in an idle period). */
  close?(image: ImageBitmap): void
}

interface Entry {
  id: string
  /** Settles with the pair ready to show, or null when it could not be made (it is then opened as usual). */
  ready: Promise<ReadyPair | null>
  dropped: boolean
}

/**
 * Read-ahead: once a pair is on screen, the next one in the queue is opened, its image decoded and
 * (for a large image) its reduced photo decoded in the background, so that moving on (→, accept,
 * reject) only swaps what is shown. One pair is kept, taken once by id. It is dropped when this
 * window writes to that pair (its state would be stale), when another workspace opens, or when the
 * curator goes elsewhere; the workspace is locked to this app, so nothing else writes to it
 * meanwhile. A dropped pair is never served, even when it settles after being dropped.
 */
export class ReadAhead {
  private entry: Entry | null = null
  /** The view that prepared each preparation, which gives it back. */
  private readonly preparedBy = new WeakMap<PreparedView, EditorViewPort>()

  constructor(private readonly deps: ReadAheadDeps) {}

  /** The id of the pair being read ahead, if any. */
  get id(): string | null {
    return this.entry?.id ?? null
  }

  /** Reads pair `id` ahead, dropping any other pair read ahead; nothing new when it is `id` already. */
  start(id: string): void {
    if (this.entry?.id === id) return
    this.drop()
    const entry: Entry = { id, dropped: false, ready: Promise.resolve(null) }
    entry.ready = this.make(entry).catch(() => null)
    this.entry = entry
  }

  /** Takes the pair read ahead if it is `id` (waiting for it when still in flight); null otherwise. */
  take(id: string): Promise<ReadyPair | null> | null {
    const a = this.entry
    if (!a || a.id !== id) return null
    this.entry = null
    return a.ready
  }

  /** Drops the pair read ahead (only if it is `id`, when given), releasing what it holds once settled. */
  drop(id?: string): void {
    const a = this.entry
    if (!a || (id !== undefined && a.id !== id)) return
    this.entry = null
    a.dropped = true
    void a.ready.then((r) => r && this.release(r))
  }

  /** Gives back a taken pair that is not going to be shown. */
  release(ready: ReadyPair): void {
    const close = this.deps.close ?? closeLater
    close(ready.image)
    if (ready.view) this.releaseView(ready.view)
  }

  private async make(entry: Entry): Promise<ReadyPair | null> {
    const r = await this.deps.open(entry.id)
    if (!r.ok || entry.dropped) return null
    const blob = imageBlob(r.value.image.bytes, r.value.image.mime)
    const pair = heldPair(r.value)
    // The image and the view's reduced copy of it decode at the same time, off the main thread.
    const [image, view] = await Promise.all([
      (this.deps.decode ?? decodeImage)(blob).catch(() => null),
      this.prepareView(pair.mask, blob),
    ])
    if (!image) {
      // Opened as usual instead, which reports the undecodable image.
      if (view) this.releaseView(view)
      return null
    }
    const ready: ReadyPair = { pair, image, blob, view }
    if (entry.dropped) {
      this.release(ready)
      return null
    }
    return ready
  }

  /**
   * The view's preparation of a pair (its reduced photo, decoded off the main thread), null without
   * a view or when it fails; given back with the pair by release(). Also used for a pair opened
   * directly: a large photo shown at the fit without its reduced copy is rasterized from the full
   * bitmap on the main thread (measured: long tasks of 170–300 ms at 4288×2848).
   */
  async prepareView(map: LabelMap, blob: Blob): Promise<PreparedView | null> {
    const port = this.deps.view()
    if (!port) return null
    const view = await port.prepare(map, blob).catch(() => null)
    if (view) this.preparedBy.set(view, port)
    return view
  }

  /** Gives back what prepareView() made. */
  releaseView(view: PreparedView): void {
    this.preparedBy.get(view)?.release(view)
    this.preparedBy.delete(view)
  }
}
