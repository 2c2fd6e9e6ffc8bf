import { expect, test, type Page } from '@playwright/test'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { LABEL_UNCERTAIN } from '../../shared/labels/codes'
import { decodeWire } from '../../shared/api/wire'
import { openSqlite } from '../../electron/services/workspace/sqlite'
import { count, savedMask, sourceMask } from './support/masks'
import { cli, demoAsFolders, demoSources, startServe, tempDir, type ServeProcess } from './support/serve'

/**
 * The edges of the review loop an exploratory pass found (notes qa6): re-opening the pair on
 * screen while editing it, a pair whose mask does not open, an emptied queue, the first day's
 * progress chart and the proposal's banner over the image.
 */

/** The demo dataset with masks as a folder, ISIC_0000003's mask cut at half its length. */
async function datasetWithTruncatedMask(): Promise<{ masks: string; images: string }> {
  const { masks, images } = await demoAsFolders('wsm-e2e-edges-')
  const cut = path.join(masks, 'ISIC_0000003.png')
  const bytes = readFileSync(cut)
  writeFileSync(cut, bytes.subarray(0, bytes.length >> 1))
  return { masks, images }
}

let dataset: { masks: string; images: string }
let serve: ServeProcess

test.beforeAll(async () => {
  dataset = await datasetWithTruncatedMask()
})
test.beforeEach(async () => {
  const ws = path.join(tempDir('wsm-e2e-ws-'), 'workspace')
  cli('init', ws, '--masks', dataset.masks, '--images', dataset.images, '--curator', 'e2e')
  serve = await startServe(ws)
})
test.afterEach(async () => {
  await serve?.stop()
})

const row = (page: Page, i: number) => page.getByTestId('pair-list').locator(`[data-index="${i}"]`)

test('clicking the row of the pair being edited shows the saved edit; the next save keeps it', async ({
  page,
}) => {
  const source = await sourceMask(demoSources().masks, 'ISIC_0000000')
  expect(count(source, LABEL_UNCERTAIN)).toBeGreaterThan(0)
  await page.goto(serve.url)
  await expect(page.getByTestId('editor-canvas')).toHaveAttribute('data-shown', 'ISIC_0000000')
  // The re-open of the pair on screen is held until the curator has edited it.
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  let held = 0
  await page.route(
    (u) => u.href.includes('pair%3Aopen'),
    async (route) => {
      const args = decodeWire(new Uint8Array(route.request().postDataBuffer()!)) as { id: string }
      if (args.id === 'ISIC_0000000') {
        held++
        await gate
      }
      await route.continue()
    },
  )
  await row(page, 0).click()
  await expect.poll(() => held).toBe(1)
  await page.keyboard.press('Shift+B')
  await expect(page.getByTestId('uncertain-remaining')).toHaveText('0')
  release()
  // The edit was saved on the way, and the pair shown is the saved one, not the source from before.
  await expect(page.getByTestId('status')).toHaveText('corrected')
  await expect(page.getByTestId('save-state')).toHaveText(/^(saved|corrected mask)$/)
  await expect(page.getByTestId('uncertain-remaining')).toHaveText('0')
  await page.keyboard.press('Control+s')
  await expect(page.getByTestId('save-state')).toHaveText('saved')
  const saved = savedMask(serve.workspace, 'ISIC_0000000')
  expect(count(saved, LABEL_UNCERTAIN)).toBe(0)
  // Only the uncertain pixels changed (to background): every certain pixel is as in the source.
  let certainChanged = 0
  for (let i = 0; i < source.data.length; i++)
    if (source.data[i] !== LABEL_UNCERTAIN && saved.data[i] !== source.data[i]) certainChanged++
  expect(certainChanged).toBe(0)
})

