/**
 * The suspicion score of a pair. features.ts measures the map (and the image); each measure is an
 * "evidence" turned into [0, 1] by a ramp (0 at what most right maps show, 1 beyond what almost any
 * right map shows); a reason's sub-score is the strongest of its evidences; the score is a logistic
 * combination of the evidences per head, the strongest head deciding. Ramps and weights were fitted
 * on the dev set (model.ts, written by bench/triage/fit.ts). No trained network: a few dozen passes
 * over a small grid.
 */
import type { LabelMap } from '../codes'
import {
  imageMeasures,
  lesionRegion,
  maskMeasures,
  type CellRect,
  type ImageMeasures,
  type MaskMeasures,
} from './features'
import { gridOf, gridSizeFor, reduceToGrid, type LabelGrid } from './grid'
import { TRIAGE_MODEL } from './model'
import {
  REASON_MIN_SCORE,
  type TriageImage,
  type TriageReason,
  type TriageReasonCode,
  type TriageRegion,
  type TriageResult,
} from './types'

export interface Evidence {
  name: string
  reason: TriageReasonCode
  /** Needs the image. */
  image: boolean
  /**
   * Exists only with an uncertain band: left out of a band-free map's evidence, so that its absence
   * makes such a map neither suspicious nor safe (what the score's heads then see is the ramp's 0).
   */
  band?: boolean
  /** The measure, oriented so that higher is more suspicious. */
  get: (mask: MaskMeasures, image: ImageMeasures | null) => number
}

/**
 * The version of how the measures are taken (features.ts, maskFeatures.ts, ringProfile.ts,
 * edgeOffset.ts and the evidence below). Stored scores are keyed by it with the model: bump it when
 * a measure's computation changes without a refit, so every pair is rescored.
 */
export const TRIAGE_MEASURES_VERSION = 2

export const EVIDENCE: readonly Evidence[] = [
  { name: 'lesionLighter', reason: 'labels-inverted', image: true, get: (_, i) => i?.lesionLighter ?? 0 },
  { name: 'skinInside', reason: 'misaligned', image: true, get: (_, i) => i?.skinInside ?? 0 },
  { name: 'notSkinOutside', reason: 'misaligned', image: true, get: (_, i) => i?.notSkinOutside ?? 0 },
  { name: 'bandLow', reason: 'misaligned', image: true, get: (_, i) => i?.bandLow ?? 0 },
  { name: 'bandLowNarrow', reason: 'misaligned', image: true, get: (_, i) => i?.bandLowNarrow ?? 0 },
  { name: 'lowShare', reason: 'misaligned', image: true, get: (_, i) => i?.lowShare ?? 0 },
  { name: 'outerRing', reason: 'misaligned', image: true, get: (_, i) => i?.outerRing ?? 0 },
  { name: 'innerRing', reason: 'misaligned', image: true, get: (_, i) => i?.innerRing ?? 0 },
  { name: 'outerHigh', reason: 'misaligned', image: true, get: (_, i) => i?.outerHigh ?? 0 },
  { name: 'innerHigh', reason: 'misaligned', image: true, get: (_, i) => i?.innerHigh ?? 0 },
  { name: 'edgeRatioLow', reason: 'misaligned', image: true, get: (_, i) => i?.edgeRatioLow ?? 0 },
  { name: 'edgeInside', reason: 'misaligned', image: true, get: (_, i) => i?.edgeInside ?? 0 },
  { name: 'edgeOutside', reason: 'misaligned', image: true, get: (_, i) => i?.edgeOutside ?? 0 },
  { name: 'edgeInDepth', reason: 'misaligned', image: true, get: (_, i) => i?.edgeInDepth ?? 0 },
  { name: 'edgeOutDepth', reason: 'misaligned', image: true, get: (_, i) => i?.edgeOutDepth ?? 0 },
  // A dilated map: the image's edge lies well inside the region, which holds much skin.
  { name: 'edgeShiftIn', reason: 'misaligned', image: true, get: (_, i) => (i ? -i.edgeShift : 0) },
  { name: 'edgeShiftOut', reason: 'misaligned', image: true, get: (_, i) => i?.edgeShift ?? 0 },
  { name: 'fillLow', reason: 'misaligned', image: true, get: (_, i) => (i ? -i.lesionFill : 0) },
  // Thin rings across the boundary (ringProfile.ts): little contrast across it (dilated or eroded),
  // skin just inside (dilated), lesion just outside (eroded).
  { name: 'ringFlatNear', reason: 'misaligned', image: true, get: (_, i) => (i ? -i.ring.contrastNear : 0) },
  { name: 'ringFlatWide', reason: 'misaligned', image: true, get: (_, i) => (i ? -i.ring.contrastWide : 0) },
  { name: 'ringInnerSkin', reason: 'misaligned', image: true, get: (_, i) => (i ? -i.ring.innerNear : 0) },
  {
    name: 'ringInnerSkinShare',
    reason: 'misaligned',
    image: true,
    get: (_, i) => i?.ring.innerSkinShare ?? 0,
  },
  { name: 'ringOuterLesion', reason: 'misaligned', image: true, get: (_, i) => i?.ring.outerNear ?? 0 },
  { name: 'ringOuterLesionWide', reason: 'misaligned', image: true, get: (_, i) => i?.ring.outerWide ?? 0 },
  {
    name: 'ringOuterLesionShare',
    reason: 'misaligned',
    image: true,
    get: (_, i) => i?.ring.outerLesionShare ?? 0,
  },
  // The image's edge off the boundary: the drop across the boundary is a small part of the steepest.
  {
    name: 'ringEdgeDropLow',
    reason: 'misaligned',
    image: true,
    get: (_, i) => (i ? -i.ring.edgeDropRatio : 0),
  },
  { name: 'ringMidHigh', reason: 'misaligned', image: true, get: (_, i) => i?.ring.midNear ?? 0 },
  { name: 'weakSeparation', reason: 'misaligned', image: true, get: (_, i) => (i ? -i.separation : 0) },
  {
    name: 'attachedLike',
    reason: 'certain-disagrees-with-image',
    image: true,
    get: (_, i) => i?.attachedLike ?? 0,
  },
  {
    name: 'attachedSkin',
    reason: 'certain-disagrees-with-image',
    image: true,
    get: (_, i) => i?.attachedSkin ?? 0,
  },
  {
    name: 'disagreement',
    reason: 'certain-disagrees-with-image',
    image: true,
    get: (_, i) => i?.disagreement ?? 0,
  },
  { name: 'mainBorderShare', reason: 'lesion-touches-border', image: false, get: (m) => m.mainBorderShare },
  { name: 'otherBorderShare', reason: 'lesion-touches-border', image: false, get: (m) => m.otherBorderShare },
  { name: 'otherComponentShare', reason: 'many-components', image: false, get: (m) => m.otherComponentShare },
  { name: 'otherPossibleShare', reason: 'many-components', image: false, get: (m) => m.otherPossibleShare },
  { name: 'thinOther', reason: 'many-components', image: false, get: (m) => m.thinOther },
  { name: 'thinLesion', reason: 'many-components', image: false, get: (m) => m.thinLesion },
  { name: 'holeShare', reason: 'holes', image: false, get: (m) => m.holeShare },
  { name: 'lesionSmall', reason: 'lesion-tiny', image: false, get: (m) => -m.lesionShare },
  { name: 'lesionLarge', reason: 'lesion-huge', image: false, get: (m) => m.lesionShare },
  {
    name: 'uncertainShare',
    reason: 'uncertain-large',
    image: false,
    band: true,
    get: (m) => m.uncertainShare,
  },
]

