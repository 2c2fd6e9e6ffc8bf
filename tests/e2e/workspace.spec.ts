import { expect, test } from '@playwright/test'
import { existsSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { demoSources, startServe, type ServeProcess } from './support/serve'

let serve: ServeProcess

test.beforeAll(async () => {
  serve = await startServe()
})
test.afterAll(async () => {
  await serve?.stop()
})

test('create a workspace from the app, decide there, and switch back through the recent list', async ({
  page,
}) => {
  await page.goto(serve.url)
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000000')
  await page.keyboard.press('a')
  await expect(page.getByTestId('progress')).toContainText('1 / 12 reviewed')

  const { masks, images } = demoSources()
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'wsm-e2e-new-')), 'second')
  await page.getByTestId('workspace-button').click()
  await page.getByTestId('ws-tab-new').click()
  await page.getByTestId('ws-masks').fill(masks)
  await page.getByTestId('ws-images-0').fill(images)
  await page.getByTestId('ws-dir').fill(dir)
  await page.getByTestId('ws-curator').fill('second curator')
  await page.getByTestId('ws-create').click()
  await expect(page.getByTestId('workspace-dialog')).toBeHidden()
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000000')
  await expect(page.getByTestId('progress')).toContainText('0 / 12 reviewed')
  expect(existsSync(path.join(dir, 'workspace.json'))).toBe(true)

  // A bad path is refused with its code, and the open workspace stays.
  await page.getByTestId('workspace-button').click()
  await page.getByTestId('ws-open-path').fill(path.join(dir, 'no-such-folder'))
  await page.getByTestId('ws-open').click()
  // Not a workspace: workspace.json is not there (the message names the folder).
  await expect(page.getByTestId('ws-message')).toContainText('[not-found]')
  await expect(page.getByTestId('ws-message')).toContainText('no-such-folder')
  await page.getByRole('button', { name: serve.workspace }).click()
  await expect(page.getByTestId('workspace-dialog')).toBeHidden()
  await expect(page.getByTestId('progress')).toContainText('1 / 12 reviewed')
  // It resumes where the curator left it: the pair after the accepted one.
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000001')
  await page.getByTestId('prev').click()
  await expect(page.getByTestId('status')).toHaveText('accepted')
})
