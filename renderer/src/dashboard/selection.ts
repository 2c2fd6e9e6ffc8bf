/**
 * What clicking a dashboard bar asks of the queue: a QueueQuery holding only that bar's pairs
 * (status, uncertain-fraction bin, problem code or metadata value), keeping the queue's sort.
 */
import type { QueueQuery } from '../../../shared/api/contract'
import { DASHBOARD_BINS } from '../../../shared/workspace/dashboard'
import type { PairStatus } from '../../../shared/workspace/review'

export type BarSelection =
  | { kind: 'status'; status: PairStatus }
  | { kind: 'uncertain'; bin: number }
  | { kind: 'problem'; code: string }
  | { kind: 'metadata'; column: string; value: string }

/**
 * Bin k holds fractions f with floor(f · BINS) = k (the last bin also holds 1): the inclusive
 * range [k/BINS, (k+1)/BINS − 1e-12]. Fractions are pixel counts over sizes of at most a few
 * ten million pixels, so no fraction falls in the 1e-12 left out below a bin's upper edge.
 */
export function binRange(
  bin: number,
  bins = DASHBOARD_BINS,
): { uncertainMin?: number; uncertainMax?: number } {
  const range: { uncertainMin?: number; uncertainMax?: number } = {}
  if (bin > 0) range.uncertainMin = bin / bins
  if (bin < bins - 1) range.uncertainMax = (bin + 1) / bins - 1e-12
  return range
}

/** The queue of exactly the bar's pairs, in the current sort. */
export function queryFor(selection: BarSelection, current: QueueQuery): QueueQuery {
  const base: QueueQuery = { sort: current.sort, order: current.order }
  switch (selection.kind) {
    case 'status':
      return { ...base, status: [selection.status] }
    case 'uncertain':
      return { ...base, ...binRange(selection.bin) }
    case 'problem':
      return { ...base, problem: selection.code }
    case 'metadata':
      return { ...base, metadata: [{ column: selection.column, values: [selection.value] }] }
  }
}

/** Cumulative sums (first decisions per day → pairs decided by that day). */
export function cumulative(values: readonly number[]): number[] {
  const out: number[] = []
  let sum = 0
  for (const v of values) out.push((sum += v))
  return out
}

/** Sums of `events` per key, keys in first-seen order. */
export function sumBy<T>(
  rows: readonly T[],
  key: (r: T) => string,
  value: (r: T) => number,
): Map<string, number> {
  const out = new Map<string, number>()
  for (const r of rows) out.set(key(r), (out.get(key(r)) ?? 0) + value(r))
  return out
}
