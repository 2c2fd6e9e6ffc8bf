/**
 * A scan worker thread: receives batches of ScanItems (locations, or mask bytes transferred), reads
 * and analyses each with scanItem, posts the results back per batch. Started by maskScan.ts.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { ZipReader } from '../zip/zipReader'
import { scanItem, type ScanItem, type ScanSettings } from './scanTask'

export type WorkerRequest = { type: 'batch'; batch: number; items: ScanItem[] } | { type: 'close' }
export type WorkerReply = { type: 'results'; batch: number; results: Awaited<ReturnType<typeof scanItem>>[] }

const port = parentPort
if (!port) throw new Error('maskScanWorker must run in a worker thread')
const settings: ScanSettings = { ...(workerData as ScanSettings | undefined), syncHeads: true }
const zips = new Map<string, Promise<ZipReader>>()

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'close') {
    void Promise.allSettled([...zips.values()].map((z) => z.then((r) => r.close()))).then(() => port.close())
    return
  }
  // All reads of a batch start at once (I/O overlaps the decoding of earlier items).
  void Promise.all(msg.items.map((item) => scanItem(item, zips, settings))).then((results) => {
    const reply: WorkerReply = { type: 'results', batch: msg.batch, results }
    port.postMessage(reply)
  })
})
