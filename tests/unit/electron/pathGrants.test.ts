import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { PathGrants } from '../../../electron/pathGrants'
import { createApiHandlers } from '../../../electron/services/api'
import { dispatch } from '../../../shared/api/dispatch'

describe('PathGrants', () => {
  const g = new PathGrants()
  g.grant('/data/isic')
  g.grant('/home/curator/ws')

  it('allows granted roots and what lies below them', () => {
    expect(g.allows('/data/isic')).toBe(true)
    expect(g.allows('/data/isic/ISIC_WSM_labels.zip')).toBe(true)
    expect(g.allows('/home/curator/ws/masks/x.png')).toBe(true)
  })

  it('refuses siblings, parents, prefixes and traversal', () => {
    expect(g.allows('/data')).toBe(false)
    expect(g.allows('/data/isic2/x.zip')).toBe(false)
    expect(g.allows('/data/isic/../secret')).toBe(false)
    expect(g.allows('/etc/passwd')).toBe(false)
  })
})

describe('workspace calls with an allow-list (the Electron host)', () => {
  const grants = new PathGrants()
  const handlers = createApiHandlers({
    host: 'electron',
    session: () => undefined,
    setSession: () => {},
    allowPath: (p) => grants.allows(p),
    recent: async () => [],
    addRecent: async () => {},
  })

  it('refuses paths the curator did not open, before touching them', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsm-grants-'))
    const r = await dispatch(handlers, 'workspace:open', { dir })
    expect(r).toMatchObject({ ok: false, error: { code: 'forbidden-path' } })
    const c = await dispatch(handlers, 'workspace:create', { dir, masks: '/etc', images: ['/etc'] })
    expect(c).toMatchObject({ ok: false, error: { code: 'forbidden-path' } })
  })

  it('says native dialogs are unsupported where the host has none', async () => {
    const r = await dispatch(handlers, 'dialog:pick', { purpose: 'masks-zip' })
    expect(r).toMatchObject({ ok: false, error: { code: 'unsupported' } })
  })
})
