/**
 * Recovery on opening for writing: removes temporary files, settles pending saves (saveProtocol.ts),
 * and reconciles masks/ with the database — size and mtime first, content hashes only when they
 * differ; unknown valid masks are adopted, unusable ones quarantined, vanished ones flagged.
 */
import { randomBytes } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import type { MaskStats, PairStatus } from '../../../shared/workspace/review'
import { fsError, removeStaleTemps } from '../fs/atomicWrite'
import { sha256Hex } from '../fs/hash'
import { readLabelMap } from '../mask/labelMap'
import { maskStats } from '../mask/maskStats'
import { readMaskPngFormat } from '../mask/pngFormat'
import { CACHE_DIR, MASK_FILE, MASKS_DIR, QUARANTINE_DIR, statsParams, type PairRow } from './rows'
import type { MaskSaver } from './saveProtocol'
import type { WorkspaceContext } from './store'
import { makeFolder } from '../fs/paths'

const SQL = {
  recorded: `SELECT id, status, mask_sha256, mask_size, mask_mtime FROM pairs WHERE mask_sha256 IS NOT NULL`,
  touch: `UPDATE pairs SET mask_size = ?, mask_mtime = ? WHERE id = ?`,
  adopt: `UPDATE pairs SET status = 'corrected', curator = ?, updated_at = ?, mask_sha256 = ?, mask_size = ?,
            mask_mtime = ?, width = ?, height = ?, background = ?, lesion = ?, uncertain = ?, lesion_components = ?,
            uncertain_components = ?, uncertain_fraction = ?, scan_error = NULL
          WHERE id = ?`,
  gone: `UPDATE pairs SET status = ?, mask_sha256 = NULL, mask_size = NULL, mask_mtime = NULL, width = NULL,
           height = NULL, background = NULL, lesion = NULL, uncertain = NULL, lesion_components = NULL,
           uncertain_components = NULL, uncertain_fraction = NULL, scan_fp = NULL, scan_error = NULL,
           updated_at = ?
         WHERE id = ?`,
} as const

export async function recover(ctx: WorkspaceContext, saver: MaskSaver): Promise<void> {
  const masksDir = path.join(ctx.dir, MASKS_DIR)
  await makeFolder(masksDir).catch((err: unknown) => {
    throw fsError(err, masksDir, 'create')
  })
  const removed = await removeStaleTemps(masksDir)
  if (removed > 0) ctx.notices.push(`removed ${removed} temporary file(s) left by an interrupted save`)
  await saver.recoverPending()

  let names: string[]
  try {
    names = await fsp.readdir(masksDir)
  } catch (err) {
    throw fsError(err, masksDir, 'list')
  }
  const onDisk = new Set<string>()
  for (const n of names) {
    const m = MASK_FILE.exec(n)
    if (m) onDisk.add(m[1])
  }
  const recorded = ctx.store.statement(SQL.recorded).all() as Pick<
    PairRow,
    'id' | 'status' | 'mask_sha256' | 'mask_size' | 'mask_mtime'
  >[]
  for (const r of recorded) {
    onDisk.delete(r.id)
    const file = ctx.maskFile(r.id)
    let st
    try {
      st = await fsp.stat(file)
    } catch {
      maskGone(ctx, r.id, r.status)
      ctx.notices.push(`${r.id}: its corrected mask file is missing; the pair is flagged`)
      continue
    }
    if (st.size === r.mask_size && st.mtimeMs === r.mask_mtime) continue
    const bytes = await readMaskFile(file)
    const hash = sha256Hex(bytes)
    if (hash === r.mask_sha256) {
      ctx.store.statement(SQL.touch).run(st.size, st.mtimeMs, r.id)
      continue
    }
    await adoptFile(ctx, r.id, bytes, hash, 'mask-changed')
  }
  for (const id of onDisk) {
    if (!ctx.inDataset(id)) continue
    const bytes = await readMaskFile(ctx.maskFile(id))
    await adoptFile(ctx, id, bytes, sha256Hex(bytes), 'adopted')
  }
}

