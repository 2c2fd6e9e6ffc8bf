import path from 'node:path'
import { CodedError, toApiError, type ApiError } from '../../shared/api/errors'
import type { DatasetSummary, PairData, PairPage, PairSummary } from '../../shared/api/contract'
import type { LabelCounts, LabelMap } from '../../shared/labels/codes'
import { openFileSource, type FileSource, type SourceLocation } from './sources/fileSource'
import { checkMaskSize, readLabelMap } from './masks'
import { DEFAULT_MAX_IMAGE_PIXELS, readImageHeader } from './images/imageHeader'
import { convertChallengeMask, isChallengeConvention } from './scan/analyze'
import { ByteLru } from './pairCache'

/**
 * Mask file names: `ISIC_0000000.png`, also with the challenge's `_segmentation`/`_Segmentation`
 * suffix, in any folder (of a zip or on disk). The id is `ISIC_` and seven digits.
 */
export const MASK_NAME = /(?:^|\/)(ISIC_\d{7})(?:_[Ss]egmentation)?\.png$/i
/** Image file names: `ISIC_0000000` with `.jpg`, `.jpeg` or `.png` (any case), in any folder. */
export const IMAGE_NAME = /(?:^|\/)(ISIC_\d{7})\.(?:jpe?g|png)$/i

/** Default byte budget of the cache of opened pairs (image bytes + decoded mask). */
export const DEFAULT_PREFETCH_BYTES = 256 * 1024 * 1024
/** Prefetches loading at once; more requests wait (newest first), the oldest dropped past the queue cap. */
const PREFETCH_CONCURRENCY = 2
const PREFETCH_QUEUE_MAX = 4

interface FileRef {
  source: FileSource
  name: string
}

interface Pair {
  id: string
  mask: FileRef
  image: FileRef
}

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
 * scan/analyze.ts): refuse it with `challenge-convention` (the default), convert it (255 → 1) in the
 * returned copy, or return it as stored (255 read as uncertain).
 */
export type ChallengeMode = 'refuse' | 'convert' | 'as-is'

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
export class Dataset {
  private readonly byId: Map<string, number>
  private readonly cache: ByteLru<number, LoadedPair>
  private readonly maxImagePixels: number
  private prefetching = 0
  private readonly prefetchQueue: number[] = []
  private closed = false

  private constructor(
    private readonly masks: FileSource,
    private readonly images: FileSource[],
    private readonly pairs: Pair[],
    private readonly unpaired: { id: string; mask: FileRef }[],
    private readonly info: DatasetReport,
    opts: DatasetOptions,
  ) {
    this.byId = new Map(pairs.map((p, i) => [p.id, i]))
    this.cache = new ByteLru(opts.prefetchBytes ?? DEFAULT_PREFETCH_BYTES, pairBytes)
    this.maxImagePixels = opts.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS
  }

