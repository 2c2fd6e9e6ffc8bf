/**
 * Scoring one pair for triage (issue #13): the work a triage worker does per item, also run inline
 * when no worker is wanted. Reads the mask (source location, or the corrected file) and the image
 * from their locations, decodes the mask exactly, and scores it with the image decoded small
 * (scoreFromBytes). Never throws: an unreadable image gives the mask-only score with reason
 * `image-unreadable`, an image of another size than the mask the mask-only score with reason
 * `mask-size`; an unreadable mask gives an error result (the pair keeps no score).
 */
import { convertChallengeMask, isChallengeConvention } from '../../../shared/labels/analysis'
import { readLabelMap } from '../mask/labelMap'
import { readLocated, type SourceLocation } from '../sources/fileSource'
import type { ZipReader } from '../zip/zipReader'
import type { TriageReason } from '../../../shared/labels/triage/types'
import { scoreFromBytes } from './scoreFromBytes'

/** One pair to score, as plain data (structured-clonable). */
export interface TriageItem {
  index: number
  id: string
  /** The current mask: the source's location, or the corrected file as a folder location. */
  mask: SourceLocation
  maskFile: string
  image: SourceLocation
  /** The key the result is recorded for (see triageScores.ts). */
  key: string
}

export interface TriageItemResult {
  index: number
  id: string
  key: string
  /** Absent when the mask could not be read (then `error` says why). */
  score?: number
  reasons?: TriageReason[]
  /** False when the image could not be read (the score is then the mask-only one). */
  withImage?: boolean
  error?: string
}

/** Scores one item. Never throws. */
export async function scoreItem(
  item: TriageItem,
  zips: Map<string, Promise<ZipReader>>,
): Promise<TriageItemResult> {
  const base = { index: item.index, id: item.id, key: item.key }
  const imageRead = readLocated(item.image, zips).catch(() => null)
  try {
    const { map, counts } = readLabelMap(await readLocated(item.mask, zips), item.maskFile)
    // A challenge-convention mask (0 / 255 lesion) is scored as what it means, never as all uncertain.
    const challenge = isChallengeConvention(map, counts)
    const image = await imageRead
    const r = await scoreFromBytes(challenge ? convertChallengeMask(map, item.maskFile) : map, image)
    const withImage = !r.reasons.some((x) => x.code === 'image-unreadable' || x.code === 'mask-size')
    const reasons: TriageReason[] = challenge
      ? [{ code: 'challenge-convention', score: 1 }, ...r.reasons]
      : r.reasons
    return { ...base, score: r.score, reasons, withImage }
  } catch (err) {
    await imageRead
    return { ...base, error: err instanceof Error ? err.message : String(err) }
  }
}
