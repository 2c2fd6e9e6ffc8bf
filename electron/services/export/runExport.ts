/**
 * Writing an export (layout in format.ts, selection in plan.ts, landing in target.ts, one pair's
 * files in pairTask.ts).
 *
 * Per pair: the review state (read by the plan) says which mask is current (the corrected file if
 * any, else the source entry) and gives its statistics; the image and that mask are read, checked,
 * the mask written per the profile and both files hashed (pairTask.ts); then the state is read again
 * and the pair redone if it changed meanwhile (an export can run while the app saves).
 *
 * Pairs are prepared a window ahead of the writer, so that reading, hashing and writing overlap:
 * folder files are written (and flushed) as each pair comes, zip entries appended in id order (the
 * zip writer writes batches of them while the next ones are read). Image buffers are reused once
 * written (BufferPool: no garbage-collector churn). A problem with a pair's files (unreadable, invalid
 * mask, size mismatch) stops the export with that pair's coded error: the output then does not exist.
 * `wsm-curator verify-export` decodes every mask and re-checks every checksum.
 */
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import { APP_NAME, APP_VERSION } from '../../appMeta'
import { BufferPool } from '../fs/bufferPool'
import { sha256Hex } from '../fs/hash'
import type { PairState, Workspace } from '../workspace/workspace'
import type { ZipReader } from '../zip/zipReader'
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
import {
  preparePairFiles,
  type PairJob,
  type PairOutcome,
  type PreparedFile,
  type PreparedPair,
} from './pairTask'
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
/** Image buffers kept for reuse: a few windows' worth of ordinary images (see BufferPool). */
const POOL_BYTES = 32 * 1024 * 1024

interface Prepared {
  id: string
  /** Null when the pair is left out (isic-challenge + refuse, uncertain found while decoding). */
  row: ManifestPair | null
  excluded?: ExcludedPair
  /** The files to write (until written). */
  outcome?: PreparedPair
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

  const pool = new BufferPool(POOL_BYTES)
  const files: PairReads = { zips: new Map(), pool, alloc: (size) => pool.take(size) }
  const crc = target.container === 'zip'
  const prepare = async (id: string): Promise<Prepared> => {
    const planned = states.get(id)
    states.delete(id)
    const p = await preparePair(workspace, files, id, planned, { profile, policy, crc })
    if (sink.parallel && p.row !== null) await writePair(sink, files.pool, p)
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
        if (!sink.parallel) await writePair(sink, files.pool, p)
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

    const metadataColumns = attachMetadata(workspace, rows)
    const manifest: ManifestJson = {
      format: 'wsm-curator-export-manifest',
      version: EXPORT_VERSION,
      profile,
      ...(metadataColumns.length > 0 ? { metadataColumns } : {}),
      pairs: rows,
    }
    const manifestJson = Buffer.from(JSON.stringify(manifest, null, 1) + '\n')
    const csv = Buffer.from(manifestCsv(rows, metadataColumns))
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
        [MANIFEST_JSON]: { sha256: sha256Hex(manifestJson), bytes: manifestJson.length },
        [MANIFEST_CSV]: { sha256: sha256Hex(csv), bytes: csv.length },
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
  } finally {
    await Promise.allSettled([...files.zips.values()].map((z) => z.then((r) => r.close())))
  }
}

/** Where pairs' files are read from: zip readers (opened on first use) and reusable buffers. */
interface PairReads {
  zips: Map<string, Promise<ZipReader>>
  pool: BufferPool
  alloc: (size: number) => Buffer
}

