/**
 * A metadata import killed with SIGKILL at random moments: on reopening, every imported column
 * holds either all its old values or all its new ones, and the value counts agree with the values.
 */
import { spawn } from 'node:child_process'
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { makeKillRig, type KillRig } from './fixtures'

const KILLS = 6
const ROWS = 60_000
const here = path.dirname(fileURLToPath(import.meta.url))
let rig: KillRig
let root: string
let childJs: string
let dir: string
let ids: string[]

beforeAll(async () => {
  rig = await makeKillRig(
    'wsm-metacrash-',
    path.join(here, 'support', 'metadataImportChild.ts'),
    'metadata-import-child',
  )
  ;({ root, childJs, dir, ids } = rig)
})

afterAll(() => rig.dispose())

/** A CSV whose values depend on the row, so values from part of the file differ from the whole's. */
async function writeCsv(tag: string): Promise<{ file: string; final: Map<string, Record<string, string>> }> {
  const lines = ['isic_id,diagnosis,site']
  const final = new Map<string, Record<string, string>>()
  for (let i = 0; i < ROWS; i++) {
    const id = ids[i % ids.length]
    const row = { diagnosis: `${tag}-${i}`, site: `${tag}-site-${i % 3}` }
    lines.push(`${id},${row.diagnosis},${row.site}`)
    final.set(id, row)
  }
  const file = path.join(root, `${tag}.csv`)
  await fsp.writeFile(file, lines.join('\n') + '\n')
  return { file, final }
}

/** Opens the workspace, reads every pair's metadata and checks the counts against the values. */
async function readBack(): Promise<Map<string, Record<string, string>>> {
  const ws = await Workspace.open(dir, { curator: 'check' })
  try {
    const db = ws.store.db
    const counts = db.prepare(`SELECT col, value, pairs FROM metadata_counts ORDER BY col, value`).all()
    const recount = db
      .prepare(`SELECT col, value, count(*) AS pairs FROM metadata GROUP BY col, value ORDER BY col, value`)
      .all()
    expect(counts).toEqual(recount)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    return ws.metadataOf(ids)
  } finally {
    await ws.close()
  }
}

/** Runs the child on `file` and kills it `delay` ms after it opened; true when it finished first. */
async function runAndKill(file: string, delay: number): Promise<boolean> {
  const child = spawn(process.execPath, [childJs, dir, file], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let stderr = ''
  let onOpen: () => void = () => undefined
  const opened = new Promise<void>((resolve) => (onOpen = resolve))
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString()
    if (out.includes('open\n')) onOpen()
  })
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  await Promise.race([opened, exited])
  await Promise.race([new Promise((r) => setTimeout(r, delay)), exited])
  child.kill('SIGKILL')
  const code = await exited
  if (code !== null && code !== 0) throw new Error(`the child failed (${code}): ${stderr}`)
  return out.includes('done\n')
}

it(`keeps a column all old or all new across ${KILLS} SIGKILLs of an import`, async () => {
  let s = 777
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296
  let before = await readBack()
  const outcomes: string[] = []
  for (let k = 0; k < KILLS; k++) {
    const { file, final } = await writeCsv(`run${k}`)
    // The import takes under a second here: the kills land within it, the last run completes.
    const finished = await runAndKill(file, k === KILLS - 1 ? 30_000 : 50 + Math.floor(rand() * 650))
    const after = await readBack()
    const isOld = ids.every((id) => JSON.stringify(after.get(id)) === JSON.stringify(before.get(id)))
    const isNew = ids.every((id) => JSON.stringify(after.get(id)) === JSON.stringify(final.get(id)))
    expect(isOld || isNew, `run ${k}: ${JSON.stringify([...after])}`).toBe(true)
    if (finished) expect(isNew).toBe(true)
    if (k === KILLS - 1) expect(finished).toBe(true)
    outcomes.push(isNew ? 'new' : 'old')
    before = after
  }
  console.info(`metadata kill test: ${outcomes.join(', ')}`)
}, 60_000)
