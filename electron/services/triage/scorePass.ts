/// <reference types="electron-vite/node" />
/**
 * The triage pass (issue #13): scores pairs on worker threads, a low-priority background job run
 * after the statistics scan. Each worker reads its pairs itself (locations are sent, not bytes),
 * decodes the mask exactly and the image small, and scores them (triageTask.ts).
 *
 * The worker file is bundled by electron-vite from the `?modulePath` import below, like the mask
 * scan's (build/electron-builder.yml unpacks it from the asar; Vitest and the bench build it with
 * their own plugins).
 */
import { Worker } from 'node:worker_threads'
import { CodedError } from '../../../shared/api/errors'
import { asarUnpackedPath } from '../fs/asarPath'
import type { ZipReader } from '../zip/zipReader'
import workerPath from './triageWorker?modulePath'
import type { TriageWorkerReply, TriageWorkerRequest } from './triageWorker'
import { scoreItem, type TriageItem, type TriageItemResult } from './triageTask'

export type { TriageItem, TriageItemResult } from './triageTask'

export interface ScorePassOptions {
  onResult?: (result: TriageItemResult) => void
  onProgress?: (done: number, total: number) => void
  /**
   * Aborting stops the workers cooperatively (each finishes its current item and exits; see
   * stopWorkers); the promise resolves once they are gone, no onResult follows.
   */
  signal?: AbortSignal
  /** Worker threads (default 1: a background job on a machine the curator is using); 0 = inline. */
  workers?: number
  /** How long a stopping worker may take before it is terminated (default STOP_TIMEOUT_MS). */
  stopTimeoutMs?: number
}

/** A worker asked to stop finishes its current item (~50 ms); past this it is terminated. */
export const STOP_TIMEOUT_MS = 5_000

/** Items per message to a worker (small: an abort or a close loses at most this much work). */
const BATCH = 8

/** Scores `items`; resolves when all are done or the signal aborted. */
export async function runScorePass(items: readonly TriageItem[], opts: ScorePassOptions = {}): Promise<void> {
  if (items.length === 0 || opts.signal?.aborted) return
  const workers = Math.max(0, Math.min(opts.workers ?? 1, Math.ceil(items.length / BATCH)))
  if (workers === 0) return passInline(items, opts)
  return passOnWorkers(items, workers, opts)
}

async function passInline(items: readonly TriageItem[], opts: ScorePassOptions): Promise<void> {
  const zips = new Map<string, Promise<ZipReader>>()
  let done = 0
  try {
    for (const item of items) {
      if (opts.signal?.aborted) return
      const r = await scoreItem(item, zips)
      if (opts.signal?.aborted) return
      opts.onResult?.(r)
      opts.onProgress?.(++done, items.length)
    }
  } finally {
    await Promise.allSettled([...zips.values()].map((z) => z.then((r) => r.close())))
  }
}

function passOnWorkers(items: readonly TriageItem[], count: number, opts: ScorePassOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const pool: Worker[] = []
    let next = 0
    let done = 0
    let busy = 0
    let settled = false
    const finish = (err?: unknown) => {
      if (settled) return
      settled = true
      opts.signal?.removeEventListener('abort', onAbort)
      const stopped = stopWorkers(pool, opts.stopTimeoutMs ?? STOP_TIMEOUT_MS)
      if (err !== undefined) {
        void stopped.finally(() => reject(err))
        return
      }
      void stopped.then(() => resolve())
    }
    const onAbort = () => finish()
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    const feed = (w: Worker) => {
      if (settled) return
      if (next >= items.length) {
        if (busy === 0) finish()
        return
      }
      const batch = items.slice(next, next + BATCH)
      next += batch.length
      busy++
      w.postMessage({ type: 'batch', items: batch } satisfies TriageWorkerRequest)
    }
    for (let i = 0; i < count; i++) {
      // Packaged: the worker runs from app.asar.unpacked (see asarUnpackedPath).
      const w = new Worker(asarUnpackedPath(workerPath))
      pool.push(w)
      w.on('message', (msg: TriageWorkerReply) => {
        if (settled || msg.type !== 'results') return
        busy--
        try {
          for (const r of msg.results) opts.onResult?.(r)
          done += msg.results.length
          opts.onProgress?.(done, items.length)
        } catch (err) {
          finish(err)
          return
        }
        feed(w)
      })
      w.on('error', (err) => finish(new CodedError('internal', `a triage worker failed: ${err.message}`)))
      w.on('exit', (code) => {
        if (!settled && code !== 0)
          finish(new CodedError('internal', `a triage worker exited with code ${code}`))
      })
    }
    for (const w of pool) feed(w)
  })
}