/** Writes a pair's two files; each one's buffer goes back to the pool once written. */
async function writePair(sink: ExportSink, pool: BufferPool, p: Prepared): Promise<void> {
  const row = p.row as ManifestPair
  const { image, mask } = p.outcome as PreparedPair
  p.outcome = undefined
  const opts = (f: PreparedFile) => ({
    crc32: f.crc32 ?? undefined,
    onWritten: () => pool.give(f.bytes),
  })
  if (sink.parallel) {
    // Both files at once: a folder export waits mostly on file creation and fsync.
    const done = await Promise.allSettled([
      sink.add(row.image.file, image.bytes, opts(image)),
      sink.add(row.mask.file, mask.bytes, opts(mask)),
    ])
    for (const r of done) if (r.status === 'rejected') throw r.reason
  } else {
    await sink.add(row.image.file, image.bytes, opts(image))
    await sink.add(row.mask.file, mask.bytes, opts(mask))
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

/** What preparing a pair in the given state needs: where its files are, and its statistics. */
function jobOf(
  workspace: Workspace,
  state: PairState,
  opts: { profile: ExportJson['profile']; policy: ExportJson['uncertainPolicy']; crc: boolean },
): PairJob {
  const loc = workspace.dataset.locate(state.index)
  const corrected = state.corrected ? workspace.maskFile(state.id) : undefined
  const stats = state.stats
  return {
    id: state.id,
    image: loc.image,
    imageFile: loc.imageFile,
    mask: corrected === undefined ? loc.mask : { kind: 'folder', path: corrected },
    maskFile: corrected ?? loc.maskFile,
    corrected: corrected !== undefined,
    stats:
      stats === null
        ? null
        : {
            width: stats.width,
            height: stats.height,
            background: stats.background,
            lesion: stats.lesion,
            uncertain: stats.uncertain,
          },
    profile: opts.profile,
    policy: opts.policy,
    crc: opts.crc,
  }
}

/**
 * Prepares one pair consistently with its state (see the module comment), starting from the state
 * read by the plan: one state read per pair when nothing changed.
 */
async function preparePair(
  workspace: Workspace,
  files: PairReads,
  id: string,
  planned: PairState | undefined,
  opts: { profile: ExportJson['profile']; policy: ExportJson['uncertainPolicy']; crc: boolean },
): Promise<Prepared> {
  let known = planned
  let state: PairState
  let job: PairJob
  let outcome: PairOutcome
  for (let attempt = 1; ; attempt++) {
    const before = known ?? workspace.pairState(id)
    job = jobOf(workspace, before, opts)
    const result = await preparePairFiles(job, files.zips, files.alloc).then(
      (value) => ({ ok: true as const, value }),
      (err: unknown) => ({ ok: false as const, err }),
    )
    const after = workspace.pairState(id)
    // A save renames its new file before the row commits: a corrected mask read in between is not
    // the row's (same state, other bytes). Its SHA-256 against the row's tells, read in the same tick.
    const rowSha = after.corrected ? (workspace.store.row(id)?.mask_sha256 ?? null) : null
    const bytesMatch = !result.ok || !job.corrected || result.value.readSha256 === rowSha
    if (sameState(before, after) && bytesMatch) {
      // A problem with the files themselves (the state did not move while they were read).
      if (!result.ok) throw result.err
      outcome = result.value
      // The fresher of two equivalent states (statistics may have arrived from a scan meanwhile).
      state = after
      break
    }
    if (attempt === READ_ATTEMPTS) {
      throw new CodedError(
        'io-error',
        `${id} kept changing while it was being exported (its state, or its corrected mask file is not the one its row records); try again`,
      )
    }
    known = after
  }
  if (outcome.kind === 'uncertain-pixels') {
    return {
      id,
      row: null,
      excluded: { id, reason: 'uncertain-pixels', detail: `${outcome.uncertain} uncertain pixels` },
    }
  }
  const { width, height, pixels, image, mask } = outcome
  const ext = path.extname(job.imageFile).toLowerCase()
  const row: ManifestPair = {
    id,
    status: state.status,
    curator: state.curator,
    reviewedAt: state.updatedAt,
    width,
    height,
    pixels,
    fractions: fractionsOf(pixels, width, height),
    uncertainAssigned: outcome.uncertainAssigned,
    image: {
      file: `${IMAGES_DIR}/${id}${ext}`,
      bytes: image.bytes.length,
      sha256: image.sha256,
      source: job.imageFile,
    },
    mask: {
      file: `${MASKS_DIR}/${id}.png`,
      bytes: mask.bytes.length,
      sha256: mask.sha256,
      origin: job.corrected ? 'corrected' : 'source',
      written: outcome.written,
      source: job.maskFile,
    },
  }
  return { id, row, outcome }
}

/**
 * Gives each manifest row its ISIC metadata (one scan of the metadata table) and returns the
 * columns any exported pair has a value in, in import order (none: the manifests are unchanged).
 */
function attachMetadata(workspace: Workspace, rows: ManifestPair[]): string[] {
  const columns = workspace.metadataColumns()
  if (columns.length === 0) return []
  const byId = workspace.metadataOf(rows.map((r) => r.id))
  const used = new Set<string>()
  for (const r of rows) {
    const m = byId.get(r.id) ?? {}
    r.metadata = m
    for (const c of Object.keys(m)) used.add(c)
  }
  return columns.map((c) => c.name).filter((c) => used.has(c))
}
