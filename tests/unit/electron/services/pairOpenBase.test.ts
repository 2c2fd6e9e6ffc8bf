/**
 * `pair:open` and `pair:version` with the mask name the version (`base`) of the very bytes they
 * answer with, even when a save lands while they read: the renderer keys a pair's undo history by
 * it, and a save names it. Real workspace, real files, real SQLite; the save is interleaved
 * deterministically — inside the mask read (a hook on this workspace's readCurrentMask), and
 * between a save's rename and its record (an injected rename) — never by timing.
 */
import { promises as fsp } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { OpenedPair, PairVersion } from '../../../../shared/api/contract'
import type { LabelMap } from '../../../../shared/labels/codes'
import { nodeAtomicFs, type AtomicFs } from '../../../../electron/services/fs/atomicWrite'
import { sha256Hex } from '../../../../electron/services/fs/hash'
import { CurationSession } from '../../../../electron/services/session'
import { type Workspace } from '../../../../electron/services/workspace/workspace'
import { resolveUncertain } from './workspace/fixtures'
import { pairWorkspaces } from './workspace/support/pairWorkspaces'

const suite = pairWorkspaces('wsm-pair-open-base-')
const ID = 'ISIC_0000001'

/** A workspace whose pair ID is corrected once (version A), reopened with `fs` for mask writes. */
async function corrected(fs?: AtomicFs) {
  const { ws, source, saved: a } = await suite.corrected(ID, fs)
  return { ws, session: new CurationSession(ws, { scan: false }), source, a }
}

/** Makes the workspace's next mask read save `map` first: the save lands after the pair's row was read. */
function saveBeforeNextMaskRead(ws: Workspace, map: LabelMap): { saved?: string } {
  const out: { saved?: string } = {}
  const read = ws.readCurrentMask.bind(ws)
  ws.readCurrentMask = async (...args) => {
    ws.readCurrentMask = read
    out.saved = (await ws.saveMask(ID, map)).sha256
    return read(...args)
  }
  return out
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))

describe("pair:open's base names the bytes it answers with", () => {
  it('a save landing between the pair state read and the mask read: the newer bytes, with their version', async () => {
    const { ws, session, source, a } = await corrected()
    const b = resolveUncertain(source, 0, 10)
    const hook = saveBeforeNextMaskRead(ws, b)
    const opened: OpenedPair = await session.openPair(ID)
    expect(hook.saved).toMatch(/^[0-9a-f]{64}$/)
    expect(hook.saved).not.toBe(a.sha256)
    expect(same(opened.mask.data, b.data)).toBe(true)
    expect(opened.mask.origin).toBe('corrected')
    expect(opened.base).toBe(hook.saved)
    expect(opened.base).toBe(sha256Hex(await fsp.readFile(ws.maskFile(ID))))
    // What it names is what a save must name: no false conflict on the bytes shown.
    const next = await ws.saveMask(ID, resolveUncertain(b, 1, 3), { base: opened.base })
    expect(next.sha256).not.toBe(opened.base)
  })

  it('pair:version with the mask, the same way', async () => {
    const { ws, session, source } = await corrected()
    const b = resolveUncertain(source, 0, 12)
    const hook = saveBeforeNextMaskRead(ws, b)
    const version: PairVersion = await session.pairVersion(ID, true)
    expect(same(version.mask!.data, b.data)).toBe(true)
    expect(version.base).toBe(hook.saved)
    // Without the mask there are no bytes to name: the recorded version.
    expect((await session.pairVersion(ID)).base).toBe(hook.saved)
  })

  it("an open while a save is between its rename and its record: the new file's bytes and version (the row still names the old)", async () => {
    const during: { open?: () => Promise<OpenedPair>; opened?: OpenedPair; version?: PairVersion } = {}
    const { ws, session, source, a } = await corrected({
      ...nodeAtomicFs,
      rename: async (from, to) => {
        await nodeAtomicFs.rename(from, to)
        const go = during.open
        during.open = undefined
        if (!go) return
        // The file is in place; the save records it only after this returns.
        expect(ws.store.row(ID)?.mask_sha256).toBe(a.sha256)
        expect(sha256Hex(await fsp.readFile(to))).not.toBe(a.sha256)
        during.opened = await go()
        during.version = await session.pairVersion(ID, true)
      },
    })
    const b = resolveUncertain(source, 0, 8)
    during.open = () => session.openPair(ID)
    const saved = await ws.saveMask(ID, b)
    const { opened, version } = during
    expect(opened && version).toBeTruthy()
    expect(same(opened!.mask.data, b.data)).toBe(true)
    expect(opened!.base).toBe(saved.sha256)
    expect(same(version!.mask!.data, b.data)).toBe(true)
    expect(version!.base).toBe(saved.sha256)
  })

  it('a source mask is named by the empty version, and the first save after it is accepted', async () => {
    const { ws, session } = await suite.session()
    const opened = await session.openPair(ID)
    expect(opened.mask.origin).toBe('source')
    expect(opened.base).toBe('')
    expect((await session.pairVersion(ID, true)).base).toBe('')
    const { width, height, data } = opened.mask
    const saved = await ws.saveMask(ID, resolveUncertain({ width, height, data }, 1, 5), {
      base: opened.base,
    })
    expect((await session.openPair(ID)).base).toBe(saved.sha256)
  })
})
