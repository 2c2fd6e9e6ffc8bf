/**
 * A save's check that the PNG it encoded decodes to exactly the labels saved (`maskPngEquals`), on
 * a worker thread kept for the process.
 *
 * Why a worker: the check inflates the whole image (12 Mpx for an ISIC mask) and Node's zlib always
 * allocates its output afresh. In the main process's heap, an allocation that size sets off V8's
 * external-memory marking: measured in the save benchmark, allocating one 12 MB buffer per save
 * (even untouched) cost 12–14 ms of CPU, against ~1.5 ms when the buffer was reused. In the worker's
 * small heap the same allocation costs little, and the check runs while the temporary file is
 * flushed and the pending row commits instead of before. The labels go to the worker as a copy in
 * shared memory (reused from check to check), so the check compares against the map as it was when
 * the check started.
 *
 * Whenever the worker is unavailable (it failed to start or died, e.g. a bundle without its file)
 * the check runs on the calling thread instead, with the same result and errors.
 */
import { Worker } from 'node:worker_threads'
import { CodedError } from '../../../shared/api/errors'
import type { LabelMap } from '../../../shared/labels/codes'
import { asarUnpackedPath } from '../fs/asarPath'
import { maskPngEquals } from './maskPng'
import workerPath from './pngCheckWorker?modulePath'
import type { CheckReply, CheckRequest } from './pngCheckWorker'

interface Pending {
  resolve(same: boolean): void
  reject(err: unknown): void
  /** Runs the check on this thread (the worker died before answering). */
  here(): void
}

/**
 * Shared memory for the labels of one check, kept for the next one (a check of an ISIC mask copies
 * 12 MB into it; a fresh buffer each time would cost what the worker is there to avoid). Taken
 * while a check uses it: a check started meanwhile gets a buffer of its own.
 */
let spareShared: SharedArrayBuffer | undefined
/** Shared buffers larger than this are not kept. */
const SPARE_SHARED_MAX = 64 * 1024 * 1024

function takeShared(size: number): SharedArrayBuffer {
  const spare = spareShared
  if (spare !== undefined && spare.byteLength >= size) {
    spareShared = undefined
    return spare
  }
  return new SharedArrayBuffer(Math.max(size, 1))
}

function releaseShared(buffer: SharedArrayBuffer): void {
  if (buffer.byteLength <= SPARE_SHARED_MAX && (spareShared?.byteLength ?? 0) <= buffer.byteLength) {
    spareShared = buffer
  }
}

let worker: Worker | undefined
/** Set once the worker could not be started: every later check runs on the calling thread. */
let unavailable = false
let nextId = 1
const pending = new Map<number, Pending>()

function startWorker(): Worker | undefined {
  if (worker !== undefined) return worker
  if (unavailable || !workerPath) return undefined
  let w: Worker
  try {
    // Packaged: the worker runs from app.asar.unpacked (see asarUnpackedPath).
    w = new Worker(asarUnpackedPath(workerPath))
  } catch {
    unavailable = true
    return undefined
  }
  w.on('message', (reply: CheckReply) => {
    const p = pending.get(reply.id)
    if (p === undefined) return
    pending.delete(reply.id)
    if (pending.size === 0) w.unref()
    if ('same' in reply) p.resolve(reply.same)
    else if (reply.error.code !== undefined) {
      p.reject(new CodedError(reply.error.code, reply.error.message, reply.error.file))
    } else p.reject(new Error(reply.error.message))
  })
  // A worker that fails (its file missing, out of memory) answers nothing more: its checks are
  // done here, and later ones too if it never started.
  let started = false
  w.on('error', () => {
    if (worker === w && !started) unavailable = true
  })
  w.once('online', () => {
    started = true
  })
  w.on('exit', () => {
    if (worker === w) worker = undefined
    const left = [...pending.values()]
    pending.clear()
    for (const p of left) p.here()
  })
  w.unref()
  worker = w
  return w
}

/**
 * True when `png` decodes (as decodeMaskPng would) to exactly the samples of `map`; decoding errors
 * reject as maskPngEquals throws them. `map` must not change until the promise settles.
 */
export function maskPngEqualsOffThread(png: Uint8Array, map: LabelMap, file?: string): Promise<boolean> {
  const here = (): boolean => maskPngEquals(png, map, file)
  const w = startWorker()
  if (w === undefined) return new Promise((resolve) => resolve(here()))
  const id = nextId++
  // The labels go over in shared memory (one copy; a structured clone of 12 MB measured ~8 ms).
  const shared = takeShared(map.data.length)
  const labels = new Uint8Array(shared, 0, map.data.length)
  labels.set(map.data)
  const request: CheckRequest = { id, png, width: map.width, height: map.height, data: labels, file }
  const settled =
    <T>(settle: (value: T) => void) =>
    (value: T) => {
      releaseShared(shared)
      settle(value)
    }
  return new Promise<boolean>((resolveCheck, rejectCheck) => {
    const resolve = settled(resolveCheck)
    const reject = settled(rejectCheck)
    const onThisThread = (): void => {
      try {
        resolve(here())
      } catch (err) {
        reject(err)
      }
    }
    pending.set(id, { resolve, reject, here: onThisThread })
    w.ref()
    try {
      w.postMessage(request)
    } catch {
      pending.delete(id)
      if (pending.size === 0) w.unref()
      onThisThread()
    }
  })
}

/** True while the check worker is running (tests: the checks really leave this thread). */
export function pngCheckWorkerRunning(): boolean {
  return worker !== undefined
}

/** Stops the check worker (tests, shutdown); a later check starts a new one. */
export async function stopPngCheckWorker(): Promise<void> {
  const w = worker
  worker = undefined
  if (w !== undefined) await w.terminate()
}
