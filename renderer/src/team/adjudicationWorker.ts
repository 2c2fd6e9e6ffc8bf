/**
 * The adjudication view's client of adjudication.worker.ts: one long-lived worker, one request at a
 * time; the two reviews go as copies (the view keeps its own for the merge editor).
 */
import type { LabelMap } from '../../../shared/labels/codes'
import type { CaseRequest, CaseResponse } from './adjudication.worker'
import type { MergeStart } from './mergeEditor'

export type PreparedCase = Extract<CaseResponse, { ok: true }>

let worker: Worker | null = null
let queue: Promise<unknown> = Promise.resolve()

function getWorker(): Worker {
  worker ??= new Worker(new URL('./adjudication.worker.ts', import.meta.url), { type: 'module' })
  return worker
}

/** Compares the two reviews and renders the view's layers in the worker. */
export function prepareCase(first: LabelMap, second: LabelMap, start: MergeStart): Promise<PreparedCase> {
  const run = queue.then(() => runOnce(first, second, start))
  queue = run.catch(() => undefined)
  return run
}

async function runOnce(first: LabelMap, second: LabelMap, start: MergeStart): Promise<PreparedCase> {
  if (first.width !== second.width || first.height !== second.height)
    throw new RangeError('masks of different sizes')
  const w = getWorker()
  const reply = await new Promise<CaseResponse>((resolve, reject) => {
    w.onmessage = (e: MessageEvent<CaseResponse>) => resolve(e.data)
    w.onerror = (e) => reject(new Error(e.message || 'the adjudication worker failed'))
    const request: CaseRequest = {
      width: first.width,
      height: first.height,
      first: first.data.slice(),
      second: second.data.slice(),
      start,
    }
    w.postMessage(request, [request.first.buffer, request.second.buffer])
  })
  if (!reply.ok) throw new Error(reply.message)
  return reply
}
