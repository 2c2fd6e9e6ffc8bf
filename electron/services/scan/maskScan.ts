/// <reference types="electron-vite/node" />
/**
 * Scanning every mask of a dataset on all cores: a pool of worker threads, each reading its masks
 * itself from the source (zip entry locations or file paths are sent, not bytes), decoding them
 * exactly and analysing them (analyze.ts), and reading the paired image's header for the size check.
 *
 * The worker file is bundled by electron-vite from the `?modulePath` import below (its own chunk
 * under out/main/chunks/); under Vitest the same import is resolved by a plugin in vitest.config.ts,
 * which builds the worker the same way.
 */
import os from 'node:os'
import { Worker } from 'node:worker_threads'
import { CodedError } from '../../../shared/api/errors'
import type { Dataset } from '../dataset'
import { asarUnpackedPath } from '../fs/asarPath'
import { readLocated } from '../sources/fileSource'
import type { ZipReader } from '../zip/zipReader'
import workerPath from './maskScanWorker?modulePath'
import type { WorkerReply, WorkerRequest } from './maskScanWorker'
import { scanItem, type MaskScanResult, type ScanItem, type ScanSettings } from './scanTask'

export type { MaskAnalysis } from '../../../shared/labels/analysis'
export type { MaskScanResult, ScanItem, ScanTriage } from './scanTask'

export interface ScanOptions {
  /** Called once per mask, in completion order (batches of indexes, ascending within a batch). */
  onResult?: (result: MaskScanResult) => void
  /** Called after each batch: masks done so far, and the total to do. */
  onProgress?: (done: number, total: number) => void
  /**
   * Aborting stops the workers at once; the promise then rejects with the signal's reason and no
   * onResult follows. Results delivered before are final (resume with `indices` of the rest).
   */
  signal?: AbortSignal
  /** Pair indexes to scan (default: all). */
  indices?: number[]
  /** Worker threads (default: available cores, fewer for small scans); 0 scans on this thread. */
  workers?: number
  /** Check each mask against its image's header (read from the image source): default true. */
  checkImages?: boolean
  /** Whether an unreadable image header is a result's problem (ScanSettings.imageErrors). */
  imageErrors?: 'report' | 'ignore'
  /** Pixel limit of image headers (default 100 Mpx, as Dataset). */
  maxImagePixels?: number
  /** Also the mask-only triage score of each mask, in the same pass (MaskScanResult.triage). */
  triage?: boolean
  /**
   * How masks reach the workers: 'read' (default; each worker reads its entries itself) or
   * 'transfer' (this thread reads, the bytes are transferred). Both measured the same CPU per mask
   * within noise (bench `scale_scan_transfer_cpu_us`); 'read' leaves this thread (the Electron main
   * process) free.
   */
  transport?: 'read' | 'transfer'
}

/** Masks per message to a worker, and batches kept in flight per worker. */
const BATCH = 16
const IN_FLIGHT = 2

/** Scans pairs of a dataset (see ScanOptions). Resolves when every requested mask has a result. */
export async function scanMasks(dataset: Dataset, opts: ScanOptions = {}): Promise<void> {
  const indices = opts.indices ?? Array.from({ length: dataset.size }, (_, i) => i)
  const checkImages = opts.checkImages ?? true
  const items = (function* (): Generator<ScanItem> {
    for (const i of indices) {
      const loc = dataset.locate(i)
      yield checkImages
        ? {
            index: i,
            id: loc.id,
            mask: loc.mask,
            maskFile: loc.maskFile,
            image: loc.image,
            imageFile: loc.imageFile,
          }
        : { index: i, id: loc.id, mask: loc.mask, maskFile: loc.maskFile }
    }
  })()
  return scanItems(items, indices.length, opts)
}

/**
 * The pool itself, over any items (e.g. masks alone for `validate`). `total` is the number of items
 * the iterable yields.
 */
export async function scanItems(
  items: Iterable<ScanItem>,
  total: number,
  opts: ScanOptions = {},
): Promise<void> {
  const signal = opts.signal
  signal?.throwIfAborted()
  const settings: ScanSettings = {
    maxImagePixels: opts.maxImagePixels,
    triage: opts.triage,
    imageErrors: opts.imageErrors,
  }
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
  const wanted = opts.workers ?? Math.min(cores, Math.ceil(total / (BATCH * IN_FLIGHT)))
  const workers = Math.max(0, Math.min(wanted, Math.ceil(total / BATCH)))
  if (workers === 0) return scanInline(items, total, settings, opts)
  return new Pool(items, total, workers, settings, opts).run()
}

