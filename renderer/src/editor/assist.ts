import type { Patch } from '../../../shared/labels/patch'
import type { AssistRequest, AssistResponse } from './assist.worker'
import type { PreviewMarks } from './overlay'

/** The proposal for the uncertain pixels of one pair, computed in a Web Worker. */
export interface AssistResult {
  patch: Patch
  toLesion: number
  toBackground: number
  /** Resolved pixels of low confidence, and where they are (flags over the patch's rect). */
  unsure: number
  marks: Omit<PreviewMarks, 'map'>
  ms: number
}

/** Flags over `rect` (row-major) from the run-length patch's per-pixel unsure flags. */
export function unsureFlags(
  width: number,
  rect: { x: number; y: number; width: number; height: number },
  runs: Uint32Array,
  unsure: Uint8Array,
): Uint8Array {
  const flags = new Uint8Array(rect.width * rect.height)
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
