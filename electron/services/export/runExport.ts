/**
 * Writing an export (layout in format.ts, selection in plan.ts, landing in target.ts).
 *
 * Per pair: the review state is read, then the image bytes (copied unchanged) and the current mask
 * bytes (the corrected file if any, else the source entry); the state is read again and the pair
 * redone if it changed meanwhile (an export can run while the app saves). The image header gives
 * the stored size, checked against the mask's. Masks:
 *
 * - wsm: an 8-bit greyscale, non-interlaced mask is copied byte for byte; any other (palette, fewer
 *   bits, interlaced) is re-encoded as 8-bit greyscale with the same values, so that every reader
 *   sees 0/1/255 as grey levels. Pixel counts come from the workspace statistics (the scan, or the
 *   save of a corrected mask); a mask without statistics is decoded and checked.
 * - isic-challenge: decoded and mapped 0 → 0, 1 → 255; uncertain pixels per the policy (`refuse`
 *   leaves the pair out and lists it; `lesion` → 255, `background` → 0, counted in the manifest).
 *
 * Pairs are read and prepared a few at a time (I/O overlaps hashing); folder files are written as
 * they come, zip entries appended in id order. A problem with a pair's files (unreadable, invalid
 * mask, size mismatch) stops the export with that pair's coded error: the output then does not
 * exist. `wsm-curator verify-export` decodes every mask and re-checks every checksum.
 */
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN, type LabelMap } from '../../../shared/labels/codes'
import { APP_NAME, APP_VERSION } from '../../appMeta'
import { fsError } from '../fs/atomicWrite'
import { readImageHeader } from '../images/imageHeader'
import { checkMaskSize, readLabelMap } from '../masks'
import { encodeMaskPng, readPngHeader } from '../png/maskPng'
import { isChallengeConvention } from '../scan/analyze'
import type { PairState, Workspace } from '../workspace/workspace'
import {
  EXPORT_FORMAT,
  EXPORT_JSON,
  EXPORT_VERSION,
  IMAGES_DIR,
  MANIFEST_CSV,
  MANIFEST_JSON,
  MASKS_DIR,
  fractionsOf,
  labelsOf,
  manifestCsv,
  type ExcludedPair,
  type ExportJson,
  type ManifestJson,
  type ManifestPair,
  type MaskWritten,
} from './format'
import { planWithStates, type ExportSelection } from './plan'
import { checkTarget, openSink, type Container, type ExportSink } from './target'

export interface ExportOptions extends ExportSelection {
  /** The output: a folder, or a zip file when the name ends in `.zip`. Must not exist. */
  out: string
}

export interface ExportProgress {
  /** Pairs written (or left out at run time) so far, of `total` planned. */
  done: number
  total: number
  /** Bytes written to the output so far. */
  bytes: number
  /** Pairs left out so far (the plan's exclusions included). */
  excluded: number
}

export interface ExportHooks {
  onProgress?(progress: ExportProgress): void
  /** Aborting stops the export (`cancelled`) and removes what was written. */
  signal?: AbortSignal
}

export interface ExportSummary {
  /** The finished export (folder or zip). */
  out: string
  container: Container
  profile: ExportJson['profile']
  uncertainPolicy: ExportJson['uncertainPolicy']
  exported: number
  /** Every pair left out, with its reason (the plan's and those found while writing). */
  excluded: ExcludedPair[]
  /** Size of the output, and of the images and masks in it. */
  bytes: number
  imageBytes: number
  maskBytes: number
  masks: Record<MaskWritten, number>
  uncertainAssigned: number
  elapsedMs: number
  /** `.partial-` leftovers of earlier interrupted exports to the same name (not removed). */
  leftovers: string[]
  /** What export.json records. */
  record: ExportJson
}

/** Pairs read and prepared ahead of the writer. */
const IN_FLIGHT = 8
/** A pair whose state keeps changing while being read is read again at most this many times. */
const READ_ATTEMPTS = 4
const GREY8 = { colorType: 0, bitDepth: 8, interlaced: false } as const

