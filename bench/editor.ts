/**
 * The editor benchmarks of issue #5, measured in Chromium (Debian's /usr/bin/chromium, or
 * CHROMIUM_PATH) driven by playwright-core against `wsm-curator serve`, on generated pairs:
 * - frame time while painting a stroke on a 6000×4000 pair (editorPaint.ts),
 * - time from `next` to the pair visible, cold and prefetched, at ~1000×750, ~4300×2850 and
 *   6000×4000 (editorNavigate.ts),
 * - memory while stepping through 500 pairs (editorMemory.ts).
 *
 * WSM_BENCH_SKIP_BROWSER=1 skips them all; WSM_BENCH_BROWSER_QUICK=1 runs a smaller version (shorter
 * stroke, one step per size, 100 pairs). A part that fails is reported on stderr and sets a failing
 * exit status; the other parts still run.
 */
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { benchMemory } from './editorMemory'
import { benchNavigate } from './editorNavigate'
import { benchStroke } from './editorPaint'
import { browserUnavailable, generateDistinct, launchChromium, type DistinctPairs } from './editorBrowser'
import type { Metric } from './index'

/** The generated pairs (sizes allowed by validatePairSpec: sides up to 8192). */
const SIZES = {
  large: { width: 6000, height: 4000, seed: 6001 },
  medium: { width: 4300, height: 2850, seed: 6002 },
  small: { width: 1000, height: 750, seed: 6003 },
  isic: { width: 1504, height: 1129, seed: 6004 },
}

export async function benchEditor(work: string, log: (line: string) => void): Promise<Metric[]> {
  if (process.env.WSM_BENCH_SKIP_BROWSER === '1') {
    log('editor (browser) benchmarks skipped: WSM_BENCH_SKIP_BROWSER=1')
    return []
  }
  const unavailable = browserUnavailable()
  if (unavailable) {
    log(`editor (browser) benchmarks skipped: ${unavailable}`)
    return []
  }
  const quick = process.env.WSM_BENCH_BROWSER_QUICK === '1'
  const t0 = Date.now()
  log(`editor: generating ${Object.keys(SIZES).length} pairs (up to 6000×4000)`)
  const distinct = await generateDistinct(path.join(work, 'editor-pairs'), SIZES)
  const browser = await launchChromium()
  const metrics: Metric[] = []
  const part = async (name: string, fn: (b: Browser, d: DistinctPairs) => Promise<Metric[]>) => {
    const t = Date.now()
    try {
      metrics.push(...(await fn(browser, distinct)))
    } catch (err) {
      process.exitCode = 1
      log(`editor ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    }
    log(`editor ${name}: ${((Date.now() - t) / 1000).toFixed(0)} s`)
  }
  try {
    await part('stroke', (b, d) =>
      benchStroke(b, work, d, 'large', { moves: quick ? 300 : 600, brush: 48, idleMs: 2000 }, log),
    )
    await part('next', (b, d) =>
      benchNavigate(
        b,
        work,
        d,
        {
          sizes: [
            { key: 'small', label: '1000x750' },
            { key: 'medium', label: '4300x2850' },
            { key: 'large', label: '6000x4000' },
          ],
          repeats: quick ? 1 : 2,
        },
        log,
      ),
    )
    await part('memory', (b, d) =>
      benchMemory(
        b,
        work,
        d,
        {
          pairs: quick ? 100 : 500,
          every: quick ? 20 : 100,
          cycle: ['small', 'isic'],
          big: 'medium',
          bigEvery: 50,
        },
        log,
      ),
    )
  } finally {
    await browser.close()
  }
  log(`editor (browser) benchmarks: ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  return metrics
}
