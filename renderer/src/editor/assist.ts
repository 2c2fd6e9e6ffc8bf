import type { Patch } from '../../../shared/labels/patch'
import type { AssistRequest, AssistResponse } from './assist.worker'

/** The proposal for the uncertain pixels of one pair, computed in a Web Worker. */
export interface AssistResult {
  patch: Patch
  toLesion: number
  toBackground: number
  ms: number
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
    return { patch: reply.patch, toLesion: reply.toLesion, toBackground: reply.toBackground, ms: reply.ms }
  } catch (err) {
    // A worker that failed hard is not reused.
    w.terminate()
    worker = null
    throw err
  }
}
