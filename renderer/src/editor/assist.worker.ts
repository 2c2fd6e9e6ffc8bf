/// <reference lib="webworker" />
/**
 * Assisted resolution off the UI thread: the image's pixels and the current label map in, a
 * run-length patch over the uncertain pixels out (certain pixels never change), with a flag per
 * resolved pixel whose confidence is low.
 */
import type { LevelledRunPatch } from '../../../shared/labels/assist/level'
import { proposalRunPatch, proposeResolution } from '../../../shared/labels/assist/resolve'

export interface AssistRequest {
  image: ImageBitmap
  width: number
  height: number
  labels: Uint8Array
}

export type AssistResponse =
  | {
      ok: true
      /** `unsure`: 1 per pixel of `after` whose confidence is low; `decision`: its signed value (level.ts). */
      patch: LevelledRunPatch
      toLesion: number
      /** Resolved pixels of low confidence. */
      unsure: number
      toBackground: number
      ms: number
    }
  | { ok: false; message: string }

const ctx = self as unknown as DedicatedWorkerGlobalScope

ctx.onmessage = (e: MessageEvent<AssistRequest>) => {
  const { image, width, height, labels } = e.data
  try {
    const canvas = new OffscreenCanvas(width, height)
    const g = canvas.getContext('2d', { willReadFrequently: true })
    if (!g) throw new Error('no 2D context in the worker')
    g.drawImage(image, 0, 0)
    image.close()
    const pixels = g.getImageData(0, 0, width, height).data
    const map = { width, height, data: labels }
    const proposal = proposeResolution({ width, height, data: pixels, channels: 4 }, map)
    const patch = proposalRunPatch(map, proposal)
    const reply: AssistResponse = {
      ok: true,
      patch,
      toLesion: proposal.stats.toLesion,
      unsure: proposal.stats.unsure,
      toBackground: proposal.stats.toBackground,
      ms: proposal.stats.ms.total,
    }
    ctx.postMessage(reply, [
      patch.runs.buffer,
      patch.before.buffer,
      patch.after.buffer,
      patch.unsure.buffer,
      patch.decision.buffer,
    ])
  } catch (err) {
    const reply: AssistResponse = { ok: false, message: err instanceof Error ? err.message : String(err) }
    ctx.postMessage(reply)
  }
}
