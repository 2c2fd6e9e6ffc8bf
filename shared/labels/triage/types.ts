/**
 * Worst-first triage (issue #13): a suspicion score per pair, higher = more likely wrong, with the
 * reasons behind it. Reason codes are stable strings: the queue filters on them, the CLI prints
 * them, and they are stored with the statistics. Never rename one; add new ones at the end.
 */

export const TRIAGE_REASON_CODES = [
  /** The image could not be decoded (given by the caller); the score is the mask-only one. */
  'image-unreadable',
  /** The certain lesion is lighter than the certain background: lesion and background swapped. */
  'labels-inverted',
  /** The mask's edges do not follow the image's: the strongest colour transition lies off them. */
  'misaligned',
  /** Certain pixels whose colour the image's own lesion/skin contrast contradicts. */
  'certain-disagrees-with-image',
  /** Lesion along the image frame: a vignette corner, a ruler, or background labelled lesion. */
  'lesion-touches-border',
  /** Lesion components apart from the main one (artefacts, hair, stickers, stray blobs). */
  'many-components',
  /** Background enclosed by the lesion. */
  'holes',
  /** No or almost no lesion. */
  'lesion-tiny',
  /** Lesion over most of the image. */
  'lesion-huge',
  /** A large share of the lesion's neighbourhood is uncertain. */
  'uncertain-large',
  /** The assisted resolution was not confident (reported by the caller; not computed here). */
  'assist-low-confidence',
  /**
   * The mask is in the ISIC challenge convention (0 background / 255 lesion), not a weak map: scored
   * as converted (255 → lesion); it needs converting before it is curated (given by the caller).
   */
  'challenge-convention',
  /**
   * The mask's size differs from its image's: scored from the mask alone (the image is not stretched
   * onto it); the pair cannot be curated or exported until the mask is replaced (given by the caller).
   */
  'mask-size',
] as const

export type TriageReasonCode = (typeof TRIAGE_REASON_CODES)[number]

/** A rectangle in mask pixels. */
export interface TriageRegion {
  x: number
  y: number
  w: number
  h: number
}

export interface TriageReason {
  code: TriageReasonCode
  /** In [0, 1]: how strongly this reason holds, on its own. */
  score: number
  /** Where, in mask pixels, for reasons tied to a region. */
  region?: TriageRegion
}

export interface TriageResult {
  /** In [0, 1]: higher = more likely wrong. */
  score: number
  /** Reasons with a sub-score of at least REASON_MIN_SCORE, strongest first. */
  reasons: TriageReason[]
}

/**
 * A small RGB image (interleaved, 3 bytes per pixel) on a grid of the mask reduced by a uniform
 * factor: mask pixel (x, y) falls in image cell (⌊x·width/maskWidth⌋, ⌊y·height/maskHeight⌋).
 */
export interface TriageImage {
  width: number
  height: number
  data: Uint8Array
}

/** Reasons below this sub-score are left out of a result. */
export const REASON_MIN_SCORE = 0.1
