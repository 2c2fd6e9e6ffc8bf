import { expect, test } from '@playwright/test'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { cli, freshWorkspace, startServe, tempDir, type ServeProcess } from './support/serve'

/**
 * The dashboard: a scanned demo workspace with ISIC metadata imported by the CLI; opening the
 * dashboard shows its charts and the metadata breakdown; clicking a bar of the uncertain-fraction
 * histogram makes the queue exactly that bar's pairs.
 */
let serve: ServeProcess
const BINS = 20

test.beforeAll(async () => {
  const ws = freshWorkspace()
  cli('stats', ws, '--json')
  const csv = path.join(tempDir('wsm-e2e-meta-'), 'metadata.csv')
  const rows = ['isic_id,diagnosis,sex']
  for (let i = 0; i < 40; i++)
    rows.push(`ISIC_${String(i).padStart(7, '0')},${i % 3 === 0 ? 'melanoma' : 'nevus'},male`)
  writeFileSync(csv, rows.join('\r\n') + '\r\n')
  const imported = JSON.parse(cli('metadata', ws, csv, '--json')) as { matched: number }
  expect(imported.matched).toBeGreaterThan(0)
  serve = await startServe(ws)
})
test.afterAll(async () => {
  await serve?.stop()
})

test('the dashboard shows the charts; clicking a histogram bar queues those pairs', async ({ page }) => {
  await page.goto(serve.url)
  await expect(page.getByTestId('pair-id')).toHaveText(/^ISIC_\d{7}$/)
  const total = Number((await page.getByTestId('queue-count').textContent())?.split(' ')[0])

  await page.getByTestId('dashboard').click()
  const view = page.getByTestId('dashboard-view')
  await expect(view).toBeVisible()
  await expect(view.locator('canvas').first()).toBeVisible()
  await expect(page.getByTestId('metadata-breakdown')).toContainText('diagnosis')
  await expect(page.getByTestId('metadata-breakdown')).toContainText('melanoma')

  const chart = page.getByTestId('chart-uncertain')
  const values = ((await chart.getAttribute('data-values')) ?? '').split(',').map(Number)
  expect(values).toHaveLength(BINS)
  expect(values.reduce((a, b) => a + b, 0)).toBe(total)
  // The fullest bar holding fewer pairs than the whole dataset (so the queue visibly changes).
  let k = -1
  values.forEach((n, i) => {
    if (n > 0 && n < total && (k < 0 || n > values[k])) k = i
  })
  expect(k, `a bar holding some but not all of the ${total} pairs: ${values}`).toBeGreaterThanOrEqual(0)
  const over = chart.locator('.u-over')
  const box = await over.boundingBox()
  expect(box).not.toBeNull()
  await over.click({ position: { x: ((k + 0.5) / BINS) * box!.width, y: box!.height - 3 } })

  await expect(page.getByTestId('queue-count')).toHaveText(`${values[k]} pairs`)
  await expect(page.getByTestId('dashboard-filtered')).toContainText(`${values[k]} pairs`)
  const fractions = await page.locator('[data-testid="pair-list"] .queue__frac').allTextContents()
  expect(fractions.length).toBeGreaterThan(0)
  for (const f of fractions) {
    const v = parseFloat(f) / 100
    expect(v).toBeGreaterThanOrEqual(k / BINS)
    expect(v).toBeLessThan((k + 1) / BINS + 0.0005)
  }
  await page.screenshot({ path: 'test-results/screenshots/dashboard.png' })

  // A metadata value queues its pairs too (the breakdown's count is the queue's length).
  const melanoma = page.getByTestId('metadata-value').filter({ hasText: 'melanoma' })
  const count = Number((await melanoma.locator('span').nth(1).textContent()) ?? '0')
  await melanoma.click()
  await expect(page.getByTestId('queue-count')).toHaveText(`${count} pairs`)
  await expect(page.getByTestId('filter-chip')).toContainText('diagnosis = melanoma')
})
