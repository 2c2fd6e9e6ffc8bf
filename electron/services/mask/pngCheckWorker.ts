/**
 * Worker thread of `pngCheck.ts`: encodes a save's labels (from shared memory) into its PNG, hands
 * the PNG back, then decodes it and compares it with those labels (`maskPngEquals`), so that the 12
 * Mpx of filtered and inflated image data are allocated in this thread's small heap rather than in
 * the main process's.
 */
import { parentPort } from 'node:worker_threads'
import { CodedError, type ErrorCode } from '../../../shared/api/errors'
import {
  encodeGrey8Rows,
  encodeMaskPng,
  maskPngEquals,
  maskPngEqualsRows,
  type MaskPngFormat,
} from './maskPng'

export interface EncodeRequest {
  id: number
  width: number
  height: number
  /**
   * The labels, over shared memory: read only. With `rows`, laid out by `grey8Rows` (8-bit grey:
   * the encoder's own layout, deflated and compared as they are).
   */
  data: Uint8Array
  rows: boolean
  format: MaskPngFormat
  file?: string
  /** Tests: the check compares the PNG with the labels with this one changed, so it must fail. */
  flipAfterEncode?: number
}

export type WorkerError = { code?: ErrorCode; message: string; file?: string }

/** First the PNG, then the check's answer; or an error instead of either. */
export type EncodeReply =
  { id: number; png: Uint8Array } | { id: number; same: boolean } | { id: number; error: WorkerError }

function errorOf(err: unknown): WorkerError {
  return err instanceof CodedError
    ? { code: err.code, message: err.message, file: err.file }
    : { message: err instanceof Error ? err.message : String(err) }
}

parentPort?.on('message', (m: EncodeRequest) => {
  const port = parentPort
  if (port === null) return
  let labels = { width: m.width, height: m.height, data: m.data }
  let png: Buffer
  try {
    // The values were checked by the caller's statistics (which discard this PNG otherwise).
    png = m.rows
      ? encodeGrey8Rows(m.data, m.width, m.height, m.format)
      : encodeMaskPng(labels, m.format, { valuesChecked: true })
  } catch (err) {
    port.postMessage({ id: m.id, error: errorOf(err) } satisfies EncodeReply)
    return
  }
  // A copy goes (tens of KB): this thread checks its own.
  port.postMessage({ id: m.id, png } satisfies EncodeReply)
  if (m.flipAfterEncode !== undefined) {
    const data = m.data.slice()
    const at = m.rows
      ? Math.floor(m.flipAfterEncode / m.width) * (m.width + 1) + 1 + (m.flipAfterEncode % m.width)
      : m.flipAfterEncode
    data[at] = data[at] === 0 ? 1 : 0
    labels = { ...labels, data }
  }
  try {
    const same = m.rows
      ? maskPngEqualsRows(png, labels.data, m.width, m.height, m.file)
      : maskPngEquals(png, labels, m.file)
    port.postMessage({ id: m.id, same } satisfies EncodeReply)
  } catch (err) {
    port.postMessage({ id: m.id, error: errorOf(err) } satisfies EncodeReply)
  }
})