interface Prepared {
  id: string
  /** Null when the pair is left out (isic-challenge + refuse, uncertain found while decoding). */
  row: ManifestPair | null
  excluded?: ExcludedPair
  image: Buffer
  mask: Uint8Array
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function cancelled(): CodedError {
  return new CodedError('cancelled', 'the export was cancelled; nothing was written under the output name')
}

/**
 * Exports the pairs `planExport(workspace, options)` selects to `options.out`, and returns what was
 * done. Errors: `bad-request` (selection, empty selection), `export-target` (output path), `cancelled`,
 * a pair's data error (`image-*`, `png-*`, `mask-*`, `challenge-convention`, `zip-*`), file-system
 * errors (`disk-full`, `read-only`, `io-error`). After any error nothing exists under `out`.
 */
export async function runExport(
  workspace: Workspace,
  options: ExportOptions,
  hooks: ExportHooks = {},
): Promise<ExportSummary> {
  const started = performance.now()
  const { signal, onProgress } = hooks
  const { plan, states } = planWithStates(workspace, options)
  const sources = workspace.config.sources
  const target = await checkTarget(options.out, {
    workspaceDir: workspace.dir,
    sources: [sources.masks, ...sources.images],
  })
  if (plan.count === 0) {
    throw new CodedError(
      'bad-request',
      `the selection holds no pair to export` +
        (plan.excluded.length > 0
          ? ` (${plan.excluded.length} left out: ${reasonsText(plan.excluded)})`
          : ''),
    )
  }
  if (signal?.aborted) throw cancelled()
  const profile = plan.profile
  const policy = plan.uncertainPolicy
  const sink = await openSink(target.out, target.container)
  const excluded: ExcludedPair[] = [...plan.excluded]
  const rows: ManifestPair[] = []
  const masks: Record<MaskWritten, number> = { copied: 0, reencoded: 0, converted: 0 }
  let imageBytes = 0
  let maskBytes = 0
  let uncertainAssigned = 0
  const total = plan.count
  let done = 0
  const report = () => onProgress?.({ done, total, bytes: sink.bytes, excluded: excluded.length })

  const prepare = async (id: string): Promise<Prepared> => {
    const planned = states.get(id)
    states.delete(id)
    const p = await preparePair(workspace, id, planned, profile, policy)
    if (sink.parallel && p.row !== null) await writePair(sink, p)
    return p
  }

  const inFlight = new Map<number, Promise<Prepared>>()
  let next = 0
  try {
    report()
    for (let i = 0; i < total; i++) {
      while (next < total && next - i < IN_FLIGHT && !signal?.aborted) {
        const task = prepare(plan.ids[next])
        task.catch(() => undefined) // awaited in order below; this only marks it handled
        inFlight.set(next, task)
        next++
      }
      if (signal?.aborted) throw cancelled()
      const p = await (inFlight.get(i) as Promise<Prepared>)
      inFlight.delete(i)
      if (p.row === null) {
        excluded.push(p.excluded as ExcludedPair)
      } else {
        if (!sink.parallel) await writePair(sink, p)
        rows.push(p.row)
        imageBytes += p.row.image.bytes
        maskBytes += p.row.mask.bytes
        masks[p.row.mask.written]++
        uncertainAssigned += p.row.uncertainAssigned
      }
      done++
      report()
    }
    if (signal?.aborted) throw cancelled()
    if (rows.length === 0) {
      throw new CodedError(
        'bad-request',
        `no pair left to export: ${excluded.length} left out (${reasonsText(excluded)})`,
      )
    }
    excluded.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))

    const manifest: ManifestJson = {
      format: 'wsm-curator-export-manifest',
      version: EXPORT_VERSION,
      profile,
      pairs: rows,
    }
    const manifestJson = Buffer.from(JSON.stringify(manifest, null, 1) + '\n')
    const csv = Buffer.from(manifestCsv(rows))
    const record: ExportJson = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      app: { name: APP_NAME, version: APP_VERSION },
      createdAt: new Date().toISOString(),
      container: target.container,
      workspace: {
        dir: workspace.dir,
        masks: sources.masks,
        images: [...sources.images],
        exportedBy: workspace.curator,
      },
      selection: plan.selection,
      profile,
      uncertainPolicy: policy,
      labels: labelsOf(profile),
      counts: {
        selected: plan.count,
        exported: rows.length,
        excluded: excluded.length,
        imageBytes,
        maskBytes,
        masks,
        uncertainAssigned,
      },
      excluded,
      files: {
        [MANIFEST_JSON]: { sha256: sha256(manifestJson), bytes: manifestJson.length },
        [MANIFEST_CSV]: { sha256: sha256(csv), bytes: csv.length },
      },
    }
    await sink.add(MANIFEST_CSV, csv, { compress: true })
    await sink.add(MANIFEST_JSON, manifestJson, { compress: true })
    await sink.add(EXPORT_JSON, Buffer.from(JSON.stringify(record, null, 2) + '\n'), { compress: true })
    if (signal?.aborted) throw cancelled()
    await sink.commit()
    return {
      out: target.out,
      container: target.container,
      profile,
      uncertainPolicy: policy,
      exported: rows.length,
      excluded,
      bytes: sink.bytes,
      imageBytes,
      maskBytes,
      masks,
      uncertainAssigned,
      elapsedMs: performance.now() - started,
      leftovers: target.leftovers,
      record,
    }
  } catch (err) {
    // Let the pairs still being read or written settle before removing their folder.
    await Promise.allSettled(inFlight.values())
    await sink.discard().catch(() => undefined)
    throw err
  }
}

async function writePair(sink: ExportSink, p: Prepared): Promise<void> {
  const row = p.row as ManifestPair
  if (sink.parallel) {
    // Both files at once: a folder export waits mostly on file creation and fsync.
    const done = await Promise.allSettled([
      sink.add(row.image.file, p.image),
      sink.add(row.mask.file, p.mask),
    ])
    for (const r of done) if (r.status === 'rejected') throw r.reason
  } else {
    await sink.add(row.image.file, p.image)
    await sink.add(row.mask.file, p.mask)
  }
}

