import { expect, test } from '@playwright/test'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { decodeMaskPng, encodeMaskPng } from '../../electron/services/mask/maskPng'
import { cli, demoAsFolders, startServe, type ServeProcess } from './support/serve'

/**
 * Worst-first triage (issue #13) in the app: the background pass scores the demo pairs after the
 * statistics scan; the current pair shows its score (two decimals) and reason codes, the queue
 * sorts by score (the default when filtering unreviewed pairs) and filters by reason.
 */
let serve: ServeProcess

/**
 * The demo dataset (masks as a folder) with one wrong map: ISIC_0000000 also labels a quarter disc
 * in the image's top-left corner as certain lesion, as a weak map does with a vignette corner. The
 * demo's other maps are right (their stray uncertain blobs are ordinary clutter, listed as nothing).
 */
async function datasetWithVignette(): Promise<{ masks: string; images: string }> {
  const { masks, images } = await demoAsFolders('wsm-e2e-triage-')
  const file = path.join(masks, 'ISIC_0000000.png')
  const m = decodeMaskPng(readFileSync(file))
  const r = Math.min(m.width, m.height) / 4
  for (let y = 0; y < r; y++)
    for (let x = 0; x < r; x++) if (x * x + y * y < r * r) m.data[y * m.width + x] = 1
  writeFileSync(file, encodeMaskPng({ width: m.width, height: m.height, data: m.data }, m.format))
  return { masks, images }
}

test.beforeEach(async () => {
  const { masks, images } = await datasetWithVignette()
  const ws = path.join(mkdtempSync(path.join(os.tmpdir(), 'wsm-e2e-ws-')), 'workspace')
  cli('init', ws, '--masks', masks, '--images', images, '--curator', 'e2e')
  serve = await startServe(ws)
})
test.afterEach(async () => {
  await serve?.stop()
})

test('the pair shows its triage score and reasons; the queue sorts by score and filters by reason', async ({
  page,
}) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(serve.url)
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000000')
  // The scan stores a mask-only score ("–" until then, then two decimals); the image pass after it
  // replaces it, and the view follows the pass without reopening the pair. The corner blob touches
  // the image's border.
  await expect(page.getByTestId('pair-score')).toHaveText(/^\d\.\d\d$/, { timeout: 60_000 })
  await expect(page.getByTestId('pair-reasons')).toContainText('lesion-touches-border', { timeout: 60_000 })
  const score = Number(await page.getByTestId('pair-score').textContent())
  expect(score).toBeGreaterThanOrEqual(0)
  expect(score).toBeLessThanOrEqual(1)
  const reasons = (await page.getByTestId('pair-reasons').textContent()) ?? ''
  for (const code of reasons.split(', ').filter(Boolean)) expect(code).toMatch(/^[a-z]+(-[a-z]+)*$/)
  // lesion-touches-border is a reason with a region: outlined on the image.
  expect(reasons).toContain('lesion-touches-border')
  await expect(page.getByTestId('triage-region').first()).toBeVisible()
  await page.screenshot({ path: 'test-results/screenshots/triage-region.png' })

  // The sort offers score; choosing the unreviewed filter makes it the sort, highest first.
  await expect(page.getByTestId('sort').locator('option[value="score"]')).toHaveCount(1)
  await page.getByTestId('filter-status').selectOption('unreviewed')
  await expect(page.getByTestId('sort')).toHaveValue('score')
  await expect(page.getByTestId('order')).toHaveValue('desc')
  await page.getByTestId('apply-filter').click()
  const scoreOf = async (position: number): Promise<number> => {
    const id = page.locator(`[data-index="${position}"] .queue__id`)
    await expect(id).toHaveText(/^ISIC_\d{7}$/)
    await page.locator(`[data-index="${position}"]`).click()
    await expect(page.getByTestId('pair-id')).toHaveText((await id.textContent()) ?? '')
    await expect(page.getByTestId('pair-score')).toHaveText(/^\d\.\d\d$/)
    return Number(await page.getByTestId('pair-score').textContent())
  }
  const scores = [await scoreOf(0), await scoreOf(1), await scoreOf(2)]
  expect(scores).toEqual([...scores].sort((a, b) => b - a))
  // Sorted by score, the rows show the score they are sorted by (qa7 #14a), highest first; sorted
  // otherwise, their uncertain %.
  const rowValue = (position: number) =>
    page.locator(`[data-index="${position}"] [data-testid="queue-row-value"]`)
  for (const position of [0, 1, 2]) await expect(rowValue(position)).toHaveText(/^\d\.\d\d$/)
  const shown = await Promise.all([0, 1, 2].map(async (p) => Number(await rowValue(p).textContent())))
  expect(shown).toEqual([...shown].sort((a, b) => b - a))

  // The one wrong map comes first, worst first.
  await scoreOf(0)
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000000')
  // Filtering by its reason keeps it, and only it: the demo's other maps list no reason.
  await page.getByTestId('filter-reason').selectOption('lesion-touches-border')
  await page.getByTestId('apply-filter').click()
  await expect(page.locator('[data-index="0"] .queue__id')).toHaveText('ISIC_0000000')
  await expect(page.locator('[data-index="1"]')).toHaveCount(0)
  await expect(page.getByTestId('pair-reasons')).toContainText('lesion-touches-border')
  await page.getByTestId('sort').selectOption('id')
  await page.getByTestId('apply-filter').click()
  await expect(rowValue(0)).toHaveText(/^\d+\.\d%$/)

  // Sorted by score, a correction saved rescores the pair: its row follows the score it shows.
  await page.getByTestId('filter-reason').selectOption('')
  await page.getByTestId('sort').selectOption('score')
  await page.getByTestId('apply-filter').click()
  await expect(rowValue(0)).toHaveText(/^\d\.\d\d$/)
  const before = (await page.getByTestId('pair-score').textContent()) ?? ''
  await page.getByTestId('editor-canvas').hover()
  await page.keyboard.press('Shift+L')
  await page.keyboard.press('Control+s')
  await expect(page.getByTestId('save-state')).toHaveText('saved')
  await expect(page.getByTestId('pair-score')).not.toHaveText(before, { timeout: 60_000 })
  await expect(page.getByTestId('pair-score')).toHaveText(/^\d\.\d\d$/, { timeout: 60_000 })
  await expect(rowValue(0)).toHaveText((await page.getByTestId('pair-score').textContent()) ?? '')
  expect(errors).toEqual([])
})
