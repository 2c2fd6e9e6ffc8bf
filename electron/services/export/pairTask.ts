/**
 * Preparing one pair of an export: its image and current mask read from their locations, checked,
 * the mask written per the profile, and the SHA-256 (and, for a zip, the CRC-32) of both files as
 * they will be written. The review state it depends on (which mask is current, its statistics) comes
 * with the job, as plain data: the caller (runExport.ts) checks that it still holds afterwards.
 *
 * Masks:
 * - wsm: an 8-bit greyscale, non-interlaced mask is copied byte for byte; any other (palette, fewer
 *   bits, interlaced) is re-encoded as 8-bit greyscale with the same values, so that every reader
 *   sees 0/1/255 as grey levels. Pixel counts come from the workspace statistics (the scan, or the
 *   save of a corrected mask) when they describe a mask of this size; a mask without statistics is
 *   decoded and checked (values, challenge convention).
 * - isic-challenge: decoded and mapped 0 → 0, 1 → 255; uncertain pixels per the policy (`refuse`
 *   leaves the pair out; `lesion` → 255, `background` → 0, counted).
 */
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { crc32 } from 'node:zlib'
import { CodedError } from '../../../shared/api/errors'
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN, type LabelMap } from '../../../shared/labels/codes'
import { fsError } from '../fs/atomicWrite'
import { sha256Hex } from '../fs/hash'
import { readImageHeader } from '../images/imageHeader'
import { checkMaskSize, readLabelMap } from '../mask/labelMap'
import { encodeMaskPng, readPngHeader } from '../mask/maskPng'
import { isChallengeConvention } from '../../../shared/labels/analysis'
import { readLocated, type SourceLocation } from '../sources/fileSource'
import type { ZipReader } from '../zip/zipReader'
import type { ExportProfile, MaskWritten, UncertainPolicy } from './format'

export interface PixelCounts {
  background: number
  lesion: number
  uncertain: number
}

/** One pair to prepare: where its files are, and what the workspace knows of its mask. */
export interface PairJob {
  id: string
  image: SourceLocation
  /** `zip!entry` or a path: names the file in messages and in the manifest. */
  imageFile: string
  /** The current mask: the workspace's corrected file, or the source mask. */
  mask: SourceLocation
  maskFile: string
  /** True when `mask` is the workspace's corrected file (its read errors are the workspace's). */
  corrected: boolean
  /** The workspace statistics of the current mask, if any. */
  stats: (PixelCounts & { width: number; height: number }) | null
  profile: ExportProfile
  /** isic-challenge only. */
  policy: UncertainPolicy | null
  /** Compute the CRC-32 of both written files (zip entries need it). */
  crc: boolean
}

/** One file as it will be written. */
export interface PreparedFile {
  bytes: Uint8Array
  sha256: string
  /** Null unless the job asked for it. */
  crc32: number | null
}

/** A pair ready to be written. */
export interface PreparedPair {
  kind: 'written'
  width: number
  height: number
  /** Pixel counts of the written mask. */
  pixels: PixelCounts
  uncertainAssigned: number
  written: MaskWritten
  image: PreparedFile
  mask: PreparedFile
  /**
   * SHA-256 of the corrected mask file as read (null for a source mask): the caller checks it against
   * the row's, since a save renames the new file before its row commits.
   */
  readSha256: string | null
}

export type PairOutcome =
  | PreparedPair
  /** isic-challenge + refuse: the mask holds uncertain pixels (found while decoding). */
  | { kind: 'uncertain-pixels'; uncertain: number; readSha256: string | null }

const GREY8 = { colorType: 0, bitDepth: 8, interlaced: false } as const

/** Bytes hashed per step: both checksums read a slice while it is still in the CPU cache. */
const DIGEST_SLICE = 64 * 1024

/**
 * SHA-256 (hex, as fs/hash.ts's sha256Hex gives it) and, for zip entries, CRC-32 in one pass over
 * the bytes, slice by slice.
 */
function prepared(bytes: Uint8Array, crc: boolean): PreparedFile {
  const hash = createHash('sha256')
  let c = 0
  for (let at = 0; at < bytes.length; at += DIGEST_SLICE) {
    const slice = bytes.subarray(at, Math.min(bytes.length, at + DIGEST_SLICE))
    hash.update(slice)
    if (crc) c = crc32(slice, c)
  }
  return { bytes, sha256: hash.digest('hex'), crc32: crc ? c >>> 0 : null }
}

