import { expect, test } from '@playwright/test'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { encodeMaskPng } from '../../electron/services/mask/maskPng'
import { cli, demoAsFolders, startServe, type ServeProcess } from './support/serve'

/**
 * A dataset with the problems curators meet: a colour mask, a challenge-convention mask, a mask
 * without an image, and a JPEG carrying EXIF orientation 6. Masks as a folder, images as a folder.
 */
async function problemDataset(): Promise<{ masks: string; images: string; size: { w: number; h: number } }> {
  const { masks, images } = await demoAsFolders('wsm-e2e-problems-')
  const meta = await sharp(path.join(images, 'ISIC_0000003.jpg')).metadata()
  const w = meta.width!
  const h = meta.height!
  // ISIC_0000003: an RGB mask (the values look right, but a colour PNG is not a label map).
  await sharp(Buffer.alloc(w * h * 3, 1), { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(path.join(masks, 'ISIC_0000003.png'))
  // ISIC_0000004: the challenge convention — 0 background, 255 lesion (a solid disc), no 1s.
  const m4 = await sharp(path.join(images, 'ISIC_0000004.jpg')).metadata()
  const data = new Uint8Array(m4.width! * m4.height!)
  for (let y = 0; y < m4.height!; y++)
    for (let x = 0; x < m4.width!; x++)
      if ((x - m4.width! / 2) ** 2 + (y - m4.height! / 2) ** 2 < (m4.height! / 4) ** 2)
        data[y * m4.width! + x] = 255
  writeFileSync(
    path.join(masks, 'ISIC_0000004.png'),
    encodeMaskPng(
      { width: m4.width!, height: m4.height!, data },
      { colorType: 0, bitDepth: 8, interlaced: false },
    ),
  )
  // ISIC_0099999: a mask without an image.
  cpSync(path.join(masks, 'ISIC_0000000.png'), path.join(masks, 'ISIC_0099999.png'))
  // ISIC_0000002: left half red, right half blue, stored landscape, EXIF orientation 6 (rotate 90° to view).
  const m2 = await sharp(path.join(images, 'ISIC_0000002.jpg')).metadata()
  const rgb = Buffer.alloc(m2.width! * m2.height! * 3)
  for (let i = 0; i < m2.width! * m2.height!; i++) {
    const left = i % m2.width! < m2.width! / 2
    rgb[i * 3] = left ? 230 : 20
    rgb[i * 3 + 2] = left ? 20 : 230
  }
  rmSync(path.join(images, 'ISIC_0000002.jpg'))
  await sharp(rgb, { raw: { width: m2.width!, height: m2.height!, channels: 3 } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toFile(path.join(images, 'ISIC_0000002.jpg'))
  return { masks, images, size: { w: m2.width!, h: m2.height! } }
}

let serve: ServeProcess
let dataset: Awaited<ReturnType<typeof problemDataset>>

test.beforeAll(async () => {
  dataset = await problemDataset()
  const ws = path.join(mkdtempSync(path.join(os.tmpdir(), 'wsm-e2e-ws-')), 'workspace')
  cli('init', ws, '--masks', dataset.masks, '--images', dataset.images, '--curator', 'e2e')
  serve = await startServe(ws)
})
test.afterAll(async () => {
  await serve?.stop()
})

test('problems are listed with codes, marked in the queue, and the rest of the dataset works', async ({
  page,
}) => {
  await page.goto(serve.url)
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000000')
  // The background scan marks the bad masks in the queue once it has seen them.
  await expect(
    page.getByTestId('pair-list').locator('[data-index="3"] [data-testid="pair-problem"]'),
  ).toBeVisible({
    timeout: 30_000,
  })
  await expect(
    page.getByTestId('pair-list').locator('[data-index="4"] [data-testid="pair-problem"]'),
  ).toBeVisible()
  // The scan has ended (the status bar sums it up), so the problems listed below are its final ones.
  await expect(page.getByTestId('scan-progress')).toHaveText(/^\d+ mask problems$/, { timeout: 30_000 })

  await page.getByTestId('tab-problems').click()
  const panel = page.getByTestId('problems-panel')
  await expect(panel.locator('[data-code="mask-colour"]')).toContainText('ISIC_0000003')
  await expect(panel.locator('[data-code="challenge-convention"]')).toContainText('ISIC_0000004')
  await expect(panel.locator('[data-code="no-image"]')).toContainText('ISIC_0099999')
  await page.getByTestId('problems-filter').selectOption('mask-colour')
  await expect(panel.locator('.problems__item')).toHaveCount(1)
  await page.screenshot({ path: 'test-results/screenshots/problems.png' })

  // A bad pair says why, with its code; the next one opens as usual.
  await panel.locator('[data-code="mask-colour"]').click()
  await expect(page.getByTestId('error')).toContainText('mask-colour')
  await page.getByTestId('next').click()
  await expect(page.getByTestId('challenge-offer')).toBeVisible()
  await expect(page.getByTestId('error')).toContainText('challenge-convention')

  // The conversion 255 → 1 is offered, never applied silently: it opens unsaved, then saves on request.
  await page.getByTestId('convert-challenge').click()
  await expect(page.getByTestId('save-state')).toHaveText('unsaved changes')
  await expect(page.getByTestId('uncertain-remaining')).toHaveText('0')
  await page.getByTestId('save').click()
  await expect(page.getByTestId('status')).toHaveText('corrected')
  // Saved, the pair has a valid mask: its problem leaves the list and its row loses the mark.
  await page.getByTestId('tab-problems').click()
  await page.getByTestId('problems-filter').selectOption('')
  await expect(panel.locator('[data-code="no-image"]')).toContainText('ISIC_0099999')
  await expect(panel.locator('[data-code="mask-colour"]')).toContainText('ISIC_0000003')
  await expect(panel.locator('[data-code="challenge-convention"]')).toHaveCount(0)
  await expect(page.getByTestId('problems-filter')).not.toContainText('challenge-convention')
  await page.getByTestId('tab-queue').click()
  await expect(
    page.getByTestId('pair-list').locator('[data-index="4"] [data-testid="pair-problem"]'),
  ).toHaveCount(0)
  await expect(
    page.getByTestId('pair-list').locator('[data-index="3"] [data-testid="pair-problem"]'),
  ).toBeVisible()
})

test('an image with EXIF orientation 6 is shown as stored, aligned with its mask', async ({ page }) => {
  await page.goto(serve.url)
  await page.getByTestId('tab-queue').click()
  await page.getByTestId('pair-list').locator('[data-index="2"]').click()
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000002')
  await page.getByTestId('overlay-opacity').fill('0')
  const box = (await page.getByTestId('editor-canvas').boundingBox())!
  const { w, h } = dataset.size
  const zoom = Math.min(box.width / w, box.height / h)
  const at = async (fx: number, fy: number) => {
    const x = box.x + (box.width - w * zoom) / 2 + fx * w * zoom
    const y = box.y + (box.height - h * zoom) / 2 + fy * h * zoom
    const png = await page.screenshot({ clip: { x, y, width: 1, height: 1 } })
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
    return [data[0], data[1], data[2]]
  }
  // Stored pixels: red on the left, blue on the right, at both the top and the bottom.
  await expect.poll(async () => (await at(0.25, 0.2))[0]).toBeGreaterThan(150)
  expect((await at(0.25, 0.8))[0]).toBeGreaterThan(150)
  expect((await at(0.75, 0.2))[2]).toBeGreaterThan(150)
  expect((await at(0.75, 0.8))[2]).toBeGreaterThan(150)
})
