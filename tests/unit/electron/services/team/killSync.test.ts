/**
 * kill -9 during sync: the CLI (`team sync`, built from the current sources) runs as a child and is
 * SIGKILLed at random moments, 20 times, while the curator keeps deciding in the same workspace
 * (held open by this process, as the app would). Then one sync runs to the end, and every decision
 * and mask must be on the server exactly once: each pair's latest state there is the local one,
 * every server row is a real local event, every mask's bytes hash to its key, and a further sync
 * pushes nothing.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initTeam, joinTeam } from '../../../../../electron/services/team/membership'
import { syncTeam } from '../../../../../electron/services/team/sync'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { builtCli } from '../../../../support/builtCli'
import { postgresSkipReason, startPostgres, type PostgresServer } from '../../../../support/postgres'
import { makeWorkspace, resolved, teamSources } from './support'

const KILLS = 20
const N = 240
const suite = postgresSkipReason === null ? describe : describe.skip

suite(`team sync under kill -9${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`, () => {
  let server: PostgresServer
  let root: string
  let cli: string
  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-team-kill-'))
    ;[server, cli] = await Promise.all([startPostgres(), builtCli()])
  }, 240_000)
  afterAll(async () => {
    await server?.stop()
    if (root) await fsp.rm(root, { recursive: true, force: true })
  })

  /**
   * Runs `team sync` as a child; kills it `killAfterMs` after the start, or — with `onceConnected` —
   * that long after its session shows up on the server (so the kill lands in the push or the claim).
   */
  function runSync(
    dir: string,
    killAfterMs: number | null,
    onceConnected = false,
  ): Promise<{ killed: boolean; ms: number; out: string }> {
    const t0 = Date.now()
    const child = spawn(process.execPath, [cli, 'team', 'sync', dir, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    let exited = false
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    let timer: NodeJS.Timeout | undefined
    if (killAfterMs !== null && !onceConnected) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    if (killAfterMs !== null && onceConnected) {
      void (async () => {
        while (!exited) {
          const r = await server.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'wsm-curator-sync'",
          )
          if (Number(r.rows[0].n) > 0) break
          await new Promise((res) => setTimeout(res, 2))
        }
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
      })()
    }
    return new Promise((resolve, reject) => {
      child.once('exit', (code, signal) => {
        exited = true
        clearTimeout(timer)
        if (signal === 'SIGKILL') resolve({ killed: true, ms: Date.now() - t0, out })
        else if (code === 0) resolve({ killed: false, ms: Date.now() - t0, out })
        else reject(new Error(`team sync exited ${code}: ${err}`))
      })
    })
  }

  it(`loses and duplicates nothing over ${KILLS} kills at random moments`, async () => {
    const sources = await teamSources(root, N)
    const url = await server.createDatabase('kills')
    const lead = await makeWorkspace(root, 'lead', sources)
    await initTeam(lead, url, { batch: 20, doubleReview: 0.1 })
    const dir = await makeWorkspace(root, 'ann', sources)
    await joinTeam(dir, url, 'ann')
    const ws = await Workspace.open(dir)
    try {
      // A first full run, to know how long a sync takes here.
      const decide = async (round: number) => {
        for (let k = 0; k < 24; k++) {
          const id = sources.ids[(round * 24 + k * 7) % N]
          if ((round + k) % 3 === 0) await ws.setStatus(id, k % 2 ? 'accepted' : 'rejected')
          else await ws.saveMask(id, resolved((await ws.readCurrentMask(id)).map, (round * 5 + k) % 40))
        }
      }
      await decide(0)
      const full = await runSync(dir, null)
      expect(JSON.parse(full.out)).toMatchObject({ pushed: 24 })
      let s = 4242
      const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296
      let killed = 0
      let landedMidPush = 0
      for (let round = 1; round <= KILLS; round++) {
        await decide(round)
        const before = Number(
          (await server.query('SELECT count(*) AS n FROM decisions', [], 'kills')).rows[0].n,
        )
        // Odd rounds: blind, anywhere in the run (start-up included); even rounds: once connected.
        const r =
          round % 2 === 1
            ? await runSync(dir, Math.floor(rand() * full.ms * 1.2))
            : await runSync(dir, Math.floor(rand() * 60), true)
        if (r.killed) {
          killed++
          const after = Number(
            (await server.query('SELECT count(*) AS n FROM decisions', [], 'kills')).rows[0].n,
          )
          if (after > before) landedMidPush++
        }
      }
      console.info(
        `team kill test: ${killed}/${KILLS} runs killed (full run ${full.ms} ms); ${landedMidPush} after a chunk had committed`,
      )
      expect(killed).toBeGreaterThan(KILLS / 2)
      const last = await runSync(dir, null)
      expect(last.killed).toBe(false)

      // Every local event seq, and each pair's latest state and mask.
      const events = new Set(ws.events(undefined, { limit: 100_000 }).map((e) => `${e.id}:${e.seq}`))
      const rows = (
        await server.query(
          `SELECT pair_id, event_seq, status, mask_sha256 FROM decisions WHERE curator = 'ann' ORDER BY pair_id, event_seq`,
          [],
          'kills',
        )
      ).rows as { pair_id: string; event_seq: string; status: string; mask_sha256: string | null }[]
      for (const r of rows) expect(events.has(`${r.pair_id}:${r.event_seq}`)).toBe(true)
      expect(new Set(rows.map((r) => `${r.pair_id}:${r.event_seq}`)).size).toBe(rows.length)
      const latest = new Map<string, (typeof rows)[number]>()
      for (const r of rows) latest.set(r.pair_id, r)
      const touched = new Set(ws.events(undefined, { limit: 100_000 }).map((e) => e.id))
      expect([...latest.keys()].sort()).toEqual([...touched].sort())
      for (const id of touched) {
        const state = ws.pairState(id)
        const row = latest.get(id)!
        expect(row.status).toBe(state.status)
        const want = state.corrected
          ? createHash('sha256')
              .update(await fsp.readFile(ws.maskFile(id)))
              .digest('hex')
          : null
        expect(row.mask_sha256).toBe(want)
      }
      const masks = await server.query(
        `SELECT count(*) FILTER (WHERE encode(sha256(bytes), 'hex') <> sha256) AS bad, count(*) AS n FROM masks`,
        [],
        'kills',
      )
      expect(Number(masks.rows[0].bad)).toBe(0)
      expect((await syncTeam(dir)).pushed).toBe(0)
    } finally {
      await ws.close()
    }
  }, 240_000)
})