  static async open(sources: DatasetSources, opts: DatasetOptions = {}): Promise<Dataset> {
    const sourceOpts = { cacheDir: opts.cacheDir }
    const masks = await openFileSource(sources.masks, sourceOpts)
    const statuses: SourceStatus[] = [
      {
        role: 'masks',
        path: masks.path,
        kind: masks.kind,
        files: masks.files.length,
        fromCache: masks.fromCache,
      },
    ]
    // The same image source named twice is used once.
    const imagePaths = [...new Set(sources.images.map((p) => path.resolve(p)))]
    const settled = await Promise.allSettled(imagePaths.map((p) => openFileSource(p, sourceOpts)))
    const images: FileSource[] = []
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        images.push(r.value)
        statuses.push({
          role: 'images',
          path: r.value.path,
          kind: r.value.kind,
          files: r.value.files.length,
          fromCache: r.value.fromCache,
        })
      } else {
        statuses.push({
          role: 'images',
          path: imagePaths[i],
          files: 0,
          fromCache: false,
          error: toApiError(r.reason),
        })
      }
    })
    if (images.length === 0 && imagePaths.length > 0) {
      await masks.close().catch(() => undefined)
      const first = settled.find((r) => r.status === 'rejected') as PromiseRejectedResult
      if (imagePaths.length === 1) throw first.reason
      const err = toApiError(first.reason)
      throw new CodedError(
        err.code,
        `none of the ${imagePaths.length} image sources could be opened; the first: ${err.message}`,
        err.file,
      )
    }
    const { pairs, unpaired, report } = pairSources(masks, images, statuses)
    return new Dataset(masks, images, pairs, unpaired, report, opts)
  }

  get size(): number {
    return this.pairs.length
  }

  summary(): DatasetSummary {
    return {
      name: path.basename(this.masks.path),
      masksSource: this.masks.path,
      imageSources: this.images.map((s) => s.path),
      pairCount: this.pairs.length,
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
    const end = Math.min(this.pairs.length, offset + limit)
    for (let i = offset; i < end; i++) items.push({ index: i, id: this.pairs[i].id })
    return { total: this.pairs.length, offset, items }
  }

  find(id: string): PairSummary {
    const index = this.byId.get(id)
    if (index === undefined) throw new CodedError('not-found', `no pair with id ${id}`)
    return { index, id }
  }

  /** The ISIC id of the pair at `index` (sorted by id). */
  idAt(index: number): string {
    return this.pairAt(index).id
  }

  /** Both files of a pair as plain data (for reads from worker threads). */
  locate(index: number): PairLocation {
    const pair = this.pairAt(index)
    return {
      index,
      id: pair.id,
      mask: pair.mask.source.locate(pair.mask.name),
      maskFile: describeRef(pair.mask),
      image: pair.image.source.locate(pair.image.name),
      imageFile: describeRef(pair.image),
    }
  }

  /** The masks that have no image (by id), located: they can be scanned alone (no size check). */
  locateMasksWithoutImage(): { id: string; mask: SourceLocation; maskFile: string }[] {
    return this.unpaired.map((u) => ({
      id: u.id,
      mask: u.mask.source.locate(u.mask.name),
      maskFile: describeRef(u.mask),
    }))
  }

  /** The source mask file of a pair, as stored, and a name for messages (`zip!entry` or a path). */
  async readMaskBytes(index: number): Promise<{ bytes: Buffer; file: string }> {
    const pair = this.pairAt(index)
    return { bytes: await pair.mask.source.read(pair.mask.name), file: describeRef(pair.mask) }
  }

  /** The image file of a pair, as stored. */
  async readImageBytes(index: number): Promise<{ bytes: Buffer; file: string; name: string; mime: string }> {
    const pair = this.pairAt(index)
    return {
      bytes: await pair.image.source.read(pair.image.name),
      file: describeRef(pair.image),
      name: pair.image.name,
      mime: mimeOf(pair.image.name),
    }
  }

  private pairAt(index: number): Pair {
    const pair = Number.isInteger(index) ? this.pairs[index] : undefined
    if (!pair)
      throw new CodedError('not-found', `no pair at position ${index} (there are ${this.pairs.length})`)
    return pair
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
    this.pairAt(index)
    const loaded = await this.cache.getOrLoad(index, () => this.load(index))
    const mode = opts.challenge ?? 'refuse'
    let mask = loaded.mask
    let counts = loaded.counts
    if (loaded.challenge) {
      if (mode === 'refuse') {
        throw new CodedError(
          'challenge-convention',
          `${loaded.maskFile}: this mask looks like an ISIC challenge mask (0 background, 255 lesion, no 1 pixels); ` +
            'read as a weak map it would be all uncertain. Convert it (255 → 1) or open it as stored.',
          loaded.maskFile,
        )
      }
      if (mode === 'convert') {
        mask = { ...convertChallengeMask(mask, loaded.maskFile), name: mask.name }
        counts = { ...counts, lesion: counts.uncertain, uncertain: 0 }
      }
    }
    return {
      index,
      id: loaded.id,
      total: this.pairs.length,
      image: loaded.image,
      mask,
      counts,
      challengeConvention: loaded.challenge,
      converted: loaded.challenge && mode === 'convert',
    }
  }

  /**
   * Starts loading a pair into the cache in the background and returns at once (never throws, never
   * blocks: the work starts after the current I/O callbacks, so a response being sent goes first).
   * Out-of-range indexes are ignored; errors surface only when the pair is opened.
   */
  prefetch(index: number): void {
    if (this.closed || !Number.isInteger(index) || index < 0 || index >= this.pairs.length) return
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
    const pair = this.pairAt(index)
    const maskFile = describeRef(pair.mask)
    const imageFile = describeRef(pair.image)
    const [maskBytes, imageBytes] = await Promise.all([
      pair.mask.source.read(pair.mask.name),
      pair.image.source.read(pair.image.name),
    ])
    const header = readImageHeader(imageBytes, imageFile, { maxPixels: this.maxImagePixels })
    const { map, counts } = readLabelMap(maskBytes, maskFile)
    checkMaskSize(map, header, maskFile, imageFile)
    const image: DatasetPair['image'] = {
      name: pair.image.name,
      mime: header.format === 'png' ? 'image/png' : 'image/jpeg',
      bytes: imageBytes,
      width: header.width,
      height: header.height,
    }
    if (header.orientation !== undefined) image.orientation = header.orientation
    return {
      id: pair.id,
      image,
      mask: { name: pair.mask.name, width: map.width, height: map.height, data: map.data },
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

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Groups files by id (per the naming rule), each group sorted by path. */
function byId(source: FileSource, rule: RegExp, claimed: Uint8Array): Map<string, string[]> {
  const out = new Map<string, string[]>()
  const files = source.files
  for (let i = 0; i < files.length; i++) {
    const name = files[i].name
    const m = rule.exec(name)
    if (!m) continue
    claimed[i] = 1
    const list = out.get(m[1])
    if (list) list.push(name)
    else out.set(m[1], [name])
  }
  for (const list of out.values()) if (list.length > 1) list.sort(comparePaths)
  return out
}

function pairSources(
  masks: FileSource,
  images: FileSource[],
  sources: SourceStatus[],
): { pairs: Pair[]; unpaired: { id: string; mask: FileRef }[]; report: DatasetReport } {
  const duplicates: DuplicateId[] = []
  let ignoredFiles = 0
  const refusedEntries: DatasetReport['refusedEntries'] = []
  for (const source of [masks, ...images]) {
    for (const r of source.refused) refusedEntries.push({ file: source.describe(r.name), code: r.code })
  }

  const maskClaimed = new Uint8Array(masks.files.length)
  const maskGroups = byId(masks, MASK_NAME, maskClaimed)
  for (const c of maskClaimed) if (c === 0) ignoredFiles++

  // Images: the first source (in the order given) holding an id wins; within it, the first by path.
  const imageById = new Map<string, FileRef>()
  const imageDupes = new Map<string, string[]>()
  for (const source of images) {
    const claimed = new Uint8Array(source.files.length)
    for (const [id, names] of byId(source, IMAGE_NAME, claimed)) {
      const held = imageById.get(id)
      let rest = names
      if (!held) {
        imageById.set(id, { source, name: names[0] })
        rest = names.slice(1)
      }
      if (rest.length > 0) {
        const list = imageDupes.get(id) ?? []
        for (const n of rest) list.push(describeRef({ source, name: n }))
        imageDupes.set(id, list)
      }
    }
    for (const c of claimed) if (c === 0) ignoredFiles++
  }

  const pairs: Pair[] = []
  const unpaired: { id: string; mask: FileRef }[] = []
  for (const [id, names] of maskGroups) {
    const mask = { source: masks, name: names[0] }
    if (names.length > 1) {
      duplicates.push({
        id,
        role: 'mask',
        used: describeRef(mask),
        ignored: names.slice(1).map((name) => describeRef({ source: masks, name })),
      })
    }
    const image = imageById.get(id)
    if (image) pairs.push({ id, mask, image })
    else unpaired.push({ id, mask })
  }
  for (const [id, ignored] of imageDupes) {
    duplicates.push({ id, role: 'image', used: describeRef(imageById.get(id) as FileRef), ignored })
  }
  const imagesWithoutMask: string[] = []
  for (const id of imageById.keys()) if (!maskGroups.has(id)) imagesWithoutMask.push(id)

  pairs.sort((a, b) => comparePaths(a.id, b.id))
  unpaired.sort((a, b) => comparePaths(a.id, b.id))
  const masksWithoutImage = unpaired.map((u) => u.id)
  imagesWithoutMask.sort(comparePaths)
  duplicates.sort((a, b) => comparePaths(a.id, b.id) || comparePaths(a.role, b.role))
  return {
    pairs,
    unpaired,
    report: {
      pairs: pairs.length,
      masksWithoutImage,
      imagesWithoutMask,
      duplicates,
      ignoredFiles,
      refusedEntries,
      sources,
    },
  }
}

function describeRef(ref: FileRef): string {
  return ref.source.describe(ref.name)
}

function mimeOf(name: string): string {
  return /\.png$/i.test(name) ? 'image/png' : 'image/jpeg'
}
