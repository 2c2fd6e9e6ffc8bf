import path from 'node:path'
import { CodedError, toApiError, type ApiError } from '../../shared/api/errors'
import type { DatasetSummary, PairData, PairPage, PairSummary } from '../../shared/api/contract'
import type { LabelCounts, LabelMap } from '../../shared/labels/codes'
import { openFileSource, type FileSource, type SourceLocation } from './sources/fileSource'
import { checkMaskSize, readLabelMapAsync } from './mask/labelMap'
import { readPngHeader, type MaskPngFormat } from './mask/maskPng'
import {
  DEFAULT_MAX_IMAGE_PIXELS,
  readImageHeader,
  readImageHeaderByHeads,
  type ImageHeader,
} from './images/imageHeader'
import { convertChallengeMask, isChallengeConvention } from '../../shared/labels/analysis'
import { ByteLru } from './pairCache'
import { idNumber, idString, maskKeysOf, pairFiles, type FileAt, type Pairing } from './pairing'

/**
 * Mask file names: `ISIC_0000000.png` (extension in any case), also with the challenge's
 * `_segmentation`/`_Segmentation` suffix, in any folder (of a zip or on disk). The id is `ISIC_` and
 * seven digits. (pairing.ts applies the same rule without a regex.)
 */
export const MASK_NAME = /(?:^|\/)(ISIC_\d{7})(?:_[Ss]egmentation)?\.[Pp][Nn][Gg]$/
/** Image file names: `ISIC_0000000` with `.jpg`, `.jpeg` or `.png` (any case), in any folder. */
export const IMAGE_NAME = /(?:^|\/)(ISIC_\d{7})\.(?:[Jj][Pp][Ee]?[Gg]|[Pp][Nn][Gg])$/

/** Default byte budget of the cache of opened pairs (image bytes + decoded mask). */
export const DEFAULT_PREFETCH_BYTES = 256 * 1024 * 1024
/** Prefetches loading at once; more requests wait (newest first), the oldest dropped past the queue cap. */
const PREFETCH_CONCURRENCY = 2
const PREFETCH_QUEUE_MAX = 4

export interface DatasetSources {
  masks: string
  images: string[]
}

export interface DatasetOptions {
  /**
   * Folder for the index cache: per-source zip indexes and folder listings, reused while the source is
   * unchanged (see sources/indexCache.ts). Without it every open reads the sources' indexes again.
   */
  cacheDir?: string
  /** Byte budget of the cache of opened pairs (prefetch). Default 256 MiB; 0 disables it. */
  prefetchBytes?: number
  /** Images whose header declares more pixels are refused with `image-too-large`. Default 100 Mpx. */
  maxImagePixels?: number
}

/** One ISIC id found more than once among the masks, or among the images. */
export interface DuplicateId {
  id: string
  role: 'mask' | 'image'
  /** The file used (`zip!entry` or a path). */
  used: string
  /** The other files holding the same id, not used. */
  ignored: string[]
}

/** How one source opened. */
export interface SourceStatus {
  role: 'masks' | 'images'
  path: string
  /** Undefined when the source could not be opened (see `error`). */
  kind?: 'zip' | 'folder'
  /** Readable files listed (0 when it failed). */
  files: number
  /** True when the listing came from the index cache. */
  fromCache: boolean
  /** Why the source is not used (a broken image source does not stop the others). */
  error?: ApiError
}

/** Everything learnt while pairing: the ids are complete lists, sorted. */
export interface DatasetReport {
  pairs: number
  masksWithoutImage: string[]
  imagesWithoutMask: string[]
  duplicates: DuplicateId[]
  /** Files whose names match neither the mask nor the image naming rule (ignored). */
  ignoredFiles: number
  /**
   * Zip entries never read: unsafe names (absolute, `..`, backslash: `zip-unsafe-path`) and encrypted
   * or unsupported ones (`zip-unsupported`); `file` is `zip!entry`.
   */
  refusedEntries: { file: string; code: 'zip-unsafe-path' | 'zip-unsupported' }[]
  sources: SourceStatus[]
}

/**
 * What to do with a mask in the challenge convention (0 background / 255 lesion, see
 * shared/labels/analysis.ts): refuse it with `challenge-convention` (the default), convert it (255 → 1) in the
 * returned copy, or return it as stored (255 read as uncertain).
 */
export type ChallengeMode = 'refuse' | 'convert' | 'as-is'

