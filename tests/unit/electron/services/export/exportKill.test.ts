/**
 * An export killed with SIGKILL mid-way (a child process running the CLI's `export` on a workspace of
 * a few hundred pairs) leaves nothing under the final name: only its `.partial-` leftover, which the
 * next export to that name reports and does not mind.
 */
import { spawn } from 'node:child_process'
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildChildBundle } from '../../../../support/childBundle'
import { makeRepeatedSources } from '../../../../../bench/export'
import { DEMO_PAIRS } from '../../../../../electron/services/demo/demoDataset'
import { runExport, verifyExport } from '../../../../../electron/services/export'
import { Workspace } from '../../../../../electron/services/workspace/workspace'

const PAIRS = 400
const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../../../../..')
let root: string
let outDir: string
let cliJs: string
let wsDir: string

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-export-kill-'))
  ;({ file: cliJs, dir: outDir } = await buildChildBundle(
    path.join(repo, 'electron', 'cli', 'index.ts'),
    'export-kill-cli',
  ))
  const src = await makeRepeatedSources(path.join(root, 'src'), PAIRS, DEMO_PAIRS.slice(2, 4))
  wsDir = path.join(root, 'ws')
  const ws = await Workspace.create(wsDir, { masks: src.masks, images: [src.images], curator: 'setup' })
  await ws.setStatuses(src.ids, 'accepted')
  await ws.close()
}, 180_000)

afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true })
  await fsp.rm(outDir, { recursive: true, force: true })
})

/** Bytes written so far under a `.partial-` name next to `out` (0 when there is none yet). */
async function partialProgress(out: string): Promise<{ name: string | undefined; bytes: number }> {
  const parent = path.dirname(out)
  const name = (await fsp.readdir(parent).catch(() => [] as string[])).find((n) =>
    n.startsWith(`${path.basename(out)}.partial-`),
  )
  if (name === undefined) return { name, bytes: 0 }
  const p = path.join(parent, name)
  const st = await fsp.stat(p).catch(() => undefined)
  if (!st) return { name, bytes: 0 }
  if (st.isFile()) return { name, bytes: st.size }
  const files = await fsp.readdir(path.join(p, 'images')).catch(() => [] as string[])
  return { name, bytes: files.length * 100_000 }
}

for (const kind of ['folder', 'zip'] as const) {
  it(`SIGKILL during a ${kind} export leaves nothing under the final name`, async () => {
    const out = path.join(root, 'exports', kind === 'zip' ? 'killed.zip' : 'killed')
    await fsp.mkdir(path.dirname(out), { recursive: true })
    const child = spawn(process.execPath, [cliJs, 'export', wsDir, '--out', out], { stdio: 'pipe' })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    )
    let finished: { code: number | null; signal: NodeJS.Signals | null } | undefined
    void exited.then((r) => (finished = r))
    // Kill once a good part (but not all) of the export has been written.
    const deadline = Date.now() + 60_000
    for (;;) {
      if (finished)
        throw new Error(`the export ended before it could be killed: ${JSON.stringify(finished)} ${stderr}`)
      if (Date.now() > deadline) throw new Error('the export did not start writing')
      if ((await partialProgress(out)).bytes >= 2_000_000) break
      await new Promise((r) => setTimeout(r, 5))
    }
    child.kill('SIGKILL')
    expect((await exited).signal).toBe('SIGKILL')

    expect(await fsp.lstat(out).catch(() => null)).toBeNull()
    const left = await partialProgress(out)
    expect(left.name).toBeDefined()

    // The next export to the same name works, and points at the leftover.
    const ws = await Workspace.open(wsDir)
    try {
      const s = await runExport(ws, { out })
      expect(s.exported).toBe(PAIRS)
      expect(s.leftovers).toEqual([path.join(path.dirname(out), left.name as string)])
    } finally {
      await ws.close()
    }
    expect((await verifyExport(out)).ok).toBe(true)
  }, 120_000)
}
