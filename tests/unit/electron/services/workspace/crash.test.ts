/**
 * Crash safety: a child process saves masks in a loop and is killed with SIGKILL at random moments,
 * many times over (some kills land while it is still opening and recovering). Afterwards every mask
 * file must decode to valid labels at the right size, the database must pass integrity_check and
 * agree with the files, no temporary file may pass for a mask, and no acknowledged save may be lost.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { findInvalidLabel } from '../../../../../shared/labels/codes'
import { decodeMaskPng } from '../../../../../electron/services/mask/maskPng'
import { isTempName } from '../../../../../electron/services/fs/atomicWrite'
import { openSqlite } from '../../../../../electron/services/workspace/sqlite'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { makeKillRig, type KillRig, type MaskSpec } from './fixtures'

const KILLS = 30
const here = path.dirname(fileURLToPath(import.meta.url))
let rig: KillRig
let childJs: string
let dir: string

const SPECS: MaskSpec[] = [
  { id: 'ISIC_0000011', width: 1800, height: 1200, kind: 'grey' },
  { id: 'ISIC_0000012', width: 1500, height: 1000, kind: 'palette' },
  { id: 'ISIC_0000013', width: 640, height: 480, kind: 'grey' },
  { id: 'ISIC_0000014', width: 300, height: 200, kind: 'palette' },
]

beforeAll(async () => {
  rig = await makeKillRig('wsm-crash-', path.join(here, 'support', 'saveLoop.ts'), 'crash-save-loop', {
    specs: SPECS,
  })
  ;({ childJs, dir } = rig)
})

afterAll(() => rig.dispose())

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex')
}

/** Runs the child once and kills it; returns the saves it acknowledged. */
async function runAndKill(
  seed: number,
  rand: () => number,
): Promise<{ acked: [string, string][]; opened: boolean; notices: string[] }> {
  const child = spawn(process.execPath, [childJs, dir, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] })
  const acked: [string, string][] = []
  const notices: string[] = []
  let opened = false
  let stderr = ''
  let buffered = ''
  let onOpen: () => void = () => undefined
  const openedP = new Promise<void>((resolve) => (onOpen = resolve))
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    let nl
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      const [kind, id, hash] = line.split(' ')
      if (kind === 'open') {
        notices.push(...(JSON.parse(line.slice(5)) as string[]))
        opened = true
        onOpen()
      } else if (kind === 'saved') acked.push([id, hash])
    }
  })
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  // Every fourth run is killed blindly (possibly while opening and recovering), the others once open.
  if (seed % 4 !== 0) await Promise.race([openedP, exited])
  await new Promise((r) => setTimeout(r, Math.floor(rand() * (seed % 4 === 0 ? 400 : 300))))
  child.kill('SIGKILL')
  const code = await exited
  if (code !== null) throw new Error(`the child exited by itself (${code}): ${stderr}`)
  return { acked, opened, notices }
}

it(`survives ${KILLS} SIGKILLs at random moments of a save loop`, async () => {
  let s = 12345
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296
  const lastAcked = new Map<string, string>()
  let opened = 0
  let saves = 0
  const notices: string[] = []
  for (let k = 0; k < KILLS; k++) {
    const r = await runAndKill(k, rand)
    if (r.opened) opened++
    saves += r.acked.length
    notices.push(...r.notices)
    for (const [id, hash] of r.acked) lastAcked.set(id, hash)
  }
  expect(opened).toBeGreaterThan(KILLS / 2)
  expect(saves).toBeGreaterThan(0)
  // What the kills interrupted (informative: where a kill lands is up to the scheduler).
  const count = (re: RegExp) => notices.filter((n) => re.test(n)).length
  console.info(
    `crash test: ${KILLS} kills, ${saves} acknowledged saves; on reopening: ` +
      `${count(/had completed/)} interrupted saves completed, ${count(/had not completed/)} dropped, ` +
      `${count(/temporary file/)} times temporary files removed`,
  )

  // Before any recovery: every file with a mask name is a whole, valid mask of the source's size.
  const masksDir = path.join(dir, 'masks')
  const sizes = new Map(SPECS.map((sp) => [sp.id, [sp.width, sp.height]]))
  const names = await fsp.readdir(masksDir)
  for (const name of names) {
    if (isTempName(name)) continue
    expect(name).toMatch(/^ISIC_\d{7}\.png$/)
    const decoded = decodeMaskPng(await fsp.readFile(path.join(masksDir, name)), name)
    expect([decoded.width, decoded.height]).toEqual(sizes.get(name.slice(0, 12)))
    expect(findInvalidLabel(decoded.data)).toBe(-1)
  }
  const raw = openSqlite(path.join(dir, 'workspace.sqlite'))
  expect(raw.pragma('integrity_check', { simple: true })).toBe('ok')
  raw.close()

  // Reopening recovers: temporary files go, pending saves are settled, files and rows agree.
  const ws = await Workspace.open(dir)
  try {
    const after = await fsp.readdir(masksDir)
    expect(after.filter(isTempName)).toEqual([])
    for (const id of SPECS.map((sp) => sp.id)) {
      const state = ws.pairState(id)
      const file = path.join(masksDir, `${id}.png`)
      const exists = after.includes(`${id}.png`)
      expect(state.corrected).toBe(exists)
      if (!exists) continue
      const hash = sha256(await fsp.readFile(file))
      const events = ws.events(id)
      const lastSave = events.find((e) => e.kind === 'save')
      expect(lastSave?.maskSha256).toBe(hash)
      // An acknowledged save is never lost: it is in the trail (the file may hold a later one).
      const acked = lastAcked.get(id)
      if (acked !== undefined) expect(events.some((e) => e.maskSha256 === acked)).toBe(true)
      const current = await ws.readCurrentMask(id)
      expect(current.origin).toBe('corrected')
      expect(current.format.colorType).toBe(SPECS.find((sp) => sp.id === id)!.kind === 'grey' ? 0 : 3)
    }
  } finally {
    await ws.close()
  }
  const db = openSqlite(path.join(dir, 'workspace.sqlite'), { readonly: true })
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(db.prepare('SELECT count(*) FROM pending_saves').pluck().get()).toBe(0)
  } finally {
    db.close()
  }
})