/**
 * A source mask under a ChallengeMode: `challenge` says whether it is in the challenge convention
 * (isChallengeConvention). 'refuse' throws `challenge-convention`, 'convert' returns a converted copy
 * (255 → 1) with its counts, 'as-is' (or a weak map) returns the map and counts given.
 */
export function applyChallengeMode(
  map: LabelMap,
  counts: LabelCounts,
  challenge: boolean,
  mode: ChallengeMode,
  file: string,
): { map: LabelMap; counts: LabelCounts } {
  if (!challenge || mode === 'as-is') return { map, counts }
  if (mode === 'refuse') {
    throw new CodedError(
      'challenge-convention',
      `${file}: this mask looks like an ISIC challenge mask (0 background, 255 lesion, no 1 pixels); ` +
        'read as a weak map it would be all uncertain. Convert it (255 → 1) or open it as stored.',
      file,
    )
  }
  return {
    map: convertChallengeMask(map, file),
    counts: { ...counts, lesion: counts.uncertain, uncertain: 0 },
  }
}

/**
 * A label map just read from a source mask file (readLabelMap), under a ChallengeMode: its own
 * convention is checked here (isChallengeConvention). The same errors as applyChallengeMode.
 */
export function readUnderChallengeMode(
  read: { map: LabelMap; counts: LabelCounts },
  mode: ChallengeMode,
  file: string,
): { map: LabelMap; counts: LabelCounts } {
  return applyChallengeMode(read.map, read.counts, isChallengeConvention(read.map, read.counts), mode, file)
}

/** PairData plus what the image header says (stored size; EXIF orientation reported, never applied). */
export interface DatasetPair extends PairData {
  image: PairData['image'] & { width: number; height: number; orientation?: number }
  /** True when the mask is in the challenge convention (returned only with mode 'convert' or 'as-is'). */
  challengeConvention: boolean
  /** True when the mask was converted from the challenge convention (mode 'convert'). */
  converted: boolean
}

/** Where both files of a pair live, as plain data: what scan workers need to read them themselves. */
export interface PairLocation {
  index: number
  id: string
  mask: SourceLocation
  maskFile: string
  image: SourceLocation
  imageFile: string
}

/** A loaded pair as cached: the mask as stored, checked, before any challenge-convention handling. */
interface LoadedPair {
  id: string
  image: DatasetPair['image']
  mask: LabelMap & { name: string }
  counts: LabelCounts
  challenge: boolean
  maskFile: string
}

/**
 * An opened dataset: the masks source and the image sources, paired by ISIC id and sorted by id.
 * Holds one small record per pair (43,885 of them is a few MB), never file contents beyond the
 * byte-bounded cache of opened pairs.
 *
 * Pairing rules: masks come from the masks source only, images from the image sources only. When an
 * id has several masks, the first by path (code-point order) is used; when it has several images, the
 * first image source (in the order given) holding it wins, and within one source the first by path.
 * Every such id is reported in `report().duplicates` with the file used and the ones ignored.
 *
 * A masks source that cannot be opened fails `open`. An image source that cannot be opened (missing,
 * not a zip, truncated or corrupt central directory…) is reported in `report().sources` with its error
 * and the others are used; `open` fails only when every image source fails.
 */
/** Mask formats remembered (a few hundred bytes each at most: a palette). */
const MASK_FORMATS_MAX = 4096

export class Dataset {
  private readonly cache: ByteLru<number, LoadedPair>
  private readonly maxImagePixels: number
  private prefetching = 0
  private readonly prefetchQueue: number[] = []
  private closed = false
  /** The PNG format of source masks decoded so far (a save writes in it), most recent last. */
  private readonly maskFormats = new Map<number, MaskPngFormat>()

  private constructor(
    private readonly masks: FileSource,
    private readonly images: FileSource[],
    /** Pairs by position, sorted by id (typed arrays: no object per pair). */
    private readonly pairing: Pairing,
    private readonly info: DatasetReport,
    opts: DatasetOptions,
  ) {
    this.cache = new ByteLru(opts.prefetchBytes ?? DEFAULT_PREFETCH_BYTES, pairBytes)
    this.maxImagePixels = opts.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS
  }

