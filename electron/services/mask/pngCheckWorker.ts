/**
 * Worker thread of `pngCheck.ts`: decodes a just-encoded mask PNG and compares it with the labels it
 * was encoded from (`maskPngEquals`), so that the 12 Mpx of inflated image data are allocated in this
 * thread's small heap rather than in the main process's.
 */
import { parentPort } from 'node:worker_threads'
import { CodedError, type ErrorCode } from '../../../shared/api/errors'
import { maskPngEquals } from './maskPng'

export interface CheckRequest {
  id: number
  png: Uint8Array
  width: number
  height: number
  data: Uint8Array
  file?: string
}

export type CheckReply =
  { id: number; same: boolean } | { id: number; error: { code?: ErrorCode; message: string; file?: string } }

parentPort?.on('message', (m: CheckRequest) => {
  let reply: CheckReply
  try {
    reply = {
      id: m.id,
      same: maskPngEquals(m.png, { width: m.width, height: m.height, data: m.data }, m.file),
    }
  } catch (err) {
    reply =
      err instanceof CodedError
        ? { id: m.id, error: { code: err.code, message: err.message, file: err.file } }
        : { id: m.id, error: { message: err instanceof Error ? err.message : String(err) } }
  }
  parentPort?.postMessage(reply)
})
