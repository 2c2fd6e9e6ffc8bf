/// <reference lib="webworker" />
/**
 * The per-pixel work of opening an adjudication case, off the UI thread: the comparison of the two
 * reviews (counts and disputed pixels), the merge's starting map, and the four layers the view
 * shows (each review, the disagreement overlay, the merge) as ImageBitmaps ready to draw. At
 * 3008×2000 this is ~6 M pixels per pass: done on the page's thread it was an 0.8–1.6 s long task.
 */
import { compareMasks, disputedIndices, type MaskComparison } from '../../../shared/labels/adjudication'
import { mergeRgba, startMap, type MergeStart } from './mergeEditor'
import { disagreementOverlay, maskRgba } from './teamView'

export interface CaseRequest {
  width: number
  height: number
  first: Uint8Array
  second: Uint8Array
  start: MergeStart
}

export type CaseResponse =
  | {
      ok: true
      comparison: MaskComparison
      disputed: Uint8Array
      disputedIndex: Uint32Array
      /** The merge's starting map. */
      merge: Uint8Array
      layers: { first: ImageBitmap; second: ImageBitmap; overlay: ImageBitmap; merge: ImageBitmap }
    }
  | { ok: false; message: string }

const ctx = self as unknown as DedicatedWorkerGlobalScope

function bitmap(rgba: Uint8ClampedArray, width: number, height: number): Promise<ImageBitmap> {
  return createImageBitmap(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, width, height))
}

ctx.onmessage = async (e: MessageEvent<CaseRequest>) => {
  const { width, height, start } = e.data
  try {
    const first = { width, height, data: e.data.first }
    const second = { width, height, data: e.data.second }
    const disputed = new Uint8Array(width * height)
    const comparison = compareMasks(first, second, disputed)
    const disputedIndex = disputedIndices(disputed, comparison.disputed)
    const merge = startMap(first, second, start)
    const rect = { x: 0, y: 0, width, height }
    const [a, b, o, m] = await Promise.all([
      bitmap(maskRgba(first), width, height),
      bitmap(maskRgba(second), width, height),
      bitmap(disagreementOverlay(first, second).rgba, width, height),
      bitmap(mergeRgba(merge, disputed, rect), width, height),
    ])
    const reply: CaseResponse = {
      ok: true,
      comparison,
      disputed,
      disputedIndex,
      merge: merge.data,
      layers: { first: a, second: b, overlay: o, merge: m },
    }
    ctx.postMessage(reply, [disputed.buffer, disputedIndex.buffer, merge.data.buffer, a, b, o, m])
  } catch (err) {
    const reply: CaseResponse = { ok: false, message: err instanceof Error ? err.message : String(err) }
    ctx.postMessage(reply)
  }
}
