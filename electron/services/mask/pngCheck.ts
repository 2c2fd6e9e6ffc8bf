/**
 * A save's PNG, encoded and then checked to decode to exactly the labels saved (`maskPngEquals`),
 * on a worker thread kept for the process, while the calling thread computes the statistics.
 *
 * Why a worker: the check inflates the whole image (12 Mpx for an ISIC mask) and Node's zlib always
 * allocates its output afresh. In the main process's heap, an allocation that size sets off V8's
 * external-memory marking: measured in the save benchmark, allocating one 12 MB buffer per save
 * (even untouched) cost 12–15 ms of CPU, against ~2 ms when a reused one was filled. In the worker's
 * small heap the same work costs less, and it overlaps the statistics, the write and the commit of
 * the pending row. The labels go to the worker as a copy in shared memory (reused from save to
 * save), taken when the encoding starts: the PNG and its check both come from that copy.
 *
 * Whenever the worker is unavailable (it failed to start or died, e.g. a bundle without its file)
 * the encoding and the check run here instead (the encode's deflate on the thread pool), with the
 * same results and errors.
 */
import { Worker } from 'node:worker_threads'
import { CodedError } from '../../../shared/api/errors'
import type { LabelMap } from '../../../shared/labels/codes'
import { asarUnpackedPath } from '../fs/asarPath'
import { SpareBuffer } from '../fs/bufferPool'
import { encodeMaskPngAsync, grey8Rows, isGrey8, maskPngEquals, type MaskPngFormat } from './maskPng'
import workerPath from './pngCheckWorker?modulePath'
import type { EncodeReply, EncodeRequest, WorkerError } from './pngCheckWorker'

export interface CheckedEncoding {
  /** The PNG: what `encodeMaskPng(map, format, { valuesChecked: true })` gives. */
  png: Promise<Buffer>
  /** True when that PNG decodes to exactly the labels (false: it must not be used). */
  same: Promise<boolean>
}

/** Tests only: the check compares the PNG with the labels with this one changed, so it must fail. */
export const pngCheckFaults: { flipAfterEncode?: number } = {}

interface Pending {
  png(bytes: Uint8Array): void
  same(same: boolean): void
  error(err: Error): void
  /** Finishes on this thread (the worker died before answering). */
  here(): void
}

/**
 * Shared memory for the labels of one save, kept for the next one (a save of an ISIC mask copies 12
 * MB into it; a fresh buffer each time would cost what the worker is there to avoid). Taken while a
 * save uses it: a save started meanwhile gets a buffer of its own.
 */
const spareShared = new SpareBuffer<SharedArrayBuffer>(
  (size) => new SharedArrayBuffer(Math.max(size, 1)),
  64 * 1024 * 1024,
)

let worker: Worker | undefined
/** Set once the worker could not be started: every later save encodes and checks here. */
let unavailable = false
let nextId = 1
const pending = new Map<number, Pending>()

function errorFrom(e: WorkerError): Error {
  return e.code !== undefined ? new CodedError(e.code, e.message, e.file) : new Error(e.message)
}

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
  w.on('message', (reply: EncodeReply) => {
    const p = pending.get(reply.id)
    if (p === undefined) return
    if ('png' in reply) {
      p.png(reply.png)
      return
    }
    pending.delete(reply.id)
    if (pending.size === 0) w.unref()
    if ('same' in reply) p.same(reply.same)
    else p.error(errorFrom(reply.error))
  })
  // A worker that fails (its file missing, out of memory) answers nothing more: its saves finish
  // here, and later ones too if it never started.
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

/** The encoding and its check on this thread (the deflate on the thread pool). */
function encodeCheckedHere(
  map: LabelMap,
  format: MaskPngFormat,
  file: string | undefined,
  flip: number | undefined,
): CheckedEncoding {
  const png = encodeMaskPngAsync(map, format, { valuesChecked: true })
  const same = png.then((bytes) => maskPngEquals(bytes, flip === undefined ? map : flipped(map, flip), file))
  return { png, same }
}

function flipped(map: LabelMap, at: number): LabelMap {
  const data = map.data.slice()
  data[at] = data[at] === 0 ? 1 : 0
  return { ...map, data }
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(err: unknown): void } {
  let resolve!: (value: T) => void
  let reject!: (err: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/**
 * Encodes `map` in `format` (its values already checked: the caller discards the PNG otherwise) and
 * checks that the PNG decodes to exactly `map`. `map` must not change until `same` settles.
 */
export function encodeCheckedOffThread(map: LabelMap, format: MaskPngFormat, file?: string): CheckedEncoding {
  const flip = pngCheckFaults.flipAfterEncode
  const w = startWorker()
  if (w === undefined) return encodeCheckedHere(map, format, file, flip)
  const id = nextId++
  // 8-bit grey (the ISIC masks) goes over in the encoder's row layout: the worker deflates it and
  // compares the inflated image with it as they are, without another copy of the image.
  const rows = isGrey8(format)
  const size = rows ? map.height * (map.width + 1) : map.data.length
  const shared = spareShared.take(size)
  const labels = new Uint8Array(shared, 0, size)
  if (rows) grey8Rows(map, labels)
  else labels.set(map.data)
  const png = deferred<Buffer>()
  const same = deferred<boolean>()
  let gotPng: Buffer | undefined
  const done = (): void => spareShared.give(shared)
  pending.set(id, {
    png: (bytes) => {
      gotPng = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      png.resolve(gotPng)
    },
    same: (answer) => {
      done()
      same.resolve(answer)
    },
    error: (err) => {
      done()
      png.reject(err)
      same.reject(err)
    },
    here: () => {
      done()
      if (gotPng === undefined) {
        const h = encodeCheckedHere(map, format, file, flip)
        h.png.then(png.resolve, png.reject)
        h.same.then(same.resolve, same.reject)
        return
      }
      try {
        same.resolve(maskPngEquals(gotPng, flip === undefined ? map : flipped(map, flip), file))
      } catch (err) {
        same.reject(err)
      }
    },
  })
  const request: EncodeRequest = {
    id,
    width: map.width,
    height: map.height,
    data: labels,
    rows,
    format,
    file,
    flipAfterEncode: flip,
  }
  w.ref()
  try {
    w.postMessage(request)
  } catch {
    pending.delete(id)
    if (pending.size === 0) w.unref()
    done()
    return encodeCheckedHere(map, format, file, flip)
  }
  return { png: png.promise, same: same.promise }
}

/** True while the worker is running (tests: the work really leaves this thread). */
export function pngCheckWorkerRunning(): boolean {
  return worker !== undefined
}

/** Stops the worker (tests, shutdown); a later save starts a new one. */
export async function stopPngCheckWorker(): Promise<void> {
  const w = worker
  worker = undefined
  if (w !== undefined) await w.terminate()
}
