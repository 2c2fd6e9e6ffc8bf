import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PairData } from '../../../shared/api/contract'
import { dispatch } from '../../../shared/api/dispatch'
import type { Result } from '../../../shared/api/result'
import { PathGrants } from '../../../electron/pathGrants'
import { createApiHandlers } from '../../../electron/services/api'
import { DEMO_PAIRS, generateDemoDataset } from '../../../electron/services/demo/demoDataset'
import { decodeMaskPng } from '../../../electron/services/mask/maskPng'
import type { CurationSession } from '../../../electron/services/session'

/**
 * Folder names with spaces and non-ASCII characters, end to end through the API the Electron window
 * calls (path grants, workspace creation, opening pairs, saving a mask, exporting), on real files.
 */
let root: string
let base: string
let session: CurationSession | undefined
const grants = new PathGrants()
const handlers = createApiHandlers({
  host: 'electron',
  session: () => session,
  setSession: (s) => {
    session = s
  },
  allowPath: (p) => grants.allows(p),
  recent: async () => [],
  addRecent: async (dir) => grants.grant(dir),
})

async function call<T>(name: string, args?: unknown): Promise<T> {
  const r = (await dispatch(handlers, name, args)) as Result<T>
  if (!r.ok) throw new Error(`${name}: [${r.error.code}] ${r.error.message}`)
  return r.value
}

/** Starts an export and waits for it to end (the job runs in the background). */
async function exportTo(
  out: string,
): Promise<{ state: string; error: string | null; exported: number | null }> {
  await call('export:start', { selection: { anyStatus: true }, out })
  for (;;) {
    const state = await call<{ state: string; error: string | null; exported: number | null }>(
      'export:status',
    )
    if (state.state !== 'running') return state
    await new Promise((r) => setTimeout(r, 20))
  }
}

const pairs = DEMO_PAIRS.filter((p) => p.width <= 700).slice(0, 2)
let sources: { masksZip: string; imagesDir: string }

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'wsm-nonascii-'))
  base = path.join(root, 'Données de test')
  sources = await generateDemoDataset(path.join(base, 'sources à trier'), { pairs })
  // The curator opened this folder through a dialog.
  grants.grant(base)
})

afterAll(async () => {
  await session?.close()
  rmSync(root, { recursive: true, force: true })
})

describe('a workspace under "Données de test/espace ü"', () => {
  const ws = () => path.join(base, 'espace ü')

  it('is created from sources in a non-ASCII folder, opens pairs, saves a mask and exports', async () => {
    const info = await call<{ dir: string }>('workspace:create', {
      dir: ws(),
      masks: sources.masksZip,
      images: [sources.imagesDir],
      curator: 'Zoë Müller',
    })
    expect(info.dir).toBe(ws())

    const id = pairs[0]!.id
    const pair = await call<PairData>('pair:open', { id })
    expect(pair.id).toBe(id)
    const data = Uint8Array.from(pair.mask.data, (v) => (v === 255 ? 1 : v))
    await call('pair:saveMask', { id, width: pair.mask.width, height: pair.mask.height, data })

    const saved = decodeMaskPng(readFileSync(path.join(ws(), 'masks', `${id}.png`)))
    expect([saved.width, saved.height]).toEqual([pair.mask.width, pair.mask.height])
    expect(Buffer.from(saved.data).equals(Buffer.from(data))).toBe(true)
    // The second pair opens too, and the first reopens with the saved mask.
    expect((await call<PairData>('pair:open', { id: pairs[1]!.id })).id).toBe(pairs[1]!.id)
    expect(Buffer.from((await call<PairData>('pair:open', { id })).mask.data).equals(Buffer.from(data))).toBe(
      true,
    )

    const out = path.join(base, 'exports é', 'lot n°1')
    mkdirSync(path.dirname(out), { recursive: true })
    const state = await exportTo(out)
    expect(state).toMatchObject({ state: 'done', error: null })
    expect(existsSync(out)).toBe(true)
    const files = readdirSync(out, { recursive: true }).map(String)
    expect(files.some((f) => f.includes(id))).toBe(true)
  })

  it('refuses an export into a source folder, also into a child named "..x" of it', async () => {
    for (const out of [path.join(sources.imagesDir, 'export'), path.join(sources.imagesDir, '..export')]) {
      const state = await exportTo(out)
      expect(state.state).toBe('failed')
      expect(state.error).toContain('inside the source folder')
      expect(existsSync(out)).toBe(false)
    }
  })

  it('refuses a folder the curator did not open', async () => {
    const r = await dispatch(handlers, 'workspace:open', { dir: path.join(root, 'Données de test2') })
    expect(r).toMatchObject({ ok: false, error: { code: 'forbidden-path' } })
  })
})
