import { expect, test, type Page } from '@playwright/test'
import sharp from 'sharp'
import path from 'node:path'
import { LABEL_LESION, LABEL_UNCERTAIN, type LabelMap } from '../../shared/labels/codes'
import { savedMask, sourceMask } from './support/masks'
import { E2E_DEMO_DIR, startServe, type ServeProcess } from './support/serve'

let serve: ServeProcess

test.beforeAll(async () => {
  serve = await startServe()
})
test.afterAll(async () => {
  await serve?.stop()
})

/** Counts screenshot pixels exactly equal to an RGB colour. */
async function countColour(page: Page, rgb: readonly [number, number, number]): Promise<number> {
  const png = await page.getByTestId('editor-canvas').screenshot()
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
  let n = 0
  for (let i = 0; i < data.length; i += info.channels) {
    if (data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2]) n++
  }
  return n
}

const LESION: [number, number, number] = [0, 200, 255]
const UNCERTAIN: [number, number, number] = [255, 170, 0]

test('the first demo pair shows with its overlay, and next/prev move through the pairs', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(serve.url)

  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000000')
  await expect(page.getByTestId('pair-position')).toHaveText(/^1 \/ \d+$/)
  const total = Number((await page.getByTestId('pair-position').textContent())!.split('/')[1])
  expect(total).toBeGreaterThanOrEqual(10)
  // The token left the address bar; the page keeps working from sessionStorage.
  expect(page.url()).not.toContain('token=')

  // Full opacity: lesion and uncertain pixels show in their exact colours (nearest-neighbour overlay).
  await page.getByTestId('overlay-opacity').fill('100')
  await expect.poll(() => countColour(page, LESION)).toBeGreaterThan(1000)
  expect(await countColour(page, UNCERTAIN)).toBeGreaterThan(100)

  // Hiding the overlay leaves none of either colour.
  await page.getByTestId('overlay-opacity').fill('0')
  await expect.poll(() => countColour(page, LESION)).toBe(0)
  expect(await countColour(page, UNCERTAIN)).toBe(0)
  await page.getByTestId('overlay-opacity').fill('50')
  await expect(page.getByTestId('overlay-opacity')).toHaveValue('50')
  await page.screenshot({ path: 'test-results/screenshots/first-screen.png' })

  await page.getByTestId('next').click()
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000001')
  await expect(page.getByTestId('pair-position')).toHaveText(`2 / ${total}`)
  await expect(page.getByTestId('prev')).toBeEnabled()

  await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000002')
  await page.getByTestId('prev').click()
  await page.getByTestId('prev').click()
  await expect(page.getByTestId('pair-id')).toHaveText('ISIC_0000000')
  await expect(page.getByTestId('prev')).toBeDisabled()

  // The list is virtualized: far fewer rows in the DOM than pairs would be at scale; clicking one opens it.
  await page.getByTestId('pair-list').locator('[data-index="5"]').click()
  await expect(page.getByTestId('pair-position')).toHaveText(`6 / ${total}`)

  // Thumbnails: the rows in view get one each, drawn by the main process from image + mask.
  await page.getByTestId('show-thumbnails').check()
  await expect(page.getByTestId('thumbnail').first()).toBeVisible()
  await expect.poll(() => page.getByTestId('thumbnail').count()).toBeGreaterThanOrEqual(Math.min(total, 8))
  const natural = await page
    .getByTestId('thumbnail')
    .first()
    .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)
  expect(natural).toBe(96)
  await page.screenshot({ path: 'test-results/screenshots/thumbnails.png' })
  expect(errors).toEqual([])
})

/**
 * Checks every pixel of the editor canvas at full overlay opacity against the label map: the
 * screen pixel whose centre falls in image pixel (x, y) — by the view's transform, the mapping the
 * pointer paints with — shows that pixel's label colour exactly (lesion, uncertain), and no label
 * colour where the label is background. Returns the pixels that do not.
 */