function reasonsText(excluded: readonly ExcludedPair[]): string {
  const counts = new Map<string, number>()
  for (const e of excluded) counts.set(e.reason, (counts.get(e.reason) ?? 0) + 1)
  return [...counts].map(([r, n]) => `${n} ${r}`).join(', ')
}

function sameState(a: PairState, b: PairState): boolean {
  return a.updatedAt === b.updatedAt && a.corrected === b.corrected && a.status === b.status
}

/**
 * Reads one pair's files consistently with its state (see the module comment), starting from the
 * state read by the plan: one state read per pair when nothing changed.
 */
async function readPair(
  workspace: Workspace,
  id: string,
  planned: PairState | undefined,
): Promise<{
  state: PairState
  image: { bytes: Buffer; file: string; name: string }
  mask: { bytes: Buffer; file: string }
}> {
  let known = planned
  for (let attempt = 1; ; attempt++) {
    const state = known ?? workspace.pairState(id)
    const maskRead = state.corrected
      ? readCorrected(workspace.maskFile(id))
      : workspace.dataset.readMaskBytes(state.index)
    const [image, mask] = await Promise.all([workspace.dataset.readImageBytes(state.index), maskRead])
    const after = workspace.pairState(id)
    if (sameState(state, after) || attempt === READ_ATTEMPTS) {
      if (!sameState(state, after)) {
        throw new CodedError('io-error', `${id} kept changing while it was being exported; try again`)
      }
      // The fresher of two equivalent states (statistics may have arrived from a scan meanwhile).
      return { state: after, image, mask }
    }
    known = after
  }
}

async function readCorrected(file: string): Promise<{ bytes: Buffer; file: string }> {
  try {
    return { bytes: await fsp.readFile(file), file }
  } catch (err) {
    throw fsError(err, file, 'read')
  }
}

async function preparePair(
  workspace: Workspace,
  id: string,
  planned: PairState | undefined,
  profile: ExportJson['profile'],
  policy: ExportJson['uncertainPolicy'],
): Promise<Prepared> {
  const { state, image, mask } = await readPair(workspace, id, planned)
  const header = readImageHeader(image.bytes, image.file)
  const png = readPngHeader(mask.bytes, mask.file)
  const grey8 = png.colorType === 0 && png.bitDepth === 8 && !png.interlaced
  const stats = state.stats
  const statsFit = stats !== null && stats.width === png.width && stats.height === png.height
  let map: LabelMap | undefined
  let counts: { background: number; lesion: number; uncertain: number }
  if (profile === 'wsm' && grey8 && statsFit) {
    counts = { background: stats.background, lesion: stats.lesion, uncertain: stats.uncertain }
  } else {
    const decoded = readLabelMap(mask.bytes, mask.file) // exact decode; mask-values for anything but 0/1/255
    map = decoded.map
    counts = {
      background: decoded.counts.background,
      lesion: decoded.counts.lesion,
      uncertain: decoded.counts.uncertain,
    }
    if (!state.corrected && isChallengeConvention(map, decoded.counts)) {
      throw new CodedError(
        'challenge-convention',
        `${mask.file}: this mask looks like an ISIC challenge mask (0 background, 255 lesion, no 1 pixels), ` +
          'not a weak map; exporting it would carry 255 as uncertain. Review the pair (or reject it) first.',
        mask.file,
      )
    }
  }
  const width = png.width
  const height = png.height
  checkMaskSize({ width, height }, header, mask.file, image.file)

  let out: Uint8Array
  let written: MaskWritten
  let pixels = counts
  let assigned = 0
  if (profile === 'wsm') {
    if (grey8) {
      out = mask.bytes
      written = 'copied'
    } else {
      out = encodeMaskPng(map as LabelMap, GREY8)
      written = 'reencoded'
    }
  } else {
    if (counts.uncertain > 0 && policy === 'refuse') {
      return {
        id,
        row: null,
        excluded: { id, reason: 'uncertain-pixels', detail: `${counts.uncertain} uncertain pixels` },
        image: image.bytes,
        mask: mask.bytes,
      }
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
  const ext = path.extname(image.name).toLowerCase()
  const row: ManifestPair = {
    id,
    status: state.status,
    curator: state.curator,
    reviewedAt: state.updatedAt,
    width,
    height,
    pixels: { ...pixels },
    fractions: fractionsOf(pixels, width, height),
    uncertainAssigned: assigned,
    image: {
      file: `${IMAGES_DIR}/${id}${ext}`,
      bytes: image.bytes.length,
      sha256: sha256(image.bytes),
      source: image.file,
    },
    mask: {
      file: `${MASKS_DIR}/${id}.png`,
      bytes: out.length,
      sha256: sha256(out),
      origin: state.corrected ? 'corrected' : 'source',
      written,
      source: mask.file,
    },
  }
  return { id, row, image: image.bytes, mask: out }
}
