/**
 * Scoring resolved masks against a folder of truth masks (for `wsm-curator resolve --truth` and any
 * other caller of batchResolve): finding a pair's truth file, reading it as 0/1 (the ISIC challenge's
 * 0/255 convention included, 255 read as lesion), and pooling the scores of the method and of the
 * nearest-certain-label baseline.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import { resolveNearestLabel } from '../../../shared/labels/assist/baselines'
import { aggregate, evaluate, type PairScore } from '../../../shared/labels/assist/evaluate'
import {
  countLabels,
  findInvalidLabel,
  LABEL_BACKGROUND,
  LABEL_LESION,
  type LabelMap,
} from '../../../shared/labels/codes'
import { decodeMaskPng } from '../mask/maskPng'

/** How a truth file was read: '0/255' is the challenge convention (255 → lesion). */
export type TruthConvention = '0/1' | '0/255'

export interface TruthSummary {
  dir: string
  /** Resolved pairs scored against a truth file. */
  scored: number
  /** Resolved pairs without a truth file. */
  missing: number
  /** Truth files in the 0/255 challenge convention (read with 255 as lesion). */
  challengeConvention: number
  /** Pixel-pooled accuracy on the uncertain pixels, mean and minimum per pair. */
  accuracy: number
  meanAccuracy: number
  minAccuracy: number
  meanDice: number
  minDice: number
  /** The same for the nearest-certain-label baseline. */
  baselineAccuracy: number
  baselineMeanAccuracy: number
  baselineMeanDice: number
}

/** A folder of truth masks, listed once. */
export interface TruthFolder {
  dir: string
  names: ReadonlySet<string>
}

/** Lists `dir`; CodedError 'io-error' when it cannot be read. */
export async function openTruthFolder(dir: string): Promise<TruthFolder> {
  let names: string[]
  try {
    names = await fsp.readdir(dir)
  } catch (err) {
    throw new CodedError(
      'io-error',
      `cannot read the truth folder ${dir} (${(err as NodeJS.ErrnoException).code ?? err})`,
      dir,
    )
  }
  return { dir, names: new Set(names) }
}

/** `<id>.png`, else `<id>_segmentation.png` (the challenge's name), else undefined. */
export function truthFileOf(folder: TruthFolder, id: string): string | undefined {
  for (const name of [`${id}.png`, `${id}_segmentation.png`]) {
    if (folder.names.has(name)) return path.join(folder.dir, name)
  }
  return undefined
}

/**
 * Reads a truth mask as 0/1: a 0/1 PNG as is; a 0/255 PNG (the challenge convention) with 255 read
 * as lesion. Anything else ('mask-values'), or another size than the mask's ('mask-size'), is an
 * error.
 */
export async function readTruth(
  file: string,
  width: number,
  height: number,
): Promise<{ data: Uint8Array; convention: TruthConvention }> {
  let bytes: Buffer
  try {
    bytes = await fsp.readFile(file)
  } catch (err) {
    throw new CodedError(
      'io-error',
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      file,
    )
  }
  const decoded = decodeMaskPng(bytes, file)
  if (decoded.width !== width || decoded.height !== height) {
    throw new CodedError(
      'mask-size',
      `the truth mask is ${decoded.width}×${decoded.height} but the mask is ${width}×${height}`,
      file,
    )
  }
  const data = decoded.data
  const counts = countLabels(data)
  if (counts.invalid > 0) {
    const i = findInvalidLabel(data)
    throw new CodedError(
      'mask-values',
      `the truth mask holds ${data[i]} at index ${i}: expected 0/1 or 0/255`,
      file,
    )
  }
  // 255 counts as "uncertain" in the weak masks' labels; in a truth mask it is the challenge's lesion.
  if (counts.lesion > 0 && counts.uncertain > 0) {
    throw new CodedError('mask-values', `the truth mask holds both 1 and 255: expected 0/1 or 0/255`, file)
  }
  if (counts.uncertain === 0) return { data, convention: '0/1' }
  const out = new Uint8Array(data.length)
  for (let i = 0; i < data.length; i++) out[i] = data[i] === 255 ? LABEL_LESION : LABEL_BACKGROUND
  return { data: out, convention: '0/255' }
}

/** One resolved pair's scores: the method's and the nearest-label baseline's. */
export interface TruthScores {
  score: PairScore
  baseline: PairScore
}

/**
 * Scores resolved pairs against a truth folder, one pair at a time, and pools them (summary()).
 * readFor() is called before anything is saved, so a bad truth file fails the pair first.
 */
export class TruthScorer {
  readonly #folder: TruthFolder
  readonly #scores: PairScore[] = []
  readonly #baselines: PairScore[] = []
  #missing = 0
  #challenge = 0

  private constructor(folder: TruthFolder) {
    this.#folder = folder
  }

  static async open(dir: string): Promise<TruthScorer> {
    return new TruthScorer(await openTruthFolder(dir))
  }

  /** The pair's truth as 0/1 and how it was read, or 'missing' when the folder has none. */
  async readFor(
    id: string,
    width: number,
    height: number,
  ): Promise<{ data: Uint8Array; convention: TruthConvention } | 'missing'> {
    const file = truthFileOf(this.#folder, id)
    return file === undefined ? 'missing' : readTruth(file, width, height)
  }

  /** Counts a resolved pair without a truth file. */
  countMissing(): void {
    this.#missing++
  }

  /** Scores `resolved` (the resolution of `weak`) and the baseline against `truth`, and pools them. */
  score(resolved: LabelMap, weak: LabelMap, truth: Uint8Array, convention: TruthConvention): TruthScores {
    const score = evaluate(resolved, truth, weak)
    const baseline = evaluate(resolveNearestLabel(weak), truth, weak)
    this.#scores.push(score)
    this.#baselines.push(baseline)
    if (convention === '0/255') this.#challenge++
    return { score, baseline }
  }

  summary(): TruthSummary {
    const a = aggregate(this.#scores)
    const b = aggregate(this.#baselines)
    return {
      dir: this.#folder.dir,
      scored: this.#scores.length,
      missing: this.#missing,
      challengeConvention: this.#challenge,
      accuracy: a.accuracy,
      meanAccuracy: a.meanAccuracy,
      minAccuracy: a.minAccuracy,
      meanDice: a.meanDice,
      minDice: a.minDice,
      baselineAccuracy: b.accuracy,
      baselineMeanAccuracy: b.meanAccuracy,
      baselineMeanDice: b.meanDice,
    }
  }
}