async function overlayMismatches(
  page: Page,
  map: LabelMap,
  view: { zoom: number; tx: number; ty: number },
): Promise<number> {
  const png = await page.getByTestId('editor-canvas').screenshot()
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
  const is = (i: number, rgb: readonly number[]) =>
    data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2]
  let bad = 0
  let labelled = 0
  for (let y = 0; y < info.height; y++) {
    const iy = Math.floor((y + 0.5 - view.ty) / view.zoom)
    for (let x = 0; x < info.width; x++) {
      const ix = Math.floor((x + 0.5 - view.tx) / view.zoom)
      const i = (y * info.width + x) * info.channels
      const label =
        ix >= 0 && iy >= 0 && ix < map.width && iy < map.height ? map.data[iy * map.width + ix] : 0
      const expected = label === LABEL_LESION ? LESION : label === LABEL_UNCERTAIN ? UNCERTAIN : null
      if (expected) {
        labelled++
        if (!is(i, expected)) bad++
      } else if (is(i, LESION) || is(i, UNCERTAIN)) bad++
    }
  }
  expect(labelled).toBeGreaterThan(1000)
  return bad
}

test('a large pair: every screen pixel shows the exact colour of the label under it, fitted and at 1:1', async ({
  page,
}) => {
  await page.goto(serve.url)
  await expect(page.getByTestId('pair-id')).toHaveText(/^ISIC_/)
  await page.getByTestId('editor-canvas').hover()
  await page.keyboard.press('g')
  await page.getByTestId('goto-input').fill('ISIC_0000011')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('editor-canvas')).toHaveAttribute('data-shown', 'ISIC_0000011')
  await page.getByTestId('overlay-opacity').fill('100')
  // The pointer off the canvas: no brush ring over the pixels checked; the triage region outlines
  // (elements above the overlay, not its pixels) hidden for the same reason.
  await page.mouse.move(0, 0)
  await page.addStyleTag({ content: '.triage-region { display: none !important; }' })
  const map = await sourceMask(path.join(E2E_DEMO_DIR, 'ISIC_WSM_labels.zip'), 'ISIC_0000011')
  const box = (await page.getByTestId('editor-canvas').boundingBox())!
  const cw = Math.floor(box.width)
  const ch = Math.floor(box.height)
  const zoom = Math.min(cw / map.width, ch / map.height)
  const fit = { zoom, tx: (cw - map.width * zoom) / 2, ty: (ch - map.height * zoom) / 2 }
  expect(zoom).toBeLessThan(0.5)
  await expect.poll(() => overlayMismatches(page, map, fit)).toBe(0)
  // One image pixel per screen pixel, centred on the canvas centre (Ctrl+1).
  await page.keyboard.press('Control+1')
  const oneToOne = {
    zoom: 1,
    tx: cw / 2 - (cw / 2 - fit.tx) / zoom,
    ty: ch / 2 - (ch / 2 - fit.ty) / zoom,
  }
  await expect.poll(() => overlayMismatches(page, map, oneToOne)).toBe(0)
  await page.screenshot({ path: 'test-results/screenshots/large-one-to-one.png' })
})

/** The view's transform from `editor-canvas`'s data-view (screen = image × zoom + (tx, ty)). */
async function viewOf(page: Page): Promise<{ zoom: number; tx: number; ty: number }> {
  const [zoom, tx, ty] = (await page.getByTestId('editor-canvas').getAttribute('data-view'))!
    .split(' ')
    .map(Number)
  return { zoom, tx, ty }
}

