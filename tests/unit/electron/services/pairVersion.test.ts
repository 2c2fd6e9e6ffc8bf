/**
 * `pair:version`: the version of a pair's current mask (what `pair:open` calls `base`), its state
 * and the progress, without the image; with `mask: true` the current mask too. The editor's
 * "Keep mine" and "Load the saved version" use it after a save conflict, so neither reads (nor
 * ships) the image again, and neither is stuck when the image no longer reads. Through the one
 * dispatcher (the schema checks the arguments, as for IPC and `serve`), on a real workspace.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Result } from '../../../../shared/api/result'
import type { OpenedPair, PairVersion, SaveResult } from '../../../../shared/api/contract'
import { resolveUncertain } from './workspace/fixtures'
import { pairWorkspaces, serveApi } from './workspace/support/pairWorkspaces'

const suite = pairWorkspaces('wsm-pair-version-')
const ID = 'ISIC_0000001'

/** A fresh workspace over the sources (`images`: another images folder) and its API as dispatched. */
async function api(images?: string) {
  return serveApi((await suite.session(images)).session)
}

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`[${r.error.code}] ${r.error.message}`)
  return r.value
}

describe('pair:version', () => {
  it("names the version pair:open names, before and after a save, and with mask: true the current mask's exact bytes", async () => {
    const call = await api()
    const opened = value(await call<OpenedPair>('pair:open', { id: ID }))
    const source = value(await call<PairVersion>('pair:version', { id: ID }))
    expect(source.base).toBe('')
    expect(source.base).toBe(opened.base)
    expect(source.mask).toBeUndefined()
    expect(source.state).toMatchObject({ id: ID, status: 'unreviewed', corrected: false })
    expect(source.progress.total).toBe(suite.sources.ids.length)
    const withMask = value(await call<PairVersion>('pair:version', { id: ID, mask: true }))
    expect(withMask.mask).toMatchObject({
      width: opened.mask.width,
      height: opened.mask.height,
      origin: 'source',
    })
    expect(Buffer.from(withMask.mask!.data).equals(Buffer.from(opened.mask.data))).toBe(true)

    const { width, height, data } = opened.mask
    const edit = resolveUncertain({ width, height, data }, 1, 10)
    const saved = value(
      await call<SaveResult>('pair:saveMask', { id: ID, width, height, data: edit.data, base: '' }),
    )
    expect(saved.base).toMatch(/^[0-9a-f]{64}$/)
    const after = value(await call<PairVersion>('pair:version', { id: ID, mask: true }))
    expect(after.base).toBe(saved.base)
    expect(after.state).toMatchObject({ status: 'corrected', corrected: true })
    expect(after.progress).toEqual(saved.progress)
    expect(after.mask!.origin).toBe('corrected')
    expect(Buffer.from(after.mask!.data).equals(Buffer.from(edit.data))).toBe(true)
    // The version named is the one a save must name: a save with it lands, the old one is refused.
    const stale = await call<SaveResult>('pair:saveMask', {
      id: ID,
      width,
      height,
      data: edit.data,
      base: '',
    })
    expect(stale.ok ? 'saved' : stale.error.code).toBe('conflict')
    expect(
      (await call<SaveResult>('pair:saveMask', { id: ID, width, height, data, base: after.base })).ok,
    ).toBe(true)
  })

  it('answers for a corrected pair whose image no longer reads (pair:open fails): nothing in the editor is stuck', async () => {
    // Its own images folder: the image is removed after the correction is saved.
    const images = suite.dir('images')
    await fsp.cp(suite.sources.images, images, { recursive: true })
    const call = await api(images)
    // Never opened here (pair:open would keep the image in the main process's pair cache).
    const source = value(await call<PairVersion>('pair:version', { id: ID, mask: true })).mask!
    const { width, height, data } = source
    const edit = resolveUncertain({ width, height, data }, 0, 10)
    const saved = value(
      await call<SaveResult>('pair:saveMask', { id: ID, width, height, data: edit.data, base: '' }),
    )
    // A JPEG cut short: the image is corrupt.
    await fsp.writeFile(path.join(images, `${ID}.jpg`), Buffer.from([0xff, 0xd8, 0xff]))
    const reopened = await call<OpenedPair>('pair:open', { id: ID })
    expect(reopened.ok).toBe(false)
    const now = value(await call<PairVersion>('pair:version', { id: ID, mask: true }))
    expect(now.base).toBe(saved.base)
    expect(Buffer.from(now.mask!.data).equals(Buffer.from(edit.data))).toBe(true)
  })

  it('refuses what the schema does not allow, and an unknown pair, with stable codes', async () => {
    const call = await api()
    const codes = async (args: unknown) => {
      const r = await call<PairVersion>('pair:version', args)
      return r.ok ? 'ok' : r.error.code
    }
    expect(await codes({ id: 'not-an-id' })).toBe('bad-request')
    expect(await codes({ id: ID, mask: 'yes' })).toBe('bad-request')
    expect(await codes({})).toBe('bad-request')
    expect(await codes({ id: 'ISIC_9999999' })).toBe('not-found')
    expect(await codes({ id: 'ISIC_9999999', mask: true })).toBe('not-found')
  })
})
