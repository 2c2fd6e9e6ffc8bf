/**
 * The fitted triage model (written by bench/triage/bench.ts with WSM_TRIAGE_WRITE_MODEL=1; do not edit
 * by hand). Fitted on 2640 weak maps of 44 real dev images (../shared/isic-dev), right
 * and corrupted: ramps from the right maps' 0.9 and 0.995 quantiles, non-negative
 * logistic weights. The reported quality comes from held-out folds, not from this fit.
 */
import type { TriageModel } from './score'

export const TRIAGE_MODEL: TriageModel = {
  gridSide: 256,
  ramps: {
    lesionLighter: [-0.4697, 0.5509],
    bandLow: [0.52, 0.6507],
    bandLowNarrow: [0.6341, 0.7695],
    lowShare: [0.3248, 0.5249],
    outerRing: [0.1049, 0.3673],
    innerRing: [0.4432, 0.6494],
    outerHigh: [0.1129, 0.5124],
    innerHigh: [0.4326, 0.7581],
    edgeRatioLow: [0.3601, 0.5249],
    edgeInside: [0.7374, 1],
    edgeOutside: [0.0967, 0.3442],
    edgeInDepth: [0.1155, 0.198],
    edgeOutDepth: [0.0194, 0.06736],
    weakSeparation: [-0.8772, -0.547],
    attachedLike: [0.2204, 0.5551],
    attachedSkin: [0.1998, 0.355],
    disagreement: [0.4172, 0.691],
    mainBorderShare: [0.02712, 0.2903],
    otherBorderShare: [0, 0.001],
    otherComponentShare: [0, 0.001],
    otherPossibleShare: [0.02404, 0.0714],
    thinOther: [0.2245, 0.3333],
    thinLesion: [0.007875, 0.1463],
    holeShare: [0, 0.001],
    lesionSmall: [-0.0234, -0.008711],
    lesionLarge: [0.3295, 0.6514],
    uncertainShare: [0.7844, 0.9878],
  },
  pair: {
    bias: -1.667,
    weights: {
      bandLow: 0.08375,
      bandLowNarrow: 0.4735,
      lowShare: 1.142,
      outerRing: 0.6717,
      innerHigh: 0.478,
      edgeInside: 0.4396,
      edgeOutside: 1.093,
      edgeOutDepth: 0.07568,
      attachedLike: 2.865,
      attachedSkin: 0.7214,
      mainBorderShare: 1.165,
      otherBorderShare: 1.003,
      otherComponentShare: 3.049,
      otherPossibleShare: 1.477,
      thinOther: 0.1031,
      thinLesion: 1.44,
      holeShare: 3.217,
    },
  },
  mask: {
    bias: -0.6603,
    weights: {
      mainBorderShare: 1.128,
      otherBorderShare: 0.9775,
      otherComponentShare: 2.645,
      otherPossibleShare: 1.163,
      thinOther: 0.1591,
      thinLesion: 1.411,
      holeShare: 2.707,
    },
  },
}