/** A file of masks/, read; a failure is the file system's (`io-error`, `read-only`…), never `internal`. */
async function readMaskFile(file: string): Promise<Buffer> {
  try {
    return await fsp.readFile(file)
  } catch (err) {
    throw fsError(err, file, 'read')
  }
}

/**
 * Takes a mask file found in masks/ as the pair's corrected mask, or quarantines it if the file itself
 * is unusable (not a PNG of labels, or not the source's size).
 */
async function adoptFile(
  ctx: WorkspaceContext,
  id: string,
  bytes: Buffer,
  hash: string,
  kind: 'adopted' | 'mask-changed',
): Promise<void> {
  const file = ctx.maskFile(id)
  // The source's size, to check the file against. A source that cannot be read right now (a drive
  // gone, a pair no longer in the dataset) says nothing about the file: leave it, decide next time.
  let header: { width: number; height: number }
  try {
    const source = await ctx.dataset.readMaskBytes(ctx.dataset.find(id).index)
    header = readMaskPngFormat(source.bytes, source.file).header
  } catch (err) {
    ctx.notices.push(
      `${id}: ${file} was left as it is: its source mask could not be read to check it against (${err instanceof Error ? err.message : err}); it is checked again at the next open`,
    )
    return
  }
  let stats: MaskStats
  try {
    const { map } = readLabelMap(bytes, file)
    if (header.width !== map.width || header.height !== map.height) {
      throw new CodedError(
        'mask-size',
        `${map.width}×${map.height}, the source is ${header.width}×${header.height}`,
      )
    }
    stats = maskStats(map, file)
  } catch (err) {
    const dest = await quarantine(ctx, file)
    const row = ctx.store.row(id)
    if (row?.mask_sha256) maskGone(ctx, id, row.status)
    ctx.notices.push(
      `${id}: ${file} is not a usable mask (${err instanceof Error ? err.message : err}); moved to ${dest}`,
    )
    return
  }
  const st = await fsp.stat(file)
  ctx.store.write('adopt a mask file', () => {
    const row = ctx.store.row(id)
    const from: PairStatus = row?.status ?? 'unreviewed'
    ctx.store
      .statement(SQL.adopt)
      .run(ctx.curator, Date.now(), hash, st.size, st.mtimeMs, ...statsParams(stats), id)
    ctx.store.appendEvent({
      at: Date.now(),
      curator: ctx.curator,
      id,
      kind,
      from,
      to: 'corrected',
      maskSha256: hash,
    })
  })
  ctx.notices.push(
    kind === 'adopted'
      ? `${id}: adopted the mask file found in masks/ as its corrected mask`
      : `${id}: its corrected mask was changed outside the app; recorded the new version`,
  )
}

/** The corrected mask is gone: forget it, and flag a pair that was `corrected`. */
function maskGone(ctx: WorkspaceContext, id: string, status: PairStatus): void {
  ctx.store.write('record a missing mask', () => {
    const to: PairStatus = status === 'corrected' ? 'flagged' : status
    ctx.store.statement(SQL.gone).run(to, Date.now(), id)
    ctx.store.appendEvent({
      at: Date.now(),
      curator: ctx.curator,
      id,
      kind: 'mask-missing',
      from: status,
      to,
    })
  })
}

/**
 * Moves a file of masks/ aside, under cache/quarantine/, with a unique name: an unusable file found
 * at opening. (A save about to replace an unrecorded file keeps a durable copy there itself, in
 * saveProtocol.ts, and leaves the file in place until its rename.) Returns where it went.
 */
export async function quarantine(ctx: WorkspaceContext, file: string): Promise<string> {
  const { dir, dest } = quarantinePath(ctx, file)
  try {
    await makeFolder(dir)
    await fsp.rename(file, dest)
  } catch (err) {
    throw fsError(err, file, 'move aside')
  }
  return dest
}

/** A unique place under cache/quarantine/ for a file of masks/ (its id, the time, a random tag). */
export function quarantinePath(ctx: WorkspaceContext, file: string): { dir: string; dest: string } {
  const dir = path.join(ctx.dir, CACHE_DIR, QUARANTINE_DIR)
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  return {
    dir,
    dest: path.join(dir, `${path.basename(file, '.png')}.${stamp}.${randomBytes(3).toString('hex')}.png`),
  }
}