  static async open(sources: DatasetSources, opts: DatasetOptions = {}): Promise<Dataset> {
    const sourceOpts = { cacheDir: opts.cacheDir }
    // The same image source named twice is used once.
    const imagePaths = [...new Set(sources.images.map((p) => path.resolve(p)))]
    // The masks' pairing keys are computed as soon as their source is open, while the image
    // folders are still being listed (the listing of 43,885 names is the longer of the two).
    let maskKeys: Float64Array | undefined
    const [maskResult, ...imageResults] = await Promise.allSettled([
      openFileSource(sources.masks, sourceOpts).then((s) => {
        try {
          maskKeys = maskKeysOf(s)
        } catch {
          // Too many files: pairFiles says so below.
        }
        return s
      }),
      ...imagePaths.map((p) => openFileSource(p, sourceOpts)),
    ])
    const images: FileSource[] = []
    for (const r of imageResults) if (r.status === 'fulfilled') images.push(r.value)
    if (maskResult.status === 'rejected') {
      await Promise.allSettled(images.map((s) => s.close()))
      throw maskResult.reason
    }
    const masks = maskResult.value
    const statuses: SourceStatus[] = [
      {
        role: 'masks',
        path: masks.path,
        kind: masks.kind,
        files: masks.count,
        fromCache: masks.fromCache,
      },
    ]
    imageResults.forEach((r, i) => {
      statuses.push(
        r.status === 'fulfilled'
          ? {
              role: 'images',
              path: r.value.path,
              kind: r.value.kind,
              files: r.value.count,
              fromCache: r.value.fromCache,
            }
          : { role: 'images', path: imagePaths[i], files: 0, fromCache: false, error: toApiError(r.reason) },
      )
    })
    if (images.length === 0 && imagePaths.length > 0) {
      await masks.close().catch(() => undefined)
      const first = imageResults.find((r) => r.status === 'rejected') as PromiseRejectedResult
      if (imagePaths.length === 1) throw first.reason
      const err = toApiError(first.reason)
      throw new CodedError(
        err.code,
        `none of the ${imagePaths.length} image sources could be opened; the first: ${err.message}`,
        err.file,
      )
    }
    const pairing = pairFiles(masks, images, maskKeys)
    return new Dataset(masks, images, pairing, reportOf(masks, images, pairing, statuses), opts)
  }

  get size(): number {
    return this.pairing.ids.length
  }

  summary(): DatasetSummary {
    return {
      name: path.basename(this.masks.path),
      masksSource: this.masks.path,
      imageSources: this.images.map((s) => s.path),
      pairCount: this.size,
      masksWithoutImage: this.info.masksWithoutImage.length,
      imagesWithoutMask: this.info.imagesWithoutMask.length,
    }
  }

  /** The full pairing report (complete id lists, duplicates, sources with their errors). */
  report(): DatasetReport {
    return this.info
  }

  page(offset: number, limit: number): PairPage {
    const items: PairSummary[] = []
    const end = Math.min(this.size, offset + limit)
    for (let i = offset; i < end; i++) items.push({ index: i, id: idString(this.pairing.ids[i]) })
    return { total: this.size, offset, items }
  }