/**
 * Stops workers cooperatively: each is sent `close`, finishes the item it is scoring and exits by
 * itself. `terminate()` is only a fallback for a worker still running after `timeoutMs`: in
 * lovell/sharp#2263, terminating a worker while sharp was converting in it crashed the whole
 * process. Never rejects.
 */
export async function stopWorkers(pool: readonly Worker[], timeoutMs: number): Promise<void> {
  await Promise.all(
    pool.map(async (w) => {
      if (w.threadId === -1) return // already exited
      let timer: ReturnType<typeof setTimeout> | undefined
      const exited = new Promise<void>((r) => w.once('exit', () => r()))
      try {
        w.postMessage({ type: 'close' } satisfies TriageWorkerRequest)
      } catch {
        // The port is already closed: the worker is exiting.
      }
      const late = new Promise<'late'>((r) => {
        timer = setTimeout(() => r('late'), timeoutMs)
      })
      const outcome = await Promise.race([exited, late])
      clearTimeout(timer)
      if (outcome === 'late') await w.terminate().catch(() => undefined)
    }),
  )
}

/**
 * The worker that rescores pairs after saves, kept between saves: spawning one per save cost about
 * 0.4 s of CPU each time (the thread, loading sharp, the zip readers). Items are scored one at a
 * time, in order; the worker exits after `idleMs` without work (it never keeps a CLI run alive: it is
 * unref'd) and at `close`. A worker that fails rejects the item in hand; the next item starts a new one.
 */
export class RescoreWorker {
  #worker: Worker | undefined
  #tail: Promise<unknown> = Promise.resolve()
  #idle: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly idleMs = 30_000,
    private readonly stopTimeoutMs = STOP_TIMEOUT_MS,
  ) {}

  /** True while a worker thread is alive (tests). */
  get alive(): boolean {
    return this.#worker !== undefined
  }

  score(item: TriageItem): Promise<TriageItemResult> {
    const run = this.#tail.then(() => this.#scoreNow(item))
    this.#tail = run.catch(() => undefined)
    return run
  }

  /** Stops the worker once the items in hand are scored. The object stays usable. */
  close(): Promise<void> {
    clearTimeout(this.#idle)
    const run = this.#tail.then(() => this.#stop())
    this.#tail = run
    return run
  }

  async #scoreNow(item: TriageItem): Promise<TriageItemResult> {
    clearTimeout(this.#idle)
    const w = this.#worker ?? this.#spawn()
    try {
      return await new Promise<TriageItemResult>((resolve, reject) => {
        const cleanup = () => {
          w.off('message', onMessage)
          w.off('error', onError)
          w.off('exit', onExit)
        }
        const onMessage = (msg: TriageWorkerReply) => {
          if (msg.type !== 'results' || msg.results.length !== 1) return
          cleanup()
          resolve(msg.results[0])
        }
        const onError = (err: Error) => {
          cleanup()
          this.#worker = undefined
          reject(new CodedError('internal', `the triage rescoring worker failed: ${err.message}`))
        }
        const onExit = (code: number) => {
          cleanup()
          this.#worker = undefined
          reject(new CodedError('internal', `the triage rescoring worker exited with code ${code}`))
        }
        w.on('message', onMessage)
        w.on('error', onError)
        w.on('exit', onExit)
        w.postMessage({ type: 'batch', items: [item] } satisfies TriageWorkerRequest)
      })
    } finally {
      clearTimeout(this.#idle)
      this.#idle = setTimeout(() => void this.close(), this.idleMs)
      this.#idle.unref()
    }
  }

  #spawn(): Worker {
    // Packaged: the worker runs from app.asar.unpacked (see asarUnpackedPath).
    const w = new Worker(asarUnpackedPath(workerPath))
    w.unref()
    // Always listened to: an idle worker's 'error' with no listener would throw in this process.
    // A dead worker is forgotten, so the next item spawns a new one.
    const forget = () => {
      if (this.#worker === w) this.#worker = undefined
    }
    w.on('error', forget)
    w.on('exit', forget)
    this.#worker = w
    return w
  }

  async #stop(): Promise<void> {
    const w = this.#worker
    this.#worker = undefined
    if (w) await stopWorkers([w], this.stopTimeoutMs)
  }
}
