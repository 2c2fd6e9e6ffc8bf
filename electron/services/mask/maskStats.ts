/**
 * Pure computations on label maps for the workspace: mask statistics (the scan's analyzeMask:
 * counts and 4-connected component counts) and the pixel transitions between two versions of a mask.
 */
import type { Label, LabelMap } from '../../../shared/labels/codes'
import type { MaskStats, Transition } from '../../../shared/workspace/review'
import {
  analyzeMask,
  analyzeMaskWithRuns,
  runTransitions,
  type LabelRuns,
  type MaskAnalysis,
} from '../../../shared/labels/analysis'

/** The workspace's statistics of a valid label map (values 0, 1, 255 only; else `mask-values`). */
export function maskStats(map: LabelMap, file?: string): MaskStats {
  return statsFromAnalysis(analyzeMask(map, file))
}

/**
 * maskStats, and the map's runs: what `transitionsBetweenRuns` needs to compare this map with the
 * next version of it without reading its pixels.
 */
export function maskStatsWithRuns(map: LabelMap, file?: string): { stats: MaskStats; runs: LabelRuns } {
  const { analysis, runs } = analyzeMaskWithRuns(map, file)
  return { stats: statsFromAnalysis(analysis), runs }
}

/** MaskStats from the scan's MaskAnalysis. */
export function statsFromAnalysis(a: MaskAnalysis): MaskStats {
  return {
    width: a.width,
    height: a.height,
    background: a.counts.background,
    lesion: a.counts.lesion,
    uncertain: a.counts.uncertain,
    lesionComponents: a.lesionComponents,
    uncertainComponents: a.uncertainComponents,
  }
}

const LABEL_SLOT = new Uint8Array(256).fill(3)
LABEL_SLOT[0] = 0
LABEL_SLOT[1] = 1
LABEL_SLOT[255] = 2
const SLOT_LABEL: readonly Label[] = [0, 1, 255]

/**
 * Pixels changed per (old label → new label), largest first. Both maps hold labels only and have
 * the same length. Equal 4-byte words (most of a corrected mask) are skipped in one comparison.
 */
export function countTransitions(before: Uint8Array, after: Uint8Array): Transition[] {
  if (before.length !== after.length) throw new RangeError('countTransitions needs maps of equal size')
  const counts = new Float64Array(16)
  const n = before.length
  let i = 0
  if (before.byteOffset % 4 === 0 && after.byteOffset % 4 === 0) {
    const words = n >>> 2
    const a32 = new Uint32Array(before.buffer, before.byteOffset, words)
    const b32 = new Uint32Array(after.buffer, after.byteOffset, words)
    for (let w = 0; w < words; w++) {
      if (a32[w] === b32[w]) continue
      const o = w << 2
      for (let k = o; k < o + 4; k++) {
        const a = before[k]
        const b = after[k]
        if (a !== b) counts[(LABEL_SLOT[a] << 2) | LABEL_SLOT[b]]++
      }
    }
    i = words << 2
  }
  for (; i < n; i++) {
    const a = before[i]
    const b = after[i]
    if (a !== b) counts[(LABEL_SLOT[a] << 2) | LABEL_SLOT[b]]++
  }
  return transitionList(counts)
}

/** countTransitions for two maps given as runs (the same list), at a cost that follows the runs. */
export function transitionsBetweenRuns(before: LabelRuns, after: LabelRuns): Transition[] {
  return transitionList(runTransitions(before, after))
}

/** Counts by `(slot(from) << 2) | slot(to)` as a list, largest first. */
function transitionList(counts: Float64Array): Transition[] {
  const out: Transition[] = []
  for (let from = 0; from < 3; from++) {
    for (let to = 0; to < 3; to++) {
      const pixels = counts[(from << 2) | to]
      if (from !== to && pixels > 0) out.push({ from: SLOT_LABEL[from], to: SLOT_LABEL[to], pixels })
    }
  }
  return out.sort((p, q) => q.pixels - p.pixels || p.from - q.from || p.to - q.to)
}
