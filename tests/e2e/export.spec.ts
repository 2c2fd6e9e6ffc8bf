import { expect, test } from '@playwright/test'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { cli, startServe, type ServeProcess } from './support/serve'

let serve: ServeProcess

test.beforeAll(async () => {
  serve = await startServe()
})
test.afterAll(async () => {
  await serve?.stop()
})

test('export a curated subset from the app: live count, progress, a verified export', async ({ page }) => {
  await page.goto(serve.url)
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000000')
  // Three decisions: two accepted, one rejected.
  await page.getByTestId('editor-canvas').hover()
  await page.keyboard.press('a')
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000001')
  await page.keyboard.press('a')
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000002')
  await page.keyboard.press('r')
  await expect(page.getByTestId('progress')).toContainText('3 / 12 reviewed')

  await page.getByTestId('export-button').click()
  await expect(page.getByTestId('export-count')).toContainText('2 pairs will be exported')
  await page.getByTestId('export-any-status').check()
  await expect(page.getByTestId('export-count')).toContainText('12 pairs will be exported')
  await page.getByTestId('export-any-status').uncheck()
  // isic-challenge with "refuse": masks still holding uncertain pixels are left out, and said so.
  await page.getByTestId('export-profile-isic').check()
  await expect(page.getByTestId('export-count')).toContainText('left out')
  await page.getByTestId('export-profile-wsm').check()
  await expect(page.getByTestId('export-count')).toContainText('2 pairs will be exported')

  const parent = mkdtempSync(path.join(os.tmpdir(), 'wsm-e2e-export-'))
  await page.getByTestId('export-parent').fill(parent)
  await page.getByTestId('export-name').fill('subset')
  await page.getByTestId('export-zip').check()
  await page.getByTestId('export-start').click()
  await expect(page.getByTestId('export-done')).toContainText('exported 2 pairs', { timeout: 60_000 })
  await page.screenshot({ path: 'test-results/screenshots/export.png' })

  const zip = path.join(parent, 'subset.zip')
  expect(existsSync(zip)).toBe(true)
  const report = JSON.parse(cli('verify-export', zip, '--json')) as {
    ok: boolean
    pairs: number
    problems: unknown[]
  }
  expect(report).toMatchObject({ ok: true, pairs: 2, problems: [] })
  expect(readFileSync(zip).subarray(0, 2).toString()).toBe('PK')
})