test('the view: wheel zoom at the cursor, space+drag and middle-drag pan, fit; the brush paints the pixel under the cursor', async ({
  page,
}) => {
  const workspaceServe = await startServe()
  try {
    await page.goto(workspaceServe.url)
    await expect(page.getByTestId('editor-canvas')).toHaveAttribute('data-shown', 'ISIC_0000000')
    await page.getByTestId('overlay-opacity').fill('100')
    const map = await sourceMask(path.join(E2E_DEMO_DIR, 'ISIC_WSM_labels.zip'), 'ISIC_0000000')
    const box = (await page.getByTestId('editor-canvas').boundingBox())!
    const fit = await viewOf(page)
    const image = (v: { zoom: number; tx: number; ty: number }, sx: number, sy: number) => ({
      x: (sx - v.tx) / v.zoom,
      y: (sy - v.ty) / v.zoom,
    })

    // Wheel up at a point: the zoom grows and the image point under the cursor stays under it.
    const at = { x: Math.round(box.width * 0.4), y: Math.round(box.height * 0.6) }
    await page.mouse.move(box.x + at.x, box.y + at.y)
    await page.mouse.wheel(0, -600)
    await expect.poll(async () => (await viewOf(page)).zoom).toBeGreaterThan(fit.zoom * 2)
    const zoomed = await viewOf(page)
    const before = image(fit, at.x, at.y)
    const after = image(zoomed, at.x, at.y)
    expect(Math.abs(after.x - before.x)).toBeLessThan(1e-6 * map.width)
    expect(Math.abs(after.y - before.y)).toBeLessThan(1e-6 * map.height)
    await page.mouse.move(0, 0)
    await expect.poll(() => overlayMismatches(page, map, zoomed)).toBe(0)

    // Space + drag pans by exactly the drag; so does a middle-button drag. (Space typed into a
    // form field is the field's: the opacity slider still has the focus, so it goes first.)
    await page.getByTestId('overlay-opacity').blur()
    await page.mouse.move(box.x + 300, box.y + 300)
    await page.keyboard.down('Space')
    await page.mouse.down()
    await page.mouse.move(box.x + 260, box.y + 330, { steps: 3 })
    await page.mouse.up()
    await page.keyboard.up('Space')
    let v = await viewOf(page)
    expect([v.zoom, v.tx - zoomed.tx, v.ty - zoomed.ty]).toEqual([zoomed.zoom, -40, 30])
    await page.mouse.down({ button: 'middle' })
    await page.mouse.move(box.x + 280, box.y + 310, { steps: 3 })
    await page.mouse.up({ button: 'middle' })
    v = await viewOf(page)
    expect([v.tx - zoomed.tx, v.ty - zoomed.ty]).toEqual([-20, 10])
    await page.mouse.move(0, 0)
    await expect.poll(() => overlayMismatches(page, map, v)).toBe(0)

    // A one-pixel brush click on an uncertain pixel, zoomed in and panned: that pixel, and only it.
    await page.getByTestId('tool-brush').click()
    await page.getByTestId('label-lesion').click()
    await page.getByTestId('brush-size').fill('1')
    await page.getByTestId('brush-size').press('Enter')
    // The uncertain pixel on screen nearest to the canvas centre.
    const centre = image(v, box.width / 2, box.height / 2)
    let target = { x: -1, y: -1 }
    let best = Infinity
    for (let y = 0; y < map.height; y++)
      for (let x = 0; x < map.width; x++) {
        const d = (x - centre.x) ** 2 + (y - centre.y) ** 2
        if (map.data[y * map.width + x] === 255 && d < best) [best, target] = [d, { x, y }]
      }
    const sx = target.x * v.zoom + v.tx + v.zoom / 2
    const sy = target.y * v.zoom + v.ty + v.zoom / 2
    expect(sx > 0 && sy > 0 && sx < box.width && sy < box.height).toBe(true)
    const uncertain = Number(await page.getByTestId('uncertain-remaining').textContent())
    await page.mouse.click(box.x + sx, box.y + sy)
    await expect(page.getByTestId('uncertain-remaining')).toHaveText(String(uncertain - 1))
    await page.getByTestId('save').click()
    await expect(page.getByTestId('save-state')).toHaveText('saved')
    const saved = savedMask(workspaceServe.workspace, 'ISIC_0000000')
    const changed: number[] = []
    for (let i = 0; i < map.data.length; i++) if (saved.data[i] !== map.data[i]) changed.push(i)
    expect(changed).toEqual([target.y * map.width + target.x])

    // Double-click fits again (so does Ctrl+0).
    await page.getByTestId('editor-canvas').dblclick({ position: { x: 20, y: 20 } })
    expect(await viewOf(page)).toEqual(fit)
    await page.mouse.wheel(0, -300)
    await expect.poll(async () => (await viewOf(page)).zoom).toBeGreaterThan(fit.zoom)
    await page.keyboard.press('Control+0')
    expect(await viewOf(page)).toEqual(fit)
  } finally {
    await workspaceServe.stop()
  }
})

test('the API refuses requests without the token', async ({ request }) => {
  const res = await request.post(`${serve.origin}/api/dataset:summary`, { data: Buffer.alloc(0) })
  expect(res.status()).toBe(401)
})
