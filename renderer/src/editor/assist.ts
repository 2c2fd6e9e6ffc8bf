import { rethresholdRunPatch, type LevelledRunPatch } from '../../../shared/labels/assist/level'
import type { AssistRequest, AssistResponse } from './assist.worker'
import type { PreviewMarks } from './overlay'

/** The proposal for the uncertain pixels of one pair, computed in a Web Worker. */
export interface AssistResult {
  /** An editor Patch over exactly the uncertain pixels, with their unsure flags and decisions. */
  patch: LevelledRunPatch
  toLesion: number
  toBackground: number
  /** Resolved pixels of low confidence, and where they are (flags over the patch's rect). */
  unsure: number
  marks: Omit<PreviewMarks, 'map'>
  ms: number
}

/**
 * Flags over `rect` (row-major) from the run-length patch's per-pixel unsure flags; written into
 * `into` when given (the marks shown, updated in place as the level moves).
 */
export function unsureFlags(
  width: number,
  rect: { x: number; y: number; width: number; height: number },
  runs: Uint32Array,
  unsure: Uint8Array,
  into?: Uint8Array,
): Uint8Array {
  const flags = into ?? new Uint8Array(rect.width * rect.height)
  let k = 0
  for (let r = 0; r < runs.length; r += 2) {
    const start = runs[r]
    const y = Math.floor(start / width)
    const at = (y - rect.y) * rect.width + (start - y * width - rect.x)
    for (let j = 0; j < runs[r + 1]; j++) flags[at + j] = unsure[k++]
  }
  return flags
}

/** One long-lived worker: its code is compiled and warmed up once, not on every request. */
let worker: Worker | null = null
let queue: Promise<unknown> = Promise.resolve()

function getWorker(): Worker {
  worker ??= new Worker(new URL('./assist.worker.ts', import.meta.url), { type: 'module' })
  return worker
}

/**
 * Runs the assisted resolution on a copy of the image and the label map in a dedicated worker
 * (requests one at a time; the UI thread never blocks).
 */
export function proposeInWorker(
  image: ImageBitmap,
  labels: Uint8Array,
  width: number,
  height: number,
): Promise<AssistResult> {
  const run = queue.then(() => runOnce(image, labels, width, height))
  queue = run.catch(() => undefined)
  return run
}

async function runOnce(
  image: ImageBitmap,
  labels: Uint8Array,
  width: number,
  height: number,
): Promise<AssistResult> {
  const copy = await createImageBitmap(image)
  const w = getWorker()
  try {
    const reply = await new Promise<AssistResponse>((resolve, reject) => {
      w.onmessage = (e: MessageEvent<AssistResponse>) => resolve(e.data)
      w.onerror = (e) => reject(new Error(e.message || 'the assist worker failed'))
      const request: AssistRequest = { image: copy, width, height, labels: labels.slice() }
      w.postMessage(request, [copy, request.labels.buffer])
    })
    if (!reply.ok) throw new Error(reply.message)
    const { patch } = reply
    return {
      patch,
      toLesion: reply.toLesion,
      toBackground: reply.toBackground,
      unsure: reply.unsure,
      marks: { rect: patch.rect, flags: unsureFlags(width, patch.rect, patch.runs, patch.unsure) },
      ms: reply.ms,
    }
  } catch (err) {
    // A worker that failed hard is not reused.
    w.terminate()
    worker = null
    throw err
  }
}

/** The level control's range: −LEVEL_RANGE leans out to the skin, +LEVEL_RANGE into the lesion. */
export const LEVEL_RANGE = 100

/**
 * The proposal at level `level` (−100 all skin … 0 the method's own answer … 100 all lesion) on the
 * main thread, from its kept decisions (the band pixels only, no recomputation): a new patch over
 * the same pixels for EditorSession.replacePreview, and the shown marks' flags updated in place.
 */
export function proposalAtLevel(
  result: AssistResult,
  level: number,
): { patch: LevelledRunPatch; toLesion: number; toBackground: number; unsure: number } {
  const clamped = Math.max(-LEVEL_RANGE, Math.min(LEVEL_RANGE, level))
  const patch = rethresholdRunPatch(result.patch, -clamped / LEVEL_RANGE)
  const { width, rect, runs } = result.patch
  unsureFlags(width, rect, runs, patch.unsure, result.marks.flags)
  return {
    patch,
    toLesion: patch.toLesion,
    toBackground: patch.after.length - patch.toLesion,
    unsure: patch.unsureCount,
  }
}
