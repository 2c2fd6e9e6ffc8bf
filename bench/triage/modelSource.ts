/** The TypeScript source of shared/labels/triage/model.ts for a fitted model. */
import type { TriageModel } from '../../shared/labels/triage/score'
import { RAMP_HI, RAMP_LO, REASON_LISTED_MAX, REASON_RAMP_LO } from './fit'

export function modelSource(model: TriageModel, samples: number, images: number): string {
  return `/**
 * The fitted triage model (written by bench/triage/bench.ts with WSM_TRIAGE_WRITE_MODEL=1; do not edit
 * by hand). Fitted on ${samples} maps of ${images} real dev images (../shared/isic-dev), right and
 * corrupted, weak (with their uncertain band) and band-free (true masks, weak maps resolved by
 * nearest label): score ramps from the right maps' ${RAMP_LO} and ${RAMP_HI} quantiles, reason ramps
 * from a quantile per reason (${REASON_RAMP_LO} or more) at which a reason is listed on at most
 * ${REASON_LISTED_MAX} of the right maps of unseen images; non-negative logistic weights; the largest
 * of the pair heads' logits decides (bench/triage/fit.ts PAIR_HEADS). The reported quality comes
 * from held-out folds, not from this fit.
 */
import type { TriageModel } from './score'

export const TRIAGE_MODEL: TriageModel = ${JSON.stringify(model, null, 2)}
`
}