/** One logistic combination: bias + Σ weight · ramp(evidence). */
export interface TriageHead {
  bias: number
  weights: Record<string, number>
}

/**
 * A fitted model: a ramp per evidence, and logistic weights with and without the image. With the
 * image, `pair` is fitted against every kind of error and each of `pairHeads` against one kind
 * alone (one shared combination has to trade the kinds against each other); the score is σ of the
 * largest of their logits (any head that is sure makes the pair suspicious).
 */
export interface TriageModel {
  /** Longer side of the grid the model was fitted on. */
  gridSide: number
  /** Ramps of the score's evidence. */
  ramps: Record<string, readonly [number, number]>
  /** Ramps of the reasons' sub-scores (stricter: a reason shows only where right maps rarely go). */
  reasonRamps: Record<string, readonly [number, number]>
  pair: TriageHead
  pairHeads?: Record<string, TriageHead>
  mask: TriageHead
}

export interface TriageMeasures {
  grid: LabelGrid
  mask: MaskMeasures
  /** Null without an image, or when the map has no boundary (all lesion or none). */
  image: ImageMeasures | null
  /** Raw evidence values (higher = more suspicious), by evidence name. */
  evidence: Record<string, number>
}

/** 0 at or below `lo`, 1 at or above `hi`, linear between. */
export function ramp(v: number, lo: number, hi: number): number {
  if (!(v > lo)) return 0
  if (v >= hi) return 1
  return (v - lo) / (hi - lo)
}

/**
 * The evidence values of measures: the image's only `withImage`, the band's only when the map has a
 * band (with the image: as imageMeasures decided; without: any uncertain cell of the lesion region).
 */
function evidenceOf(
  mask: MaskMeasures,
  image: ImageMeasures | null,
  withImage: boolean,
): Record<string, number> {
  const bandFree = image ? image.bandFree : mask.uncertainShare === 0
  const evidence: Record<string, number> = {}
  for (const e of EVIDENCE) {
    if ((e.image && !withImage) || (e.band && bandFree)) continue
    evidence[e.name] = e.get(mask, image)
  }
  return evidence
}

export function measureGrid(grid: LabelGrid, image: TriageImage | null): TriageMeasures {
  const region = lesionRegion(grid)
  const mask = maskMeasures(grid, region)
  const img = image ? imageMeasures(grid, region, image) : null
  return { grid, mask, image: img, evidence: evidenceOf(mask, img, image !== null) }
}

