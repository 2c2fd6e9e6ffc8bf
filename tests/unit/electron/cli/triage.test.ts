/**
 * `wsm-curator triage` and the score filters of `export` and `review`, in process on a real
 * workspace (real PNG masks in a zip, real JPEGs, real SQLite, the real triage worker).
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCommand } from '../../../support/cli'
import { TRIAGE_REASON_CODES } from '../../../../shared/labels/triage/types'
import { exportCommand } from '../../../../electron/cli/commands/export'
import { initCommand } from '../../../../electron/cli/commands/init'
import { reviewCommand } from '../../../../electron/cli/commands/review'
import { triageCommand } from '../../../../electron/cli/commands/triage'
import { planExport } from '../../../../electron/services/export/plan'
import { Workspace } from '../../../../electron/services/workspace/workspace'
import { makeSources, type Sources } from '../services/workspace/fixtures'

interface TriageJson {
  pairs: { id: string; score: number; reasons: { code: string; score: number }[] }[]
  elapsedMs: number
}

let root: string
let sources: Sources
let ws: string
let full: TriageJson

async function triage(...args: string[]): Promise<TriageJson> {
  const r = await runCommand(triageCommand, [ws, '--json', ...args])
  expect(r.code).toBe(0)
  return JSON.parse(r.out) as TriageJson
}

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-cli-triage-'))
  sources = await makeSources(path.join(root, 'src'))
  ws = path.join(root, 'ws')
  const init = await runCommand(initCommand, [ws, '--masks', sources.masks, '--images', sources.images])
  expect(init.code).toBe(0)
})

afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true })
})

describe('wsm-curator export --score-max before any score', () => {
  it('leaves every pair out, each listed as not-scored', async () => {
    const out = path.join(root, 'export-unscored')
    const r = await runCommand(exportCommand, [ws, '--out', out, '--status', 'any', '--score-max', '1'], {
      mapErrors: true,
    })
    // An empty selection is refused as bad-request: exit 2, as the real CLI maps it.
    expect(r.code).toBe(2)
    expect(r.err).toContain('[bad-request]')
    expect(r.err).toContain('5 not-scored')
    const w = await Workspace.open(ws, { readOnly: true })
    try {
      const plan = planExport(w, { status: 'any', scoreMax: 1 })
      expect(plan.count).toBe(0)
      expect(plan.excluded).toEqual(sources.ids.map((id) => ({ id, reason: 'not-scored' })))
    } finally {
      await w.close()
    }
  })
})

describe('wsm-curator triage', () => {
  it('runs the missing scan and scores first, then prints every pair with statistics, highest first, as JSON', async () => {
    full = await triage()
    expect(Object.keys(full).sort()).toEqual(['elapsedMs', 'pairs'])
    expect(full.elapsedMs).toBeGreaterThanOrEqual(0)
    expect(full.pairs.map((p) => p.id).sort()).toEqual([...sources.ids].sort())
    const scores = full.pairs.map((p) => p.score)
    expect(scores).toEqual([...scores].sort((a, b) => b - a))
    for (const p of full.pairs) {
      expect(Object.keys(p).sort()).toEqual(['id', 'reasons', 'score'])
      expect(p.score).toBeGreaterThanOrEqual(0)
      expect(p.score).toBeLessThanOrEqual(1)
      for (const r of p.reasons) {
        expect(Object.keys(r).sort()).toEqual(['code', 'score'])
        expect(TRIAGE_REASON_CODES).toContain(r.code)
      }
    }
    // The scores are stored: a second run scores nothing and lists the same.
    const ws2 = await Workspace.open(ws)
    try {
      expect(ws2.triageUnscoredCount()).toBe(0)
      expect(await ws2.startTriagePass({ workers: 0 })).toMatchObject({ toScore: 0 })
    } finally {
      await ws2.close()
    }
    expect((await triage()).pairs).toEqual(full.pairs)
  })

  it('--top N keeps the first N; --reason keeps the pairs giving that reason; an unknown reason is a usage error', async () => {
    expect((await triage('--top', '2')).pairs).toEqual(full.pairs.slice(0, 2))
    expect((await triage('--top', '0')).pairs).toEqual([])
    const code = full.pairs.flatMap((p) => p.reasons.map((r) => r.code))[0]
    expect(code).toBeDefined()
    const withCode = full.pairs.filter((p) => p.reasons.some((r) => r.code === code))
    expect((await triage('--reason', code)).pairs).toEqual(withCode)
    expect((await triage('--reason', code, '--top', '1')).pairs).toEqual(withCode.slice(0, 1))
    const bad = await runCommand(triageCommand, [ws, '--reason', 'not-a-reason'], { mapErrors: true })
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('unknown --reason')
  })

  it('prints a table without --json', async () => {
    const r = await runCommand(triageCommand, [ws, '--top', '1'])
    expect(r.code).toBe(0)
    expect(r.out).toContain(full.pairs[0].id)
    expect(r.out).toContain(full.pairs[0].score.toFixed(2))
  })
})

describe('score filters of export and review', () => {
  it('export --score-max F exports exactly the pairs scored at most F', async () => {
    const limit = full.pairs[2].score
    const out = path.join(root, 'export-low')
    const r = await runCommand(exportCommand, [
      ws,
      '--out',
      out,
      '--status',
      'any',
      '--score-max',
      String(limit),
      '--json',
    ])
    expect(r.code).toBe(0)
    const summary = JSON.parse(r.out) as { exported: number; selection: { scoreMax?: number } }
    expect(summary.selection.scoreMax).toBe(limit)
    const files = (await fsp.readdir(path.join(out, 'masks'))).map((f) => f.replace(/\.png$/, '')).sort()
    // The JSON rounds to 4 decimals; the stored scores decide.
    const w = await Workspace.open(ws, { readOnly: true })
    try {
      const expected = w
        .triageAll()
        .filter((t) => t.score <= limit)
        .map((t) => t.id)
        .sort()
      expect(files).toEqual(expected)
      expect(summary.exported).toBe(expected.length)
    } finally {
      await w.close()
    }
    const bad = await runCommand(exportCommand, [ws, '--out', out + '2', '--score-max', '2'], {
      mapErrors: true,
    })
    expect(bad.code).toBe(2)
  })

  it('review --score-min F sets the status of the unreviewed pairs scored at least F', async () => {
    const w = await Workspace.open(ws, { readOnly: true })
    const scores = w.triageAll()
    await w.close()
    const limit = scores[1].score
    const r = await runCommand(reviewCommand, [ws, '--set', 'flagged', '--score-min', String(limit)])
    expect(r.code).toBe(0)
    const after = await Workspace.open(ws, { readOnly: true })
    try {
      const flagged = after.listIds({ status: 'flagged' })
      expect(flagged).toEqual(
        scores
          .filter((t) => t.score >= limit)
          .map((t) => t.id)
          .sort(),
      )
      expect(flagged.length).toBeGreaterThanOrEqual(2)
    } finally {
      await after.close()
    }
  })
})
