/**
 * Memory while stepping through many pairs (issue #5), in Chromium against `wsm-curator serve`: a
 * workspace of `pairs` pairs (a few distinct generated pairs repeated under new ids, hard links),
 * stepped through with ArrowRight, waiting for each pair on screen (the app's own prefetch on),
 * sampled after the first pair and every `every` pairs, each time after two forced garbage
 * collections (CDP HeapProfiler.collectGarbage):
 * - the renderer's JS heap (CDP Runtime.getHeapUsage: used bytes),
 * - DOM nodes and JS event listeners (CDP Memory.getDOMCounters),
 * - resident memory of Chromium's renderer processes and of the serve process (/proc).
 *
 * Bounds (reported, not asserted), from what may legitimately stay after a pair is left — 50 small
 * undo histories, the loaded queue pages, nothing per pair beyond that:
 * - JS heap after the last pair ≤ JS heap after 100 pairs + 8 MB;
 * - renderer RSS after the last pair ≤ renderer RSS after 100 pairs + 64 MB (less than one
 *   4300×2850 pair's bitmap + overlay + map, ~110 MB: a leak of large pairs shows).
 */
import path from 'node:path'
import type { Browser, CDPSession, Page } from 'playwright-core'
import {
  VIEWPORT,
  chromiumRss,
  idOf,
  layoutWorkspace,
  median,
  openApp,
  rssBytes,
  sleep,
  startServe,
  withTimeout,
  type DistinctPairs,
  type Serve,
} from './editorBrowser'
import { INSTALL_NAV_PROBE } from './editorPageScripts'
import type { Metric } from './index'

export interface MemoryOptions {
  pairs: number
  /** Sample every this many pairs (and after the first). */
  every: number
  /** Distinct pairs cycled through (keys of `distinct`); one `big` pair every `bigEvery` pairs. */
  cycle: string[]
  big: string
  bigEvery: number
}

export const HEAP_BOUND_MB = 8
export const RSS_BOUND_MB = 64

interface Sample {
  pairs: number
  heap: number
  nodes: number
  listeners: number
  renderers: number
  serve: number
}

const MB = 1024 * 1024

export async function benchMemory(
  browser: Browser,
  work: string,
  distinct: DistinctPairs,
  opts: MemoryOptions,
  log: (line: string) => void,
): Promise<Metric[]> {
  const layout = Array.from({ length: opts.pairs }, (_, i) =>
    (i + 1) % opts.bigEvery === 0 ? opts.big : opts.cycle[i % opts.cycle.length],
  )
  const workspace = await layoutWorkspace(path.join(work, 'memory'), distinct, layout)
  const serve = await startServe(workspace)
  const context = await browser.newContext({ viewport: VIEWPORT })
  try {
    const page = await context.newPage()
    const errors = await openApp(page, serve, idOf(0))
    const cdp = await context.newCDPSession(page)
    await cdp.send('HeapProfiler.enable')
    const samples: Sample[] = [await sample(browser, page, cdp, serve, 1)]
    log(`editor memory: stepping through ${opts.pairs} pairs`)
    await page.evaluate(INSTALL_NAV_PROBE)
    const stepMs: number[] = []
    for (let i = 1; i < opts.pairs; i++) {
      const t = performance.now()
      // Waiting in the page (a MutationObserver on data-shown) costs less than a selector poll.
      const shown = page.evaluate(`window.__wsmNav.waitFor(${JSON.stringify(idOf(i))})`)
      await page.keyboard.press('ArrowRight')
      await withTimeout(shown, 60_000, `${idOf(i)} not shown`)
      stepMs.push(performance.now() - t)
      const visited = i + 1
      if (visited % opts.every === 0) {
        samples.push(await sample(browser, page, cdp, serve, visited))
        const s = samples[samples.length - 1]
        log(
          `  ${visited} pairs: heap ${(s.heap / MB).toFixed(1)} MB, renderers ${(s.renderers / MB).toFixed(0)} MB`,
        )
      }
    }
    if (errors.length) throw new Error(`page errors while stepping: ${errors.join('; ')}`)
    // What of the renderer's memory is caches: a critical memory-pressure signal purges them.
    await cdp.send('Memory.simulatePressureNotification', { level: 'critical' })
    await sleep(500)
    const purged = await sample(browser, page, cdp, serve, opts.pairs)
    return metricsOf(samples, purged, opts, median(stepMs))
  } finally {
    await context.close()
    await serve.stop()
  }
}

async function sample(
  browser: Browser,
  page: Page,
  cdp: CDPSession,
  serve: Serve,
  pairs: number,
): Promise<Sample> {
  await cdp.send('HeapProfiler.collectGarbage')
  await cdp.send('HeapProfiler.collectGarbage')
  // Let the page settle (deferred frees, the last frame) before reading the process figures.
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))')
  const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }
  const dom = (await cdp.send('Memory.getDOMCounters')) as { nodes: number; jsEventListeners: number }
  const rss = await chromiumRss(browser)
  return {
    pairs,
    heap: heap.usedSize,
    nodes: dom.nodes,
    listeners: dom.jsEventListeners,
    renderers: rss.renderers,
    serve: await rssBytes(serve.child.pid),
  }
}

function metricsOf(samples: Sample[], purged: Sample, opts: MemoryOptions, stepMs: number): Metric[] {
  const at100 = samples.find((s) => s.pairs === 100) ?? samples[Math.min(1, samples.length - 1)]
  const last = samples[samples.length - 1]
  const curve = (f: (s: Sample) => number, digits = 1) =>
    samples.map((s) => `${s.pairs}: ${f(s).toFixed(digits)}`).join(', ')
  const heapHeld = last.heap <= at100.heap + HEAP_BOUND_MB * MB
  const rssHeld = last.renderers <= at100.renderers + RSS_BOUND_MB * MB
  const sizes = `${opts.pairs} pairs (${opts.cycle.join('/')} cycled, ${opts.big} every ${opts.bigEvery}), median step ${stepMs.toFixed(0)} ms`
  return [
    {
      name: `editor_memory_js_heap_${last.pairs}_mb`,
      value: last.heap / MB,
      unit: 'MB',
      floor: at100.heap / MB,
      ratio: last.heap / at100.heap,
      note:
        `bound: ≤ heap after ${at100.pairs} + ${HEAP_BOUND_MB} MB: ${heapHeld ? 'held' : 'NOT HELD'}; after GC, by pairs: ${curve((s) => s.heap / MB)}; ` +
        `DOM nodes ${curve((s) => s.nodes, 0)}; JS listeners ${curve((s) => s.listeners, 0)}; ${sizes}`,
    },
    {
      name: `editor_memory_renderer_rss_${last.pairs}_mb`,
      value: last.renderers / MB,
      unit: 'MB',
      floor: at100.renderers / MB,
      ratio: last.renderers / at100.renderers,
      note:
        `bound: ≤ RSS after ${at100.pairs} + ${RSS_BOUND_MB} MB: ${rssHeld ? 'held' : 'NOT HELD'}; Chromium renderer processes, by pairs: ${curve((s) => s.renderers / MB, 0)}; ` +
        `${(purged.renderers / MB).toFixed(0)} MB after a memory-pressure purge; serve process RSS: ${curve((s) => s.serve / MB, 0)}`,
    },
  ]
}
