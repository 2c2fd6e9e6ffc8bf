/**
 * Time from `next` (ArrowRight) to the next pair visible, in Chromium against `wsm-curator serve`,
 * for ~1000×750, ~4300×2850 and 6000×4000 pairs (issue #5: cold ≤ 1.3× the floor, prefetched ≤ 50 ms).
 *
 * Start: the keydown's event.timeStamp (when the browser took the key). End: `editor-canvas` gets
 * data-shown=<id> (set in the frame after the pair's first drawn frame, i.e. when that frame is
 * presented), seen by a MutationObserver.
 *
 * - cold: the app's background requests (the main process's prefetch and the renderer's
 *   read-ahead) are answered empty inside the page (SUPPRESS_PREFETCH), so every pair is read,
 *   decoded and drawn on demand (files in the OS cache);
 * - prefetched: the app as it is, with a pause after each pair is shown long enough for its
 *   read-ahead of the next pair to finish: 1.5× the cold next→visible time of that size (0.3–4 s;
 *   a curator looks at a pair for longer than that).
 *
 * Floor (FLOOR_OPEN, same page, same run, just before each step): fetch `pair:open` for the same
 * bytes through the same route, token and wire body (cold: a never-opened copy of the next pair;
 * prefetched: the next pair itself, in the main process's cache) + createImageBitmap of the same JPEG bytes with the app's
 * options + the same two animation frames data-shown waits for. The floor does no label-map work
 * and no drawing: value / floor is the renderer's own overhead on top of getting and decoding the
 * bytes. The notes split the app's time with Resource Timing: key → request sent, server,
 * transfer, and response → visible (image decode, label map, overlay, first frame); a step served
 * by the read-ahead sends no request at all (counted in the note).
 */
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { encodeWire } from '../shared/api/wire'
import {
  VIEWPORT,
  callInPage,
  idOf,
  layoutWorkspace,
  median,
  openApp,
  sleep,
  startServe,
  withTimeout,
  type DistinctPairs,
  type Serve,
} from './editorBrowser'
import { FLOOR_OPEN, INSTALL_NAV_PROBE, SUPPRESS_PREFETCH } from './editorPageScripts'
import type { Metric } from './index'

export interface NavigateOptions {
  /** Distinct pairs to measure, in order (keys of `distinct`), with a label for the metric names. */
  sizes: { key: string; label: string }[]
  /** Measured steps per size (each onto a fresh copy of the pair). */
  repeats: number
}

interface Step {
  /** Served by the read-ahead: no pair:open request after the key. */
  readAhead: boolean
  total: number
  toRequest: number
  server: number
  transfer: number
  render: number
}

interface Floor {
  fetch: number
  server: number
  transfer: number
  decode: number
  frames: number
  total: number
  bytes: number
}

/**
 * Queue layout: per size, repeats + 1 consecutive copies (stepped through: the first pair is opened
 * with the page, every later one is a measured step), then repeats + 1 floor copies per size.
 */
function layoutOf(opts: NavigateOptions): {
  layout: string[]
  steps: string[]
  floorIds: Map<string, string[]>
} {
  const layout: string[] = []
  for (const s of opts.sizes) for (let i = 0; i <= opts.repeats; i++) layout.push(s.key)
  const steps = layout.slice()
  const floorIds = new Map<string, string[]>()
  for (const s of opts.sizes) {
    const ids: string[] = []
    for (let i = 0; i <= opts.repeats; i++) {
      ids.push(idOf(layout.length))
      layout.push(s.key)
    }
    floorIds.set(s.key, ids)
  }
  return { layout, steps, floorIds }
}

export async function benchNavigate(
  browser: Browser,
  work: string,
  distinct: DistinctPairs,
  opts: NavigateOptions,
  log: (line: string) => void,
): Promise<Metric[]> {
  const { layout, steps, floorIds } = layoutOf(opts)
  // Two workspaces over the same sources: each run starts at the first pair with an empty cache.
  const root = path.join(work, 'navigate')
  const coldWs = await layoutWorkspace(path.join(root, 'cold'), distinct, layout)
  const warmWs = await layoutWorkspace(path.join(root, 'warm'), distinct, layout)

  log(`editor next→visible: cold, ${steps.length - 1} steps`)
  // Cold floor: a never-opened copy of the next pair (prefetch is off in this page).
  const unused = new Map([...floorIds].map(([k, ids]) => [k, ids.slice()]))
  const cold = await run(
    browser,
    coldWs,
    steps,
    true,
    (key) => unused.get(key)!.shift()!,
    () => 300,
  )
  const coldTotal = new Map(
    opts.sizes.map((s) => [s.key, median(cold.filter((x) => x.key === s.key).map((x) => x.step.total))]),
  )

  log(`editor next→visible: prefetched, ${steps.length - 1} steps`)
  // Prefetched floor: the next pair itself (in the main process's cache by then).
  const warm = await run(
    browser,
    warmWs,
    steps,
    false,
    (_key, nextId) => nextId,
    (key) => Math.min(4000, Math.max(300, 1.5 * (coldTotal.get(key) ?? 0))),
  )

  const metrics: Metric[] = []
  for (const s of opts.sizes) {
    for (const [kind, r] of [
      ['cold', cold],
      ['prefetched', warm],
    ] as const) {
      const mine = r.filter((x) => x.key === s.key)
      const measured = mine.map((x) => x.step)
      const ahead = measured.filter((x) => x.readAhead).length
      const floors = mine.map((x) => x.floor)
      const value = median(measured.map((x) => x.total))
      const floor = median(floors.map((f) => f.total))
      const target = kind === 'cold' ? 'target ≤ 1.3× floor' : 'target ≤ 50 ms'
      metrics.push({
        name: `editor_next_${kind}_${s.label}_ms`,
        value,
        unit: 'ms',
        floor,
        ratio: value / floor,
        note:
          `${target}; median of ${measured.length}` +
          (kind === 'prefetched' ? ` (${ahead} served by the read-ahead)` : '') +
          `; app: ${split(measured)}; ` +
          `floor = fetch ${fmt(median(floors.map((f) => f.fetch)))} (server ${fmt(median(floors.map((f) => f.server)))}, transfer ${fmt(median(floors.map((f) => f.transfer)))}) + decode ${fmt(median(floors.map((f) => f.decode)))} ` +
          `+ 2 frames ${fmt(median(floors.map((f) => f.frames)))} (${(median(floors.map((f) => f.bytes)) / 1e6).toFixed(1)} MB body)`,
      })
    }
  }
  return metrics
}