test('a pair whose mask does not open is shown as itself, and can be flagged or rejected, not accepted', async ({
  page,
}) => {
  await page.goto(serve.url)
  await expect(page.getByTestId('editor-canvas')).toHaveAttribute('data-shown', 'ISIC_0000000')
  await page.keyboard.press('Shift+B')
  await page.keyboard.press('Control+s')
  await expect(page.getByTestId('save-state')).toHaveText('saved')
  await row(page, 3).click()
  await expect(page.getByTestId('error')).toContainText('[png-truncated]')
  // The bars show the failed pair, nothing of the one before.
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000003')
  await expect(page.getByTestId('pair-position')).toHaveText(/^4 \//)
  await expect(page.getByTestId('status')).toHaveText('unreviewed')
  await expect(page.getByTestId('uncertain-remaining')).toHaveText('–')
  await expect(page.getByTestId('save-state')).toHaveText('not opened')
  await page.screenshot({ path: 'test-results/screenshots/edges-broken-pair.png' })

  // A: nothing to accept, and the status bar says why.
  await page.keyboard.press('a')
  await expect(page.getByTestId('notice')).toContainText('cannot be accepted')
  await expect(page.getByTestId('status')).toHaveText('unreviewed')
  // F flags it and stays; R rejects it and moves on.
  await page.getByTestId('flag').click()
  await expect(page.getByTestId('status')).toHaveText('flagged')
  await expect(row(page, 3)).toHaveAttribute('data-status', 'flagged')
  await page.keyboard.press('r')
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000004')
  await expect(row(page, 3)).toHaveAttribute('data-status', 'rejected')
})

test('a filter that empties the queue shows no pair', async ({ page }) => {
  await page.goto(serve.url)
  await expect(page.getByTestId('editor-canvas')).toHaveAttribute('data-shown', 'ISIC_0000000')
  await page.getByTestId('filter-status').selectOption('accepted')
  await page.getByTestId('apply-filter').click()
  await expect(page.getByTestId('queue-count')).toHaveText('0 pairs')
  await expect(page.getByTestId('pair-position')).toHaveText('– / 0')
  await expect(page.getByTestId('pair-id')).toHaveText('—')
  await expect(page.getByTestId('status')).toHaveText('—')
  await expect(page.getByTestId('editor-canvas')).not.toHaveAttribute('data-shown')
})

test("the first day's progress chart shows its one point", async ({ page }) => {
  await page.goto(serve.url)
  await expect(page.getByTestId('editor-canvas')).toHaveAttribute('data-shown', 'ISIC_0000000')
  await page.getByTestId('flag').click()
  await expect(page.getByTestId('status')).toHaveText('flagged')
  await page.getByTestId('dashboard').click()
  const chart = page.getByTestId('chart-progress')
  await expect(chart.locator('canvas')).toBeVisible()
  // Pixels in the line's colour (#6fcf97): none when the single point is hidden.
  const green = () =>
    chart.locator('canvas').evaluate((el) => {
      // The node-side types have no DOM: the canvas as far as this reads it.
      const c = el as unknown as {
        width: number
        height: number
        getContext(kind: '2d'): {
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray }
        }
      }
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 0; i < d.length; i += 4)
        if (Math.abs(d[i] - 0x6f) < 24 && Math.abs(d[i + 1] - 0xcf) < 24 && Math.abs(d[i + 2] - 0x97) < 24)
          n++
      return n
    })
  await expect.poll(green).toBeGreaterThan(10)
})

test("the proposal's banner leaves the image's top visible", async ({ page }) => {
  await page.goto(serve.url)
  await expect(page.getByTestId('editor-canvas')).toHaveAttribute('data-shown', 'ISIC_0000000')
  await page.keyboard.press('u')
  await expect(page.getByTestId('assist-apply')).toBeVisible({ timeout: 30_000 })
  const canvas = (await page.getByTestId('editor-canvas').boundingBox())!
  const banner = (await page.getByTestId('assist-banner').boundingBox())!
  // The view's transform (image → screen): the fitted image's top row and bottom.
  const [zoom, , ty] = (await page.getByTestId('editor-canvas').getAttribute('data-view'))!
    .split(' ')
    .map(Number)
  const source = await sourceMask(demoSources().masks, 'ISIC_0000000')
  const imageTop = canvas.y + ty
  const imageBottom = imageTop + zoom * source.height
  await page.screenshot({ path: 'test-results/screenshots/edges-assist-banner.png' })
  // The banner is below the image's upper half, and no taller than a compact row.
  expect(banner.y).toBeGreaterThan((imageTop + imageBottom) / 2)
  expect(banner.height).toBeLessThan(44)
})