async function scanInline(
  items: Iterable<ScanItem>,
  total: number,
  settings: ScanSettings,
  opts: ScanOptions,
): Promise<void> {
  const zips = new Map<string, Promise<ZipReader>>()
  let done = 0
  try {
    for (const item of items) {
      opts.signal?.throwIfAborted()
      const result = await scanItem(item, zips, settings)
      opts.signal?.throwIfAborted()
      opts.onResult?.(result)
      opts.onProgress?.(++done, total)
    }
  } finally {
    await Promise.allSettled([...zips.values()].map((z) => z.then((r) => r.close())))
  }
}

class Pool {
  private readonly iterator: Iterator<ScanItem>
  private readonly workers: Worker[] = []
  private readonly pending = new Map<Worker, number>()
  private readonly mainZips = new Map<string, Promise<ZipReader>>()
  private exhausted = false
  private done = 0
  private batchSeq = 0
  private settled = false
  private resolve!: () => void
  private reject!: (err: unknown) => void

  constructor(
    items: Iterable<ScanItem>,
    private readonly total: number,
    private readonly count: number,
    private readonly settings: ScanSettings,
    private readonly opts: ScanOptions,
  ) {
    this.iterator = items[Symbol.iterator]()
  }

  run(): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    const onAbort = () => this.fail(this.opts.signal?.reason)
    this.opts.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      for (let i = 0; i < this.count; i++) this.start()
      for (const w of this.workers) for (let k = 0; k < IN_FLIGHT; k++) void this.feed(w)
      this.checkDone()
    } catch (err) {
      this.fail(err)
    }
    return promise.finally(() => {
      this.opts.signal?.removeEventListener('abort', onAbort)
      void Promise.allSettled([...this.mainZips.values()].map((z) => z.then((r) => r.close())))
    })
  }

  private start(): void {
    // Packaged: the worker runs from app.asar.unpacked (see asarUnpackedPath).
    const worker = new Worker(asarUnpackedPath(workerPath), { workerData: this.settings })
    this.workers.push(worker)
    this.pending.set(worker, 0)
    worker.on('message', (msg: WorkerReply) => this.onReply(worker, msg))
    worker.on('error', (err) => this.fail(new CodedError('internal', `a scan worker failed: ${err.message}`)))
    worker.on('exit', (code) => {
      if (!this.settled && code !== 0)
        this.fail(new CodedError('internal', `a scan worker exited with code ${code}`))
    })
  }

  private nextBatch(): ScanItem[] {
    const batch: ScanItem[] = []
    while (!this.exhausted && batch.length < BATCH) {
      const r = this.iterator.next()
      if (r.done) this.exhausted = true
      else batch.push(r.value)
    }
    return batch
  }

  private async feed(worker: Worker): Promise<void> {
    if (this.settled) return
    const items = this.nextBatch()
    if (items.length === 0) return
    this.pending.set(worker, (this.pending.get(worker) ?? 0) + 1)
    const msg: WorkerRequest = { type: 'batch', batch: this.batchSeq++, items }
    if (this.opts.transport !== 'transfer') {
      worker.postMessage(msg)
      return
    }
    try {
      // Transfer mode: read here, hand each mask's bytes over (copied into an ArrayBuffer of its own,
      // since zlib results may be views into a shared pool).
      const transfer: ArrayBuffer[] = []
      await Promise.all(
        items.map(async (it) => {
          const bytes = await readLocated(it.mask, this.mainZips).catch(() => undefined)
          if (!bytes) return // the worker reads it again and reports the error
          const own = new Uint8Array(bytes.byteLength)
          own.set(bytes)
          it.maskBytes = own
          transfer.push(own.buffer)
        }),
      )
      if (!this.settled) worker.postMessage(msg, transfer)
    } catch (err) {
      this.fail(err)
    }
  }

  private onReply(worker: Worker, msg: WorkerReply): void {
    if (this.settled || msg.type !== 'results') return
    this.pending.set(worker, (this.pending.get(worker) ?? 1) - 1)
    try {
      for (const r of msg.results) this.opts.onResult?.(r)
      this.done += msg.results.length
      this.opts.onProgress?.(this.done, this.total)
    } catch (err) {
      this.fail(err)
      return
    }
    void this.feed(worker)
    this.checkDone()
  }

  private checkDone(): void {
    if (this.settled || !this.exhausted) return
    for (const n of this.pending.values()) if (n > 0) return
    this.settled = true
    // Each worker closes its zip readers and exits; the scan is over when all have.
    const exits = this.workers.map((w) => new Promise((resolve) => w.once('exit', resolve)))
    for (const w of this.workers) {
      const close: WorkerRequest = { type: 'close' }
      w.postMessage(close)
    }
    void Promise.all(exits).then(() => this.resolve())
  }

  private fail(err: unknown): void {
    if (this.settled) return
    this.settled = true
    for (const w of this.workers) void w.terminate()
    this.reject(err)
  }
}