/** Medians of the app's phases. */
function split(steps: Step[]): string {
  const m = (f: (s: Step) => number) => fmt(median(steps.map(f)))
  return `key→request ${m((s) => s.toRequest)}, server ${m((s) => s.server)}, transfer ${m((s) => s.transfer)}, response→visible ${m((s) => s.render)}`
}

/** Pause between a floor measurement and the step it goes with. */
const QUIET_MS = 300

/**
 * Steps through `steps` (idOf(i) holds steps[i]). Before each step, in the same quiet conditions:
 * `pauseMs` after the previous pair was shown, the floor on the id `floorId` names, QUIET_MS.
 */
async function run(
  browser: Browser,
  workspace: string,
  steps: string[],
  suppressPrefetch: boolean,
  floorId: (key: string, nextId: string) => string,
  pauseMs: (key: string) => number,
): Promise<{ key: string; step: Step; floor: Floor }[]> {
  const serve = await startServe(workspace)
  const context = await browser.newContext({ viewport: VIEWPORT })
  try {
    if (suppressPrefetch) await context.addInitScript(SUPPRESS_PREFETCH)
    const page = await context.newPage()
    const errors = await openApp(page, serve, idOf(0))
    await page.evaluate(INSTALL_NAV_PROBE)
    const out: { key: string; step: Step; floor: Floor }[] = []
    for (let i = 1; i < steps.length; i++) {
      await sleep(pauseMs(steps[i - 1]))
      const floor = await floorOpen(page, serve, floorId(steps[i], idOf(i)))
      await sleep(QUIET_MS)
      out.push({ key: steps[i], step: await next(page, idOf(i), !suppressPrefetch), floor })
    }
    if (errors.length) throw new Error(`page errors while stepping: ${errors.join('; ')}`)
    return out
  } finally {
    await context.close()
    await serve.stop()
  }
}

/**
 * Presses ArrowRight and waits for `id` on screen; the time and its phases. Without a `pair:open`
 * request after the key the step was served by the read-ahead (allowed only when `readAhead`).
 */
async function next(page: Page, id: string, readAhead: boolean): Promise<Step> {
  await page.evaluate(
    'performance.clearResourceTimings(); window.__wsmNav.key = -1; window.__wsmNav.opens = []',
  )
  const shown = page.evaluate(`window.__wsmNav.waitFor(${JSON.stringify(id)})`)
  await page.keyboard.press('ArrowRight')
  await withTimeout(shown, 60_000, `${id} not shown`)
  const r = (await page.evaluate(`(() => {
    const n = window.__wsmNav
    const called = n.opens.find((t) => t >= n.key)
    const e = called === undefined ? undefined : performance.getEntriesByType('resource')
      .filter((e) => e.name.includes('pair%3Aopen') && e.startTime >= called - 1)
      .sort((a, b) => a.startTime - b.startTime)[0]
    return { key: n.key, shown: n.shown[${JSON.stringify(id)}], called: called !== undefined, e: e ? { start: e.startTime, request: e.requestStart, response: e.responseStart, end: e.responseEnd } : null }
  })()`)) as {
    key: number
    shown: number
    called: boolean
    e: { start: number; request: number; response: number; end: number } | null
  }
  if (r.key < 0 || r.shown === undefined) throw new Error(`no timing for ${id}`)
  if (r.called && !r.e) throw new Error(`no resource timing for the pair:open of ${id}`)
  if (!r.e) {
    if (!readAhead) throw new Error(`${id} shown without a pair:open request in a cold run`)
    const total = r.shown - r.key
    return { readAhead: true, total, toRequest: 0, server: 0, transfer: 0, render: total }
  }
  return {
    readAhead: false,
    total: r.shown - r.key,
    toRequest: r.e.start - r.key,
    server: r.e.response - r.e.start,
    transfer: r.e.end - r.e.response,
    render: r.shown - r.e.end,
  }
}

function floorOpen(page: Page, serve: Serve, id: string): Promise<Floor> {
  return callInPage<Floor>(page, FLOOR_OPEN, { body: Array.from(encodeWire({ id })), token: serve.token })
}

function fmt(v: number): string {
  return v.toFixed(v >= 10 ? 0 : 1)
}