/**
 * Measures a pair: `map` at full size, `image` on a grid of it (or null for the mask-only measures,
 * on a grid of `gridSide`). The map is reduced to the image's grid; at the same size it is used as is.
 */
export function measurePair(
  map: LabelMap,
  image: TriageImage | null,
  gridSide = TRIAGE_MODEL.gridSide,
): TriageMeasures {
  const size = image ?? gridSizeFor(map.width, map.height, gridSide)
  const grid =
    size.width === map.width && size.height === map.height
      ? gridOf(map)
      : reduceToGrid(map, size.width, size.height)
  return measureGrid(grid, image)
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z))

/**
 * The score of measured evidence under a model: σ(bias + Σ weight · ramp(evidence)), with the image
 * σ(the largest logit) over the pair's heads. A maximum, not a log-sum-exp: with a head per kind,
 * a sum adds the heads' small noise on right maps up (held-out on the dev set, dilate 0.753 → 0.770
 * with the maximum, every other kind within 0.005; bench/triage/fit.ts). Min-p, Fisher and stacked
 * combinations did worse held out (bench/README.md, "Combining the heads otherwise").
 */
export function scoreEvidence(
  evidence: Record<string, number>,
  model: TriageModel,
  withImage: boolean,
): number {
  if (!withImage) return sigmoid(headLogit(evidence, model, model.mask))
  let top = headLogit(evidence, model, model.pair)
  for (const h of Object.values(model.pairHeads ?? {})) top = Math.max(top, headLogit(evidence, model, h))
  return sigmoid(top)
}

/** A head's logit: bias + Σ weight · ramp(evidence). */
export function headLogit(evidence: Record<string, number>, model: TriageModel, head: TriageHead): number {
  let z = head.bias
  for (const [name, w] of Object.entries(head.weights)) {
    const v = evidence[name]
    const r = model.ramps[name]
    if (v === undefined || !r || w === 0) continue
    z += w * ramp(v, r[0], r[1])
  }
  return z
}

/**
 * Each reason's sub-score: the largest ramp of its evidences under the model's reason ramps (fitted
 * so that a reason reaches REASON_MIN_SCORE on few right maps: bench/triage/fit.ts).
 */
export function reasonScores(
  evidence: Record<string, number>,
  reasonRamps: TriageModel['reasonRamps'],
): Map<TriageReasonCode, number> {
  const sub = new Map<TriageReasonCode, number>()
  for (const e of EVIDENCE) {
    const v = evidence[e.name]
    const r = reasonRamps[e.name]
    if (v === undefined || !r) continue
    sub.set(e.reason, Math.max(sub.get(e.reason) ?? 0, ramp(v, r[0], r[1])))
  }
  return sub
}

/** The result for measures under a model (reasons with their sub-scores and regions). */
export function triageResult(
  m: TriageMeasures,
  model: TriageModel,
  extra: TriageReason[] = [],
): TriageResult {
  const sub = reasonScores(m.evidence, model.reasonRamps)
  const where: Partial<Record<TriageReasonCode, CellRect | undefined>> = {
    'lesion-touches-border': m.mask.regions.border,
    'many-components': m.mask.regions.otherComponent,
    holes: m.mask.regions.hole,
    misaligned: m.image?.regions.offEdge,
    'certain-disagrees-with-image': m.image?.regions.disagreement,
  }
  const reasons: TriageReason[] = [...extra]
  for (const [code, score] of sub) {
    if (score < REASON_MIN_SCORE) continue
    const reason: TriageReason = { code, score: round3(score) }
    const r = where[code]
    if (r) reason.region = toMaskRect(r, m.grid)
    reasons.push(reason)
  }
  reasons.sort((a, b) => b.score - a.score)
  return { score: round3(scoreEvidence(m.evidence, model, m.image !== null)), reasons }
}

function toMaskRect(r: CellRect, grid: LabelGrid): TriageRegion {
  const x = Math.floor(r.x * grid.scaleX)
  const y = Math.floor(r.y * grid.scaleY)
  return { x, y, w: Math.ceil((r.x + r.w) * grid.scaleX) - x, h: Math.ceil((r.y + r.h) * grid.scaleY) - y }
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000

/**
 * Scores a pair from its mask (full size, values 0/1/255) and its image on a reduced grid of the
 * mask (TriageImage). Regions are in mask pixels.
 */
export function scorePair(
  map: LabelMap,
  image: TriageImage,
  model: TriageModel = TRIAGE_MODEL,
): TriageResult {
  return triageResult(measurePair(map, image, model.gridSide), model)
}

/**
 * The mask-only score, for a pair without a readable image. `imageUnreadable` puts that reason
 * (sub-score 1) first.
 */
export function scoreMask(
  map: LabelMap,
  opts: { imageUnreadable?: boolean } = {},
  model: TriageModel = TRIAGE_MODEL,
): TriageResult {
  const extra: TriageReason[] = opts.imageUnreadable ? [{ code: 'image-unreadable', score: 1 }] : []
  return triageResult(measurePair(map, null, model.gridSide), model, extra)
}
