/**
 * The machinery of the editor benchmarks (editor.ts): generated sources laid out under many ids,
 * `wsm-curator init` and `serve --workspace` run as a user would (the package's bin), and Debian's
 * Chromium driven by playwright-core, exactly as the e2e tests drive the app.
 *
 * playwright-core is imported by a computed specifier so that no bundler ever inlines it (it is
 * loaded from node_modules at run time).
 */
import { execFile } from 'node:child_process'
import { existsSync, promises as fsp } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserType, Page } from 'playwright-core'
import { generateDemoDataset, type DemoDatasetInfo } from '../electron/services/demo/demoDataset'
import { ZipReader } from '../electron/services/zip/zipReader'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/support/chromium'
import { spawnServe, type ServeChild } from '../tests/support/serveProcess'

/** The package root: the nearest folder up with a package.json (bench/ from the sources, out/bench/ from the bundle). */
export const ROOT = packageRoot(import.meta.dirname)

function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`)
  }
}
const BIN = path.join(ROOT, 'bin/wsm-curator.js')

/** playwright.config.ts's browser and flags, plus precise performance.memory figures. */
const LAUNCH_ARGS = [...CHROMIUM_ARGS, '--enable-precise-memory-info']

export const VIEWPORT = { width: 1600, height: 1000 }

const PLAYWRIGHT_MODULE = 'playwright-core'

export async function launchChromium(): Promise<Browser> {
  const { chromium } = (await import(/* @vite-ignore */ PLAYWRIGHT_MODULE)) as { chromium: BrowserType }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS, headless: true })
}

/** Why the browser benchmarks cannot run here, or null when they can. */
export function browserUnavailable(): string | null {
  if (!existsSync(CHROMIUM_PATH)) return `no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH)`
  if (!existsSync(path.join(ROOT, 'out/renderer/index.html'))) return 'the renderer is not built'
  if (!existsSync(path.join(ROOT, 'node_modules', PLAYWRIGHT_MODULE))) return 'playwright-core not installed'
  return null
}

export function idOf(i: number): string {
  return `ISIC_${String(i).padStart(7, '0')}`
}

// ---- sources and workspaces ------------------------------------------------------------------------

export interface PairSize {
  width: number
  height: number
  seed: number
}

/** Distinct generated pairs: images/<key>.jpg and masks/<key>.png (the mask taken out of the zip). */
export interface DistinctPairs {
  dir: string
  image(key: string): string
  mask(key: string): string
}

/**
 * Generates one demo pair per size (deterministic), and writes each mask out of the demo zip as a
 * file, so that layouts can hard-link them under any number of ids.
 */
export async function generateDistinct(dir: string, sizes: Record<string, PairSize>): Promise<DistinctPairs> {
  const keys = Object.keys(sizes)
  const pairs = keys.map((k, i) => ({ id: idOf(9_000_000 + i), ...sizes[k] }))
  const info: DemoDatasetInfo = await generateDemoDataset(dir, { pairs })
  const zip = await ZipReader.open(info.masksZip)
  try {
    await fsp.mkdir(path.join(dir, 'distinct'), { recursive: true })
    for (let i = 0; i < keys.length; i++) {
      const entry = zip.entries.find((e) => e.name.endsWith(`/${pairs[i].id}.png`))
      if (!entry) throw new Error(`${pairs[i].id} missing from ${info.masksZip}`)
      await fsp.writeFile(path.join(dir, 'distinct', `${keys[i]}.png`), await zip.read(entry))
      await fsp.rename(
        path.join(info.imagesDir, `${pairs[i].id}.jpg`),
        path.join(dir, 'distinct', `${keys[i]}.jpg`),
      )
    }
  } finally {
    await zip.close()
  }
  return {
    dir,
    image: (k) => path.join(dir, 'distinct', `${k}.jpg`),
    mask: (k) => path.join(dir, 'distinct', `${k}.png`),
  }
}

/**
 * A masks folder and an images folder holding `layout[i]`'s pair under idOf(i) (hard links: no
 * copies), then a workspace over them (`wsm-curator init`). Returns the workspace folder.
 */
export async function layoutWorkspace(
  dir: string,
  distinct: DistinctPairs,
  layout: string[],
): Promise<string> {
  const masks = path.join(dir, 'masks')
  const images = path.join(dir, 'images')
  await fsp.mkdir(masks, { recursive: true })
  await fsp.mkdir(images, { recursive: true })
  for (let i = 0; i < layout.length; i++) {
    await fsp.link(distinct.mask(layout[i]), path.join(masks, `${idOf(i)}.png`))
    await fsp.link(distinct.image(layout[i]), path.join(images, `${idOf(i)}.jpg`))
  }
  const ws = path.join(dir, 'workspace')
  await cli('init', ws, '--masks', masks, '--images', images, '--curator', 'bench')
  return ws
}

function cli(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`wsm-curator ${args[0]} failed: ${stderr || err.message}`))
      else resolve(stdout)
    })
  })
}

// ---- serve -----------------------------------------------------------------------------------------

export type Serve = ServeChild

/** `wsm-curator serve --workspace <dir>` as a user runs it; stopped with SIGINT like Ctrl-C. */
export function startServe(workspace: string): Promise<Serve> {
  return spawnServe(BIN, ROOT, ['--workspace', workspace])
}

// ---- the page --------------------------------------------------------------------------------------

/** The pair on screen: `editor-canvas` carries data-shown=<id> once its first frame is drawn. */
export async function waitShown(page: Page, id: string, timeout = 60_000): Promise<void> {
  await page.waitForSelector(`[data-testid="editor-canvas"][data-shown="${id}"]`, {
    state: 'attached',
    timeout,
  })
}

/** Opens the app and waits for the first pair; returns the page errors seen (kept up to date). */
export async function openApp(page: Page, serve: Serve, firstId: string): Promise<string[]> {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(serve.url)
  await waitShown(page, firstId, 120_000)
  return errors
}

/** Runs a function given as JavaScript source (editorPageScripts.ts) in the page with a JSON argument. */
export function callInPage<T>(page: Page, fnSource: string, arg: unknown): Promise<T> {
  return page.evaluate(`(${fnSource})(${JSON.stringify(arg)})`) as Promise<T>
}

/** Resident set size of a process in bytes (Linux /proc), or NaN where it cannot be read. */
export async function rssBytes(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN
  try {
    const status = await fsp.readFile(`/proc/${pid}/status`, 'utf8')
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    return m ? Number(m[1]) * 1024 : NaN
  } catch {
    return NaN
  }
}

/** Resident memory of Chromium's renderer processes (summed) and of its GPU process, in bytes. */
export async function chromiumRss(browser: Browser): Promise<{ renderers: number; gpu: number }> {
  const cdp = await browser.newBrowserCDPSession()
  try {
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string; id: number }[]
    }
    let renderers = 0
    let gpu = 0
    for (const p of processInfo) {
      if (p.type === 'renderer') renderers += await rssBytes(p.id)
      else if (p.type === 'GPU') gpu += await rssBytes(p.id)
    }
    return { renderers, gpu }
  } finally {
    await cdp.detach()
  }
}

// ---- statistics ------------------------------------------------------------------------------------

/** The q-quantile (0–1) of values, nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5)
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** `p`, or a rejection with `message` after `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
