/**
 * Scanning one mask (and its image's header): the work a scan worker does per item, also run inline
 * when no worker is wanted. Reads the files itself from their locations (no bytes cross threads,
 * unless the caller already has them).
 */
import { CodedError, isErrorCode, type ErrorCode } from '../../../shared/api/errors'
import { checkMaskSize } from '../mask/labelMap'
import { readImageHeaderByHeads, type ImageHeader } from '../images/imageHeader'
import { decodeMaskPng } from '../mask/maskPng'
import { readLocated, type SourceLocation } from '../sources/fileSource'
import type { ZipReader } from '../zip/zipReader'
import {
  analyzeMask,
  analyzeMaskWithRuns,
  type LabelRuns,
  type MaskAnalysis,
} from '../../../shared/labels/analysis'
import { scoreMaskRuns } from '../../../shared/labels/triage/maskFeatures'

/** One mask to scan, as plain data. */
export interface ScanItem {
  index: number
  id: string
  mask: SourceLocation
  /** `zip!entry` or a path: names the mask in results and messages. */
  maskFile: string
  /** The paired image, whose header gives the size the mask must have; absent for masks alone. */
  image?: SourceLocation
  imageFile?: string
  /** The mask file's bytes when the caller read them already (then `mask` is not read). */
  maskBytes?: Uint8Array
}

/** What the scan learns about one mask. */
export interface MaskScanResult {
  index: number
  id: string
  /** The mask file (`zip!entry` or a path). */
  file: string
  /**
   * null when the pair is usable as is; otherwise the first problem, in this order: the mask file
   * (read, `png-*`, `mask-colour`, `mask-16bit`, `mask-values`), the image header (read, `image-*`),
   * `mask-size`, `challenge-convention`.
   */
  code: ErrorCode | null
  message: string | null
  /** The mask's analysis whenever it decodes (also when the image or the size is the problem). */
  analysis: MaskAnalysis | null
  /** The image header, when an image was given and its header reads. */
  image: ImageHeader | null
  /**
   * An image was given and its header did not read (whether or not that is the result's problem,
   * ScanSettings.imageErrors): the mask's size was not checked against it.
   */
  imageUnread?: boolean
  /**
   * The mask-only triage score (ScanSettings.triage), from the runs the analysis made: absent when
   * not asked for, when the mask does not decode, or for a challenge-convention mask.
   */
  triage?: ScanTriage
}

/**
 * A triage result as the scan hands it on: the reasons already as the JSON the workspace stores
 * (a string crosses from the worker cheaper than the objects, and is not serialized again there).
 */
export interface ScanTriage {
  score: number
  /** JSON of the TriageReason[] (strongest first). */
  reasons: string
}

export interface ScanSettings {
  maxImagePixels?: number
  /** Read image heads from folders with blocking calls (set in worker threads only). */
  syncHeads?: boolean
  /**
   * Also score each mask for triage, mask only (issue #13: shared/labels/triage/maskFeatures.ts), in
   * the same pass: from the analysis's runs, no second decode. The image pass refines it later.
   */
  triage?: boolean
  /**
   * 'report' (default): an image whose header does not read is the result's problem. 'ignore': the
   * header serves the size check only (the workspace's statistics describe the mask: a pair whose
   * image is unreadable keeps its mask's statistics, and the mask its own problem, if any).
   */
  imageErrors?: 'report' | 'ignore'
}

/** Reads what a head of the image needs (imageHeader.ts `readImageHeaderByHeads`). */
function readHeader(
  loc: SourceLocation,
  file: string,
  zips: Map<string, Promise<ZipReader>>,
  settings: ScanSettings,
): Promise<ImageHeader> {
  return readImageHeaderByHeads(
    (head) => readLocated(loc, zips, head === undefined ? {} : { head, syncHead: settings.syncHeads }),
    file,
    { maxPixels: settings.maxImagePixels },
  )
}

function problem(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof CodedError && isErrorCode(err.code)) return { code: err.code, message: err.message }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) }
}

/** Scans one item. Never throws: every failure is a result with a code. */
export async function scanItem(
  item: ScanItem,
  zips: Map<string, Promise<ZipReader>>,
  settings: ScanSettings = {},
): Promise<MaskScanResult> {
  const result: MaskScanResult = {
    index: item.index,
    id: item.id,
    file: item.maskFile,
    code: null,
    message: null,
    analysis: null,
    image: null,
  }
  const maskRead = item.maskBytes ? Promise.resolve(item.maskBytes) : readLocated(item.mask, zips)
  const imageRead =
    item.image === undefined
      ? undefined
      : readHeader(item.image, item.imageFile ?? item.id, zips, settings).then(
          (h) => ({ ok: true as const, h }),
          (err: unknown) => ({ ok: false as const, err }),
        )
  try {
    const bytes = await maskRead
    const decoded = decodeMaskPng(bytes, item.maskFile)
    if (settings.triage) {
      const { analysis, runs } = analyzeMaskWithRuns(decoded, item.maskFile)
      result.analysis = analysis
      if (!analysis.challengeConvention) result.triage = maskScore(runs)
    } else {
      result.analysis = analyzeMask(decoded, item.maskFile)
    }
  } catch (err) {
    Object.assign(result, problem(withFile(err, item.maskFile)))
  }
  if (imageRead) {
    const r = await imageRead
    if (r.ok) result.image = r.h
    else {
      result.imageUnread = true
      if (result.code === null && settings.imageErrors !== 'ignore') Object.assign(result, problem(r.err))
    }
  }
  if (result.code === null && result.analysis && result.image) {
    try {
      checkMaskSize(result.analysis, result.image, item.maskFile, item.imageFile ?? item.id)
    } catch (err) {
      Object.assign(result, problem(err))
    }
  }
  if (result.code === null && result.analysis?.challengeConvention) {
    result.code = 'challenge-convention'
    result.message =
      `${item.maskFile}: looks like an ISIC challenge mask (0 background, 255 lesion, no 1 pixels); ` +
      'read as a weak map it would be all uncertain'
  }
  return result
}

/**
 * The mask-only triage score; a failure of it (a bug: it is pure and the map is valid) leaves the
 * pair without a score for the image pass to fill in, and never costs the mask its statistics.
 */
function maskScore(runs: LabelRuns): ScanTriage | undefined {
  try {
    const r = scoreMaskRuns(runs)
    return { score: r.score, reasons: JSON.stringify(r.reasons) }
  } catch {
    return undefined
  }
}

/** Decoder messages do not always name the file; results always do. */
function withFile(err: unknown, file: string): unknown {
  if (err instanceof CodedError && !err.message.includes(file)) {
    return new CodedError(err.code, `${file}: ${err.message}`, err.file ?? file)
  }
  return err
}