/** The decisions (status events) per pair and the pairs' statuses, read from the workspace's SQLite (read-only, beside serve). */
function decisions(workspace: string): { events: Record<string, number>; status: Record<string, string> } {
  const db = openSqlite(path.join(workspace, 'workspace.sqlite'), { readonly: true })
  try {
    const events = db
      .prepare(
        "SELECT pair_id AS id, count(*) AS n FROM events WHERE kind = 'status' GROUP BY pair_id ORDER BY pair_id",
      )
      .all() as { id: string; n: number }[]
    const rows = db.prepare('SELECT id, status FROM pairs ORDER BY id').all() as {
      id: string
      status: string
    }[]
    return {
      events: Object.fromEntries(events.map((e) => [e.id, e.n])),
      status: Object.fromEntries(rows.slice(0, 4).map((r) => [r.id, r.status])),
    }
  } finally {
    db.close()
  }
}

test('fast A/R presses with a slow server: each pair shown is decided once, none is passed over (qa7s #1)', async ({
  page,
}) => {
  const shown = page.getByTestId('editor-canvas')
  await page.goto(serve.url)
  await expect(shown).toHaveAttribute('data-shown', 'ISIC_0000000')
  // The server answers each decision late, as under load: held until the burst of presses is over.
  const waiting: (() => void)[] = []
  await page.route(
    (u) => u.href.includes('pair%3AsetStatus'),
    async (route) => {
      await new Promise<void>((go) => waiting.push(go))
      await route.continue()
    },
  )
  for (const [i, keys] of [
    ['a', 'a', 'a', 'a'],
    ['a', 'r', 'a', 'r'],
  ].entries()) {
    await expect(shown).toHaveAttribute('data-shown', `ISIC_000000${i}`)
    for (const key of keys) {
      await page.keyboard.press(key)
      await page.waitForTimeout(40)
    }
    // One decision went out for the burst; the server answers it now.
    await expect.poll(() => waiting.length).toBe(1)
    // The presses dropped meanwhile are said so in the status bar.
    await expect(page.getByTestId('notice')).toContainText('still moving on: that key press was not applied')
    waiting.shift()!()
  }
  await expect(shown).toHaveAttribute('data-shown', 'ISIC_0000002')
  await expect.poll(() => decisions(serve.workspace).events).toEqual({ ISIC_0000000: 1, ISIC_0000001: 1 })
  const { status } = decisions(serve.workspace)
  expect(status.ISIC_0000000).toBe('accepted')
  // The first press of the burst decides it (a press in the instant the move ends may be dropped: then the next).
  expect(['accepted', 'rejected']).toContain(status.ISIC_0000001)
  expect([status.ISIC_0000002, status.ISIC_0000003]).toEqual(['unreviewed', 'unreviewed'])
  // Nothing moved on past the pair shown.
  await expect(shown).toHaveAttribute('data-shown', 'ISIC_0000002')
})

test("serve restarted: the tab's Ctrl+S says to paste the new URL; pasted, the same edit saves (qa7s #2)", async ({
  page,
}) => {
  await page.goto(serve.url)
  await expect(page.getByTestId('editor-canvas')).toHaveAttribute('data-shown', 'ISIC_0000000')
  await page.keyboard.press('Shift+B')
  await expect(page.getByTestId('uncertain-remaining')).toHaveText('0')
  // serve stops and starts again on the same port: a new token.
  const port = new URL(serve.url).port
  const old = serve.token
  await serve.stop()
  serve = await startServe(serve.workspace, ['--port', port])
  expect(serve.token).not.toBe(old)
  await page.keyboard.press('Control+s')
  await expect(page.getByTestId('save-state')).toContainText(
    'serve restarted: paste its new URL (with #token) into this tab',
  )
  // The new URL typed into the tab: the same page and path, another fragment (no reload).
  await page.evaluate((url) => {
    // The page's globals (this file is type-checked without the DOM's types).
    const win = globalThis as unknown as { e2eSamePage: boolean; location: { href: string } }
    win.e2eSamePage = true
    win.location.href = url
  }, serve.url)
  await expect(page).not.toHaveURL(/token=/)
  expect(await page.evaluate(() => (globalThis as unknown as { e2eSamePage?: boolean }).e2eSamePage)).toBe(
    true,
  )
  await expect(page.getByTestId('uncertain-remaining')).toHaveText('0')
  await page.keyboard.press('Control+s')
  await expect(page.getByTestId('save-state')).toHaveText('saved')
  expect(count(savedMask(serve.workspace, 'ISIC_0000000'), LABEL_UNCERTAIN)).toBe(0)
})
