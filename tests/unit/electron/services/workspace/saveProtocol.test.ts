/**
 * The order of a save's steps, seen from the file system and from a second SQLite connection: the
 * pending row is durable before the rename, the rename waits for the verification and the read
 * back, and each failure before the rename leaves the old file, the old state and nothing else.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { isTempName, nodeAtomicFs, type AtomicFs } from '../../../../../electron/services/fs/atomicWrite'
import { sha256Hex } from '../../../../../electron/services/fs/hash'
import { pngCheckFaults } from '../../../../../electron/services/mask/pngCheck'
import { type Workspace } from '../../../../../electron/services/workspace/workspace'
import { resolveUncertain } from './fixtures'
import { onSqlite, pairWorkspaces } from './support/pairWorkspaces'
import { caught } from '../../../../support/datasetFixtures'

const suite = pairWorkspaces('wsm-save-')
const ID = 'ISIC_0000001'

/** A workspace on `fs` whose pair ID already has a corrected mask (so every save replaces a file). */
async function withCorrected(fs: AtomicFs): Promise<{ ws: Workspace; source: LabelMap; first: Buffer }> {
  const { ws, source } = await suite.corrected(ID, fs)
  return { ws, source, first: await fsp.readFile(ws.maskFile(ID)) }
}

function pendingRows(ws: Workspace): { pair_id: string; sha256: string }[] {
  return onSqlite(
    ws,
    (db) =>
      db.prepare('SELECT pair_id, sha256 FROM pending_saves').all() as { pair_id: string; sha256: string }[],
  )
}

/** After a refused save: the old file, the old state, no pending row, no temporary file. */
async function unchanged(
  ws: Workspace,
  first: Buffer,
  state: ReturnType<Workspace['pairState']>,
): Promise<void> {
  expect(await fsp.readFile(ws.maskFile(ID))).toEqual(first)
  expect(ws.pairState(ID)).toEqual(state)
  expect(ws.events(ID)).toHaveLength(1)
  expect(pendingRows(ws)).toEqual([])
  expect((await fsp.readdir(path.join(ws.dir, 'masks'))).filter(isTempName)).toEqual([])
}

describe('the save protocol', () => {
  it('commits the pending row while the file flushes, and renames only after it is durable', async () => {
    const seen: string[] = []
    const current: { ws?: Workspace } = {}
    const traced: AtomicFs = {
      ...nodeAtomicFs,
      fsync: async (fd) => {
        // Flushing the temporary file: the pending row is not there yet.
        seen.push(`fsync, pending rows: ${pendingRows(current.ws!).length}`)
        return nodeAtomicFs.fsync(fd)
      },
      rename: async (from, to) => {
        // A second connection sees the pending row, with the hash of the file about to land.
        const [row] = pendingRows(current.ws!)
        seen.push(`rename, pending ${row?.pair_id} ${row?.sha256 === sha256Hex(await fsp.readFile(from))}`)
        return nodeAtomicFs.rename(from, to)
      },
    }
    const made = await withCorrected(traced)
    const ws = (current.ws = made.ws)
    const saved = await ws.saveMask(ID, resolveUncertain(made.source, 0, 20))
    expect(seen).toEqual(['fsync, pending rows: 0', `rename, pending ${ID} true`])
    expect(pendingRows(ws)).toEqual([])
    expect(sha256Hex(await fsp.readFile(saved.file))).toBe(saved.sha256)
    // The record holds the file's own size and time (read from its handle, not stat'ed again).
    const st = await fsp.stat(saved.file)
    const row = onSqlite(
      ws,
      (db) =>
        db.prepare('SELECT mask_size, mask_mtime FROM pairs WHERE id = ?').get(ID) as {
          mask_size: number
          mask_mtime: number
        },
    )
    expect(row).toEqual({ mask_size: st.size, mask_mtime: st.mtimeMs })
    // The replaced file is gone by the time the save returns (no second name left behind).
    expect(await fsp.readdir(path.join(ws.dir, 'masks'))).toEqual([`${ID}.png`])
    expect(st.nlink).toBe(1)
  })

  it('a PNG that does not decode to the labels is never renamed into place', async () => {
    const { ws, source, first } = await withCorrected(nodeAtomicFs)
    const before = ws.pairState(ID)
    // The check compares the encoded PNG with the labels with one label changed.
    pngCheckFaults.flipAfterEncode = 0
    try {
      const err = await caught(ws.saveMask(ID, resolveUncertain(source, 0, 20)))
      expect(err.code).toBe('io-error')
      expect(err.message).toMatch(/does not decode to the saved labels/)
    } finally {
      delete pngCheckFaults.flipAfterEncode
    }
    await unchanged(ws, first, before)
  })

  it('a file that reads back differently is never renamed into place', async () => {
    const lying: AtomicFs = {
      ...nodeAtomicFs,
      read: async (fd, into, offset, length, position) => {
        const got = await nodeAtomicFs.read(fd, into, offset, length, position)
        if (got > 100) into[offset + 100] ^= 0x10
        return got
      },
    }
    const { ws, source, first } = await withCorrected(lying)
    const before = ws.pairState(ID)
    const err = await caught(ws.saveMask(ID, resolveUncertain(source, 0, 20)))
    expect(err.code).toBe('io-error')
    expect(err.message).toMatch(/read back/)
    await unchanged(ws, first, before)
  })
})
