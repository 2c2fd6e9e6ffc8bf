import path from 'node:path'
import { CodedError } from '../../shared/api/errors'
import type { DatasetSummary, PairData, PairPage, PairSummary } from '../../shared/api/contract'
import { openFileSource, type FileSource } from './sources/fileSource'
import { readLabelMap } from './masks'

/** Mask file names: `ISIC_0000000.png`, also with the challenge's `_segmentation` suffix. */
const MASK_NAME = /(?:^|\/)(ISIC_\d{7})(?:_[Ss]egmentation)?\.png$/
/** Image file names: `.jpg`, `.jpeg`, `.JPG`, `.png` (any case). */
const IMAGE_NAME = /(?:^|\/)(ISIC_\d{7})\.(jpe?g|png)$/i

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

/**
 * An opened dataset: the masks source and the image sources, paired by ISIC id and sorted by id.
 * Holds one small record per pair (43,885 of them is a few MB), never file contents.
 */
export class Dataset {
  private readonly byId: Map<string, number>

  private constructor(
    private readonly masks: FileSource,
    private readonly images: FileSource[],
    private readonly pairs: Pair[],
    private readonly masksWithoutImage: number,
    private readonly imagesWithoutMask: number,
  ) {
    this.byId = new Map(pairs.map((p, i) => [p.id, i]))
  }

  static async open(sources: DatasetSources): Promise<Dataset> {
    const opened: FileSource[] = []
    try {
      const masks = await openFileSource(sources.masks)
      opened.push(masks)
      const images: FileSource[] = []
      for (const p of sources.images) {
        const src = await openFileSource(p)
        opened.push(src)
        images.push(src)
      }
      return Dataset.pair(masks, images)
    } catch (err) {
      await Promise.allSettled(opened.map((s) => s.close()))
      throw err
    }
  }

  private static pair(masks: FileSource, images: FileSource[]): Dataset {
    const imageById = new Map<string, FileRef>()
    for (const source of images) {
      for (const f of source.files) {
        const m = IMAGE_NAME.exec(f.name)
        // The first source that holds an id wins; later duplicates are reported by the scan.
        if (m && !imageById.has(m[1])) imageById.set(m[1], { source, name: f.name })
      }
    }
    const pairs: Pair[] = []
    const seenMasks = new Set<string>()
    let masksWithoutImage = 0
    for (const f of masks.files) {
      const m = MASK_NAME.exec(f.name)
      if (!m || seenMasks.has(m[1])) continue
      seenMasks.add(m[1])
      const image = imageById.get(m[1])
      if (image) pairs.push({ id: m[1], mask: { source: masks, name: f.name }, image })
      else masksWithoutImage++
    }
    pairs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    return new Dataset(masks, images, pairs, masksWithoutImage, imageById.size - pairs.length)
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
      masksWithoutImage: this.masksWithoutImage,
      imagesWithoutMask: this.imagesWithoutMask,
    }
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
    const pair = this.pairs[index]
    if (!pair)
      throw new CodedError('not-found', `no pair at position ${index} (there are ${this.pairs.length})`)
    return pair
  }

  async openPair(index: number): Promise<PairData> {
    const pair = this.pairAt(index)
    const [maskBytes, imageBytes] = await Promise.all([
      pair.mask.source.read(pair.mask.name),
      pair.image.source.read(pair.image.name),
    ])
    const { map, counts } = readLabelMap(maskBytes, describeRef(pair.mask))
    return {
      index,
      id: pair.id,
      total: this.pairs.length,
      image: { name: pair.image.name, mime: mimeOf(pair.image.name), bytes: imageBytes },
      mask: { name: pair.mask.name, width: map.width, height: map.height, data: map.data },
      counts,
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.masks, ...this.images].map((s) => s.close()))
  }
}

function describeRef(ref: FileRef): string {
  return ref.source.kind === 'zip' ? `${ref.source.path}!${ref.name}` : path.join(ref.source.path, ref.name)
}

function mimeOf(name: string): string {
  return /\.png$/i.test(name) ? 'image/png' : 'image/jpeg'
}
