/**
 * Parameters of the assisted resolution, fitted on the real development set (ISIC 2017, 44 pairs,
 * weak maps of bench/assist/weakMaps.ts) by bench/assist/fit.ts. Regenerate with that script; do not
 * edit by hand.
 */
export interface ResolveParams {
  /** Logistic model of lesion vs background on the band cells' features (decide.ts). */
  weights: number[]
  bias: number
  /** Stray blobs on the skin turn lesion only at a colour position above this (> 1: never). */
  strayTheta: number
  /**
   * Scale of the image part of the log-odds (bias and colour/pigment terms), chosen per fold by the
   * worst family's margin over the nearest certain label (maximin): 0 = the nearest label exactly.
   */
  imageWeight: number
  /**
   * Safety net: where the proposal's confidence |2·P − 1| is below this, the nearest certain label
   * is taken instead (0 = never), chosen the same way.
   */
  abstainBelow: number
}

/** Fitted by `npx jiti bench/assist/fit.ts --write`. */
export const RESOLVE_PARAMS: ResolveParams = {
  weights: [-0.1177, 0.3354, -0.2875, 0.0776, 0.0479, 0.4074, 0.0287, -0.3029, -0.124, 6.1136, 0.6171],
  bias: 0.0913,
  strayTheta: 0.8,
  imageWeight: 0,
  abstainBelow: 0,
}
