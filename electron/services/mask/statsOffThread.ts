/// <reference types="electron-vite/node" />
/**
 * A save's statistics computed on a worker thread while the calling thread encodes and compares:
 * the same analysis as maskStats (shared/labels/analysis.ts, in the scan worker's file, so nothing
 * new is packed), the same results and errors. One worker per process, started on first use (or
 * by `warmStatsWorker`), held only while a request is pending; when no worker can run (a bundle
 * without the worker file, a worker that failed), the analysis runs here instead.
 */
import { Worker } from 'node:worker_threads'
import { CodedError } from '../../../shared/api/errors'
import type { LabelMap } from '../../../shared/labels/codes'
import type { MaskStats } from '../../../shared/workspace/review'
import { asarUnpackedPath } from '../fs/asarPath'
import workerPath from '../scan/maskScanWorker?modulePath'
import type { WorkerReply, WorkerRequest } from '../scan/maskScanWorker'
import { maskStats, statsFromAnalysis } from './maskStats'

interface Pending {
  map: LabelMap
  file: string | undefined
  resolve(stats: MaskStats): void
  reject(err: unknown): void
}

let worker: Worker | undefined
let unavailable = false
let nextId = 0
const pending = new Map<number, Pending>()

function start(): Worker | undefined {
  if (worker !== undefined || unavailable) return worker
  if (!workerPath) {
    unavailable = true
    return undefined
  }
  let w: Worker
  try {
    w = new Worker(asarUnpackedPath(workerPath))
  } catch {
    unavailable = true
    return undefined
  }
  w.on('message', (msg: WorkerReply) => {
    if (msg.type !== 'analysis') return
    const p = pending.get(msg.id)
    if (!p) return
    settle(msg.id)
    if (msg.error) p.reject(new CodedError(msg.error.code, msg.error.message, msg.error.file))
    else if (msg.analysis) p.resolve(statsFromAnalysis(msg.analysis))
  })
  const fail = () => {
    // The worker is gone: what it had not answered is analysed here, and later requests too.
    unavailable = true
    worker = undefined
    for (const [id, p] of [...pending]) {
      settle(id)
      try {
        p.resolve(maskStats(p.map, p.file))
      } catch (err) {
        p.reject(err)
      }
    }
  }
  w.on('error', fail)
  w.on('exit', fail)
  // After the listeners: adding a 'message' listener refs the worker again.
  w.unref()
  worker = w
  return w
}

function settle(id: number): void {
  pending.delete(id)
  if (pending.size === 0) worker?.unref()
}

/** Starts the worker ahead of the first save (its start-up would otherwise delay that save). */
export function warmStatsWorker(): void {
  start()
}

/**
 * maskStats(map, file) on the worker thread (a copy of the labels is transferred to it). `map` must
 * not change until the promise settles (it is analysed here if the worker fails).
 */
export function maskStatsOffThread(map: LabelMap, file?: string): Promise<MaskStats> {
  const w = start()
  if (w === undefined) return Promise.resolve().then(() => maskStats(map, file))
  const id = nextId++
  const data = map.data.slice()
  return new Promise<MaskStats>((resolve, reject) => {
    pending.set(id, { map, file, resolve, reject })
    if (pending.size === 1) w.ref()
    const request: WorkerRequest = { type: 'analyze', id, width: map.width, height: map.height, data, file }
    w.postMessage(request, [data.buffer])
  })
}
