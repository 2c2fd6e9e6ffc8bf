/**
 * The triage pass on worker threads (real PNG masks in a zip, real JPEG images, the real worker and
 * sharp): an abort mid-pass stops the worker cooperatively — it finishes the item it is decoding
 * and exits by itself, never `terminate()`d while sharp works in it (lovell/sharp#2263: that can
 * crash the whole process) — and no result follows the abort.
 */
import { promises as fsp } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  RescoreWorker,
  runScorePass,
  stopWorkers,
  type TriageItem,
} from '../../../../../electron/services/triage/scorePass'
import { TriageRoom } from '../../../../../electron/services/workspace/triageScores'
import type { Workspace } from '../../../../../electron/services/workspace/workspace'
import { makeWorkspace } from '../workspace/fixtures'

let root: string
let ws: Workspace

beforeEach(async () => {
  ;({ root, ws } = await makeWorkspace('wsm-scorepass-'))
  await ws.startStatsScan({ workers: 0 })
})

afterEach(async () => {
  vi.restoreAllMocks()
  await ws.close()
  await fsp.rm(root, { recursive: true, force: true })
})

describe('runScorePass on a worker', () => {
  it('an abort mid-pass lets the worker finish its item and exit by itself (no terminate), no result follows', async () => {
    const { items } = await new TriageRoom(ws).stale()
    expect(items.length).toBe(5)
    // Several batches (8 items each), so that the abort lands while the worker decodes batch two.
    const many: TriageItem[] = Array.from({ length: 40 }, (_, k) => items[k % items.length])
    const terminate = vi.spyOn(Worker.prototype, 'terminate')
    const controller = new AbortController()
    let results = 0
    let resultsAtAbort = -1
    await runScorePass(many, {
      workers: 1,
      signal: controller.signal,
      onResult: () => results++,
      onProgress: () => {
        // After this returns the next batch is posted; abort while the worker is on it.
        setImmediate(() => {
          resultsAtAbort = results
          controller.abort()
        })
      },
    })
    expect(resultsAtAbort).toBe(8)
    expect(results).toBe(8)
    expect(terminate).not.toHaveBeenCalled()
    // The process is alive and a new pass still runs to the end.
    let after = 0
    await runScorePass(items, { workers: 1, onResult: () => after++ })
    expect(after).toBe(5)
    expect(terminate).not.toHaveBeenCalled()
  })
})

describe('stopWorkers', () => {
  // Plain workers without sharp: terminating them is safe, so the fallback itself can be exercised.
  it('a worker that honours close exits by itself; one that ignores it is terminated after the timeout', async () => {
    const polite = new Worker(
      "const { parentPort } = require('node:worker_threads'); const t = setInterval(() => {}, 1000); parentPort.on('message', () => { clearInterval(t); parentPort.close() })",
      { eval: true },
    )
    const stubborn = new Worker(
      "const { parentPort } = require('node:worker_threads'); setInterval(() => {}, 1000); parentPort.on('message', () => {})",
      { eval: true },
    )
    await Promise.all([polite, stubborn].map((w) => new Promise((r) => w.once('online', r))))
    const terminate = vi.spyOn(Worker.prototype, 'terminate')
    const politeExit = new Promise<number>((r) => polite.once('exit', r))
    const stubbornExit = new Promise<number>((r) => stubborn.once('exit', r))
    await stopWorkers([polite, stubborn], 200)
    expect(terminate.mock.contexts).toEqual([stubborn])
    expect(await politeExit).toBe(0)
    expect(await stubbornExit).toBe(1)
  })
})

describe('RescoreWorker (the rescoring after saves)', () => {
  it('scores items one after another on ONE kept thread, as the pass does; close stops it; the next item starts another', async () => {
    const { items } = await new TriageRoom(ws).stale()
    const expected = new Map<string, number | undefined>()
    await runScorePass(items, { workers: 0, onResult: (r) => expected.set(r.id, r.score) })
    const spawned = vi.spyOn(Worker.prototype, 'postMessage')
    const rescorer = new RescoreWorker(60_000)
    const first = await Promise.all(items.map((item) => rescorer.score(item)))
    expect(first.map((r) => [r.id, r.score])).toEqual(items.map((i) => [i.id, expected.get(i.id)]))
    expect(rescorer.alive).toBe(true)
    const threads = new Set(spawned.mock.contexts.map((w) => (w as Worker).threadId))
    expect(threads.size).toBe(1)
    await rescorer.close()
    expect(rescorer.alive).toBe(false)
    const again = await rescorer.score(items[0])
    expect(again.score).toBe(expected.get(items[0].id))
    await rescorer.close()
  })

  it('an idle thread that fails or dies does not take the process down; the next item starts another', async () => {
    const { items } = await new TriageRoom(ws).stale()
    const posted = vi.spyOn(Worker.prototype, 'postMessage')
    const rescorer = new RescoreWorker(60_000)
    try {
      const first = await rescorer.score(items[0])
      const thread = posted.mock.contexts.at(-1) as Worker
      posted.mockRestore()
      // An 'error' with no listener would throw here (EventEmitter), as it would in the main process.
      expect(() => thread.emit('error', new Error('idle failure'))).not.toThrow()
      expect(rescorer.alive).toBe(false)
      await thread.terminate()
      const again = await rescorer.score(items[0])
      expect(again.score).toBe(first.score)
      expect(rescorer.alive).toBe(true)
    } finally {
      posted.mockRestore()
      await rescorer.close()
    }
  })

  it('exits by itself after its idle time', async () => {
    const { items } = await new TriageRoom(ws).stale()
    const rescorer = new RescoreWorker(50)
    await rescorer.score(items[0])
    expect(rescorer.alive).toBe(true)
    for (let i = 0; i < 200 && rescorer.alive; i++) await new Promise((r) => setTimeout(r, 25))
    expect(rescorer.alive).toBe(false)
  })
})