  find(id: string): PairSummary {
    const n = idNumber(id)
    // Pairs are sorted by id: a binary search, no map.
    const ids = this.pairing.ids
    let lo = 0
    let hi = ids.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (ids[mid] < n) lo = mid + 1
      else hi = mid
    }
    if (n < 0 || lo >= ids.length || ids[lo] !== n) throw new CodedError('not-found', `no pair with id ${id}`)
    return { index: lo, id }
  }

  /** The ISIC id of the pair at `index` (sorted by id). */
  idAt(index: number): string {
    this.check(index)
    return idString(this.pairing.ids[index])
  }

  /** Both files of a pair as plain data (for reads from worker threads). */
  locate(index: number): PairLocation {
    this.check(index)
    const p = this.pairing
    const image = this.images[p.imageSources[index]]
    return {
      index,
      id: idString(p.ids[index]),
      mask: this.masks.locateAt(p.maskFiles[index]),
      maskFile: this.masks.describe(this.masks.nameAt(p.maskFiles[index])),
      image: image.locateAt(p.imageFiles[index]),
      imageFile: image.describe(image.nameAt(p.imageFiles[index])),
    }
  }

  /** The masks that have no image (by id), located: they can be scanned alone (no size check). */
  locateMasksWithoutImage(): { id: string; mask: SourceLocation; maskFile: string }[] {
    const p = this.pairing
    return Array.from(p.unpairedIds, (id, k) => ({
      id: idString(id),
      mask: this.masks.locateAt(p.unpairedFiles[k]),
      maskFile: this.masks.describe(this.masks.nameAt(p.unpairedFiles[k])),
    }))
  }

  /** The source mask file of a pair, as stored, and a name for messages (`zip!entry` or a path). */
  async readMaskBytes(index: number): Promise<{ bytes: Buffer; file: string }> {
    this.check(index)
    const f = this.pairing.maskFiles[index]
    return { bytes: await this.masks.readAt(f), file: this.masks.describe(this.masks.nameAt(f)) }
  }

  /**
   * The source mask's PNG format, when this dataset has decoded that mask (openPair, prefetch);
   * undefined otherwise (read it with readMaskBytes then). Sources never change while open.
   */
  maskFormat(index: number): MaskPngFormat | undefined {
    return this.maskFormats.get(index)
  }

  /** The image file of a pair, as stored. */
  async readImageBytes(index: number): Promise<{ bytes: Buffer; file: string; name: string; mime: string }> {
    this.check(index)
    const source = this.images[this.pairing.imageSources[index]]
    const f = this.pairing.imageFiles[index]
    const name = source.nameAt(f)
    return { bytes: await source.readAt(f), file: source.describe(name), name, mime: mimeOf(name) }
  }

  /**
   * The header of a pair's image (size, orientation), within the dataset's pixel limit, from a head
   * of the file: 16 KiB, then 256 KiB, then the whole file (a JPEG's EXIF can push its frame header
   * far in). Never the whole image when a head is enough.
   */
  async readImageHeader(index: number): Promise<{ header: ImageHeader; file: string }> {
    this.check(index)
    const source = this.images[this.pairing.imageSources[index]]
    const f = this.pairing.imageFiles[index]
    const file = source.describe(source.nameAt(f))
    const read = (head: number | undefined) =>
      head === undefined ? source.readAt(f) : source.readHeadAt(f, head)
    return { header: await readImageHeaderByHeads(read, file, { maxPixels: this.maxImagePixels }), file }
  }

  /**
   * The image of a pair alone, with what its header says, within the dataset's pixel limit: from
   * the pair cache when the pair is there, else read (the mask is not read: e.g. a pair whose
   * corrected mask is what is shown).
   */
  async openImage(index: number): Promise<DatasetPair['image']> {
    this.check(index)
    if (this.cache.has(index)) return (await this.cache.getOrLoad(index, () => this.load(index))).image
    const f = await this.readImageBytes(index)
    return this.imageOf(f.name, f.bytes, f.file)
  }

  /** An image's bytes with its header read (`image-*` when it is not a JPEG or PNG within the limit). */
  private imageOf(name: string, bytes: Buffer, file: string): DatasetPair['image'] {
    const header = readImageHeader(bytes, file, { maxPixels: this.maxImagePixels })
    const image: DatasetPair['image'] = {
      name,
      mime: header.format === 'png' ? 'image/png' : 'image/jpeg',
      bytes,
      width: header.width,
      height: header.height,
    }
    if (header.orientation !== undefined) image.orientation = header.orientation
    return image
  }

  private check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size)
      throw new CodedError('not-found', `no pair at position ${index} (there are ${this.size})`)
  }

  /**
   * The image bytes and the exact label map of one pair, checked: the image header must be a JPEG or
   * PNG within the pixel limit (`image-*`), the mask must decode exactly with values in {0, 1, 255}
   * (`png-*`, `mask-*`), have the image's stored size (`mask-size`), and not be in the challenge
   * convention unless `challenge` says what to do with it (`challenge-convention`).
   *
   * Served from the prefetch cache when there. The returned object (its byte arrays included) may be
   * shared with the cache and with other callers: treat it as read-only (copy before editing).
   */
  async openPair(index: number, opts: { challenge?: ChallengeMode } = {}): Promise<DatasetPair> {
    this.check(index)
    const loaded = await this.cache.getOrLoad(index, () => this.load(index))
    const { map: mask, counts } = applyChallengeMode(
      loaded.mask,
      loaded.counts,
      loaded.challenge,
      opts.challenge ?? 'refuse',
      loaded.maskFile,
    )
    return {
      index,
      id: loaded.id,
      total: this.size,
      image: loaded.image,
      mask: mask === loaded.mask ? loaded.mask : { ...mask, name: loaded.mask.name },
      counts,
      challengeConvention: loaded.challenge,
      converted: loaded.challenge && opts.challenge === 'convert',
    }
  }

  /**
   * Starts loading a pair into the cache in the background and returns at once (never throws, never
   * blocks: the work starts after the current I/O callbacks, so a response being sent goes first).
   * Out-of-range indexes are ignored; errors surface only when the pair is opened.
   */
  prefetch(index: number): void {
    if (this.closed || !Number.isInteger(index) || index < 0 || index >= this.size) return
    if (this.cache.limit === 0 || this.cache.has(index) || this.prefetchQueue.includes(index)) return
    this.prefetchQueue.unshift(index)
    if (this.prefetchQueue.length > PREFETCH_QUEUE_MAX) this.prefetchQueue.pop()
    setImmediate(() => this.pumpPrefetch())
  }

  /** Bytes held by the cache of opened pairs, and its keys (least recent first). For tests and stats. */
  cacheState(): { bytes: number; limit: number; indexes: number[] } {
    return { bytes: this.cache.bytes, limit: this.cache.limit, indexes: this.cache.keys() }
  }

  private pumpPrefetch(): void {
    while (!this.closed && this.prefetching < PREFETCH_CONCURRENCY && this.prefetchQueue.length > 0) {
      const index = this.prefetchQueue.shift() as number
      if (this.cache.has(index)) continue
      this.prefetching++
      this.cache
        .getOrLoad(index, () => this.load(index))
        .catch(() => undefined)
        .finally(() => {
          this.prefetching--
          this.pumpPrefetch()
        })
    }
  }

  private async load(index: number): Promise<LoadedPair> {
    const p = this.pairing
    const maskName = this.masks.nameAt(p.maskFiles[index])
    const imageSource = this.images[p.imageSources[index]]
    const imageName = imageSource.nameAt(p.imageFiles[index])
    const maskFile = this.masks.describe(maskName)
    const imageFile = imageSource.describe(imageName)
    const [maskBytes, imageBytes] = await Promise.all([
      this.masks.readAt(p.maskFiles[index]),
      imageSource.readAt(p.imageFiles[index]),
    ])
    const image = this.imageOf(imageName, imageBytes, imageFile)
    // The size from the PNG header first: a mask of the wrong size is refused before it is inflated
    // (a few hundred KB can declare 16384×16384 zeros); the inflate itself runs on the thread pool.
    checkMaskSize(readPngHeader(maskBytes, maskFile), image, maskFile, imageFile)
    const { map, counts, format } = await readLabelMapAsync(maskBytes, maskFile)
    this.maskFormats.delete(index)
    this.maskFormats.set(index, format)
    if (this.maskFormats.size > MASK_FORMATS_MAX)
      this.maskFormats.delete(this.maskFormats.keys().next().value as number)
    return {
      id: idString(p.ids[index]),
      image,
      mask: { name: maskName, width: map.width, height: map.height, data: map.data },
      counts,
      challenge: isChallengeConvention(map, counts),
      maskFile,
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.prefetchQueue.length = 0
    this.cache.clear()
    await Promise.allSettled([this.masks, ...this.images].map((s) => s.close()))
  }
}

