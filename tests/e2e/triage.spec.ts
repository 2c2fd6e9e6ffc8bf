import { expect, test } from '@playwright/test'
import { startServe, type ServeProcess } from './support/serve'

/**
 * Worst-first triage (issue #13) in the app: the background pass scores the demo pairs after the
 * statistics scan; the current pair shows its score (two decimals) and reason codes, the queue
 * sorts by score (the default when filtering unreviewed pairs) and filters by reason.
 */
let serve: ServeProcess

test.beforeEach(async () => {
  serve = await startServe()
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
  // replaces it, and the view follows the pass without reopening the pair: many-components (every
  // demo map has stray components) comes with the image score.
  await expect(page.getByTestId('pair-score')).toHaveText(/^\d\.\d\d$/, { timeout: 60_000 })
  await expect(page.getByTestId('pair-reasons')).toContainText('many-components', { timeout: 60_000 })
  const score = Number(await page.getByTestId('pair-score').textContent())
  expect(score).toBeGreaterThanOrEqual(0)
  expect(score).toBeLessThanOrEqual(1)
  const reasons = (await page.getByTestId('pair-reasons').textContent()) ?? ''
  for (const code of reasons.split(', ').filter(Boolean)) expect(code).toMatch(/^[a-z]+(-[a-z]+)*$/)
  // Every demo map has stray components (many-components, a reason with a region): outlined on the image.
  expect(reasons).toContain('many-components')
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

  // Filtering by a reason the first pair gives keeps it, and shows only pairs with that reason.
  await scoreOf(0)
  const firstReasons = ((await page.getByTestId('pair-reasons').textContent()) ?? '')
    .split(', ')
    .filter(Boolean)
  if (firstReasons.length > 0) {
    await page.getByTestId('filter-reason').selectOption(firstReasons[0])
    await page.getByTestId('apply-filter').click()
    await expect(page.getByTestId('pair-reasons')).toContainText(firstReasons[0])
  }
  expect(errors).toEqual([])
})
