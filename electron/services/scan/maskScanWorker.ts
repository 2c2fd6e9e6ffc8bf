/**
 * A scan worker thread: receives batches of ScanItems (locations, or mask bytes transferred), reads
 * and analyses each with scanItem, posts the results back per batch. Started by maskScan.ts.
 *
 * It also analyses one decoded label map on request (`analyze`: the map's bytes transferred), for a
 * save's statistics computed beside the encoding (mask/statsOffThread.ts).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { toApiError, type ApiError } from '../../../shared/api/errors'
import { analyzeMask, type MaskAnalysis } from '../../../shared/labels/analysis'
import type { ZipReader } from '../zip/zipReader'
import { scanItem, type ScanItem, type ScanSettings } from './scanTask'

export type WorkerRequest =
  | { type: 'batch'; batch: number; items: ScanItem[] }
  | { type: 'analyze'; id: number; width: number; height: number; data: Uint8Array; file?: string }
  | { type: 'close' }
export type WorkerReply =
  | { type: 'results'; batch: number; results: Awaited<ReturnType<typeof scanItem>>[] }
  | { type: 'analysis'; id: number; analysis?: MaskAnalysis; error?: ApiError }

const port = parentPort
if (!port) throw new Error('maskScanWorker must run in a worker thread')
const settings: ScanSettings = { ...(workerData as ScanSettings | undefined), syncHeads: true }
const zips = new Map<string, Promise<ZipReader>>()

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'close') {
    void Promise.allSettled([...zips.values()].map((z) => z.then((r) => r.close()))).then(() => port.close())
    return
  }
  if (msg.type === 'analyze') {
    let reply: WorkerReply
    try {
      reply = { type: 'analysis', id: msg.id, analysis: analyzeMask(msg, msg.file) }
    } catch (err) {
      reply = { type: 'analysis', id: msg.id, error: toApiError(err) }
    }
    port.postMessage(reply)
    return
  }
  // All reads of a batch start at once (I/O overlaps the decoding of earlier items).
  void Promise.all(msg.items.map((item) => scanItem(item, zips, settings))).then((results) => {
    const reply: WorkerReply = { type: 'results', batch: msg.batch, results }
    port.postMessage(reply)
  })
})
