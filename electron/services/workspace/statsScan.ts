/**
 * The seam between the workspace and the mask scanner (electron/services/scan/maskScan.ts): the
 * workspace asks for the statistics of some pairs (by dataset index) and receives one result per
 * pair, in any order. Tests may inject another scanner.
 */
import type { ApiError } from '../../../shared/api/errors'
import type { MaskStats } from '../../../shared/workspace/review'
import type { Dataset } from '../dataset'
import { scanMasks } from '../scan/maskScan'
import { statsFromAnalysis } from '../mask/maskStats'

export interface ScanItemResult {
  index: number
  /** The statistics, whenever the mask decodes. */
  stats?: MaskStats
  /** The first problem found (unreadable mask, bad values, challenge convention…), if any. */
  problem?: ApiError
}

export interface ScanRequest {
  indices: readonly number[]
  onResult(result: ScanItemResult): void
  onProgress?(done: number, total: number): void
  /** Aborting stops the scan: the promise resolves, no onResult follows. */
  signal?: AbortSignal
  /** Worker threads (scanner's default: the available cores); 0 scans on the calling thread. */
  workers?: number
}

/** Analyses the masks of `indices`; resolves when all are done or the signal aborted. */
export type MaskScanner = (dataset: Dataset, request: ScanRequest) => Promise<void>

/** The worker-thread scan of the masks alone (no image reads: statistics need only the masks). */
export const defaultScanner: MaskScanner = async (dataset, request) => {
  try {
    await scanMasks(dataset, {
      indices: [...request.indices],
      workers: request.workers,
      checkImages: false,
      signal: request.signal,
      onProgress: request.onProgress,
      onResult: (r) => {
        const item: ScanItemResult = { index: r.index }
        if (r.analysis) item.stats = statsFromAnalysis(r.analysis)
        if (r.code !== null) item.problem = { code: r.code, message: r.message ?? r.code, file: r.file }
        request.onResult(item)
      },
    })
  } catch (err) {
    if (request.signal?.aborted) return
    throw err
  }
}
