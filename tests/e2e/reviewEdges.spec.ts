import { expect, test, type Page } from '@playwright/test'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { LABEL_UNCERTAIN } from '../../shared/labels/codes'
import { decodeWire } from '../../shared/api/wire'
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