function pairBytes(p: LoadedPair): number {
  return p.image.bytes.byteLength + p.mask.data.byteLength
}

function reportOf(
  masks: FileSource,
  images: FileSource[],
  p: Pairing,
  sources: SourceStatus[],
): DatasetReport {
  const describe = (role: 'mask' | 'image', f: FileAt) => {
    const source = role === 'mask' ? masks : images[f.source]
    return source.describe(source.nameAt(f.file))
  }
  const refusedEntries: DatasetReport['refusedEntries'] = []
  for (const source of [masks, ...images]) {
    for (const r of source.refused) refusedEntries.push({ file: source.describe(r.name), code: r.code })
  }
  return {
    pairs: p.ids.length,
    masksWithoutImage: Array.from(p.unpairedIds, idString),
    imagesWithoutMask: Array.from(p.imagesWithoutMask, idString),
    duplicates: p.duplicates.map((d) => ({
      id: idString(d.id),
      role: d.role,
      used: describe(d.role, d.used),
      ignored: d.ignored.map((f) => describe(d.role, f)),
    })),
    ignoredFiles: p.ignored,
    refusedEntries,
    sources,
  }
}

function mimeOf(name: string): string {
  return /\.png$/i.test(name) ? 'image/png' : 'image/jpeg'
}
