/**
 * A triage worker thread: receives batches of TriageItems, scores each with scoreItem, posts the
 * results back per batch. Started by scorePass.ts.
 */
import { parentPort } from 'node:worker_threads'
import type { ZipReader } from '../zip/zipReader'
import { scoreItem, type TriageItem, type TriageItemResult } from './triageTask'

export type TriageWorkerRequest = { type: 'batch'; items: TriageItem[] } | { type: 'close' }
export type TriageWorkerReply = { type: 'results'; results: TriageItemResult[] }

const port = parentPort
if (!port) throw new Error('triageWorker must run in a worker thread')
const zips = new Map<string, Promise<ZipReader>>()

port.on('message', (msg: TriageWorkerRequest) => {
  if (msg.type === 'close') {
    void Promise.allSettled([...zips.values()].map((z) => z.then((r) => r.close()))).then(() => port.close())
    return
  }
  // One item at a time: the pass is a low-priority background job, it should not flood the pool.
  void (async () => {
    const results: TriageItemResult[] = []
    for (const item of msg.items) results.push(await scoreItem(item, zips))
    const reply: TriageWorkerReply = { type: 'results', results }
    port.postMessage(reply)
  })()
})
