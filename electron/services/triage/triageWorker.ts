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

/** Set by `close`: the batch in hand stops after its current item (sharp is never cut mid-decode). */
let closing = false
/** The batch being scored (batches run one after another). */
let current: Promise<void> = Promise.resolve()

port.on('message', (msg: TriageWorkerRequest) => {
  if (msg.type === 'close') {
    // Cooperative stop: terminating a thread while sharp works in it can crash the whole process
    // (lovell/sharp#2263), so the worker finishes its current item and exits by itself.
    closing = true
    void current
      .then(() => Promise.allSettled([...zips.values()].map((z) => z.then((r) => r.close()))))
      .then(() => port.close())
    return
  }
  // One item at a time: the pass is a low-priority background job, it should not flood the pool.
  current = current.then(async () => {
    const results: TriageItemResult[] = []
    for (const item of msg.items) {
      if (closing) return
      results.push(await scoreItem(item, zips))
    }
    if (closing) return
    const reply: TriageWorkerReply = { type: 'results', results }
    port.postMessage(reply)
  })
})