async function readMask(job: PairJob, zips: Map<string, Promise<ZipReader>>): Promise<Buffer> {
  if (!job.corrected || job.mask.kind !== 'folder') return readLocated(job.mask, zips)
  // A corrected mask is a workspace file: its errors say what the file system said (disk, rights).
  try {
    return await fsp.readFile(job.mask.path)
  } catch (err) {
    throw fsError(err, job.maskFile, 'read')
  }
}

/**
 * Reads and prepares one pair (see the module comment). `alloc` provides the buffer of an image read
 * from a folder (a BufferPool's `take`). Errors: the pair's data errors (`image-*`, `png-*`, `mask-*`,
 * `challenge-convention`, `zip-*`) and read errors, as CodedErrors naming the file.
 */
export async function preparePairFiles(
  job: PairJob,
  zips: Map<string, Promise<ZipReader>>,
  alloc?: (size: number) => Buffer,
): Promise<PairOutcome> {
  const [imageBytes, maskBytes] = await Promise.all([
    readLocated(job.image, zips, { alloc }),
    readMask(job, zips),
  ])
  const header = readImageHeader(imageBytes, job.imageFile)
  const png = readPngHeader(maskBytes, job.maskFile)
  const grey8 = png.colorType === 0 && png.bitDepth === 8 && !png.interlaced
  const stats = job.stats
  const statsFit = stats !== null && stats.width === png.width && stats.height === png.height
  let map: LabelMap | undefined
  let counts: PixelCounts
  if (job.profile === 'wsm' && grey8 && statsFit) {
    counts = { background: stats.background, lesion: stats.lesion, uncertain: stats.uncertain }
  } else {
    const decoded = readLabelMap(maskBytes, job.maskFile) // exact decode; mask-values for anything but 0/1/255
    map = decoded.map
    counts = {
      background: decoded.counts.background,
      lesion: decoded.counts.lesion,
      uncertain: decoded.counts.uncertain,
    }
    if (!job.corrected && isChallengeConvention(map, decoded.counts)) {
      throw new CodedError(
        'challenge-convention',
        `${job.maskFile}: this mask looks like an ISIC challenge mask (0 background, 255 lesion, no 1 pixels), ` +
          'not a weak map; exporting it would carry 255 as uncertain. Review the pair (or reject it) first.',
        job.maskFile,
      )
    }
  }
  const width = png.width
  const height = png.height
  checkMaskSize({ width, height }, header, job.maskFile, job.imageFile)

  let out: Uint8Array
  let written: MaskWritten
  let pixels = counts
  let assigned = 0
  if (job.profile === 'wsm') {
    if (grey8) {
      out = maskBytes
      written = 'copied'
    } else {
      out = encodeMaskPng(map as LabelMap, GREY8)
      written = 'reencoded'
    }
  } else {
    const policy = job.policy ?? 'refuse'
    if (counts.uncertain > 0 && policy === 'refuse')
      return {
        kind: 'uncertain-pixels',
        uncertain: counts.uncertain,
        readSha256: job.corrected ? sha256Hex(maskBytes) : null,
      }
    const lut = new Uint8Array(256)
    lut[LABEL_BACKGROUND] = 0
    lut[LABEL_LESION] = 255
    lut[LABEL_UNCERTAIN] = policy === 'lesion' ? 255 : 0
    const src = (map as LabelMap).data
    const data = new Uint8Array(src.length)
    for (let i = 0; i < src.length; i++) data[i] = lut[src[i]]
    // 0 and 255 are both labels, so the mask encoder's value check passes them as they are.
    out = encodeMaskPng({ width, height, data }, GREY8)
    written = 'converted'
    assigned = counts.uncertain
    pixels =
      policy === 'lesion'
        ? { background: counts.background, lesion: counts.lesion + counts.uncertain, uncertain: 0 }
        : { background: counts.background + counts.uncertain, lesion: counts.lesion, uncertain: 0 }
  }
  const maskFile = prepared(out, job.crc)
  return {
    kind: 'written',
    width,
    height,
    pixels: { ...pixels },
    uncertainAssigned: assigned,
    written,
    image: prepared(imageBytes, job.crc),
    mask: maskFile,
    readSha256: !job.corrected ? null : out === maskBytes ? maskFile.sha256 : sha256Hex(maskBytes),
  }
}
