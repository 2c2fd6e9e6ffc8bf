/**
 * The mask-only triage score inside the statistics scan (issue #13): the scan already has the
 * mask's runs (analysis.ts), so the map is reduced to a small grid from them (grid.ts
 * `reduceRunsToGrid`, no pixel read again) and measured there by the same mask measures as the
 * image score (maskMeasures.ts).
 */
import type { LabelRuns } from '../analysis'
import { gridSizeFor, reduceRunsToGrid } from './grid'
import { TRIAGE_MODEL } from './model'
import { measureGrid, triageResult, type TriageModel } from './score'
import type { TriageResult } from './types'

/**
 * Longer side of the grid of the in-scan score. On the real dev set (44 images; 10 right and 20
 * corrupted weak maps each, the bench's corruptions), the mask-only score's ROC AUC is 0.721 at 32
 * cells, 0.727 at 40, 0.730 at 48, 0.744 at 64 and 0.740 at features.ts's 256, while its cost grows
 * with the cells: at 40 the whole 43,885-mask scan measured +20 % and +24 % CPU per mask (bench
 * `scale_triage_in_scan_added_us_per_mask`, two runs on a loaded 2-core machine), too near the
 * budget of 25 %. 32 costs a third fewer cells for 0.006 of AUC, and the image pass replaces this
 * score anyway.
 */
export const SCAN_GRID_SIDE = 32

/**
 * The mask-only score of a map given as its runs, on a grid of `side` cells (default
 * SCAN_GRID_SIDE): what the statistics scan stores for each pair until the image pass refines it.
 * The same model as score.ts `scoreMask`; regions in mask pixels.
 */
export function scoreMaskRuns(
  runs: LabelRuns,
  side = SCAN_GRID_SIDE,
  model: TriageModel = TRIAGE_MODEL,
): TriageResult {
  const size = gridSizeFor(runs.width, runs.height, side)
  const grid = reduceRunsToGrid(runs, size.width, size.height)
  return triageResult(measureGrid(grid, null), model)
}
