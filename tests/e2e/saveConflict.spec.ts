import { expect, test, type Page } from '@playwright/test'
import path from 'node:path'
import { openSqlite } from '../../electron/services/workspace/sqlite'
import { LABEL_LESION, LABEL_UNCERTAIN } from '../../shared/labels/codes'
import { count, savedMask, sourceMask } from './support/masks'
import { demoSources, startServe, type ServeProcess } from './support/serve'

/**
 * Two browser tabs on one `serve` editing the same pair: the second one's save is refused with
 * `conflict`, and the editor offers the choice in place (the conflict bar): load the version saved
 * now (the edit kept one Ctrl+Z away) or keep the edit (saved over it, never blindly).
 */

const ID = 'ISIC_0000000'
let serve: ServeProcess

test.beforeEach(async () => {
  serve = await startServe()
})
test.afterEach(async () => {
  await serve?.stop()
})

async function openTab(page: Page): Promise<void> {
  await page.goto(serve.url)
  await expect(page.getByTestId('editor-canvas')).toHaveAttribute('data-shown', ID)
}

/** Both tabs open the pair; tab A resolves it to background and saves; tab B has not seen that. */
async function savedInTabA(a: Page, b: Page): Promise<void> {
  await openTab(a)
  await openTab(b)
  await a.keyboard.press('Shift+B')
  await a.keyboard.press('Control+s')
  await expect(a.getByTestId('save-state')).toHaveText('saved')
}

/** Tab A resolves the pair to background and saves; tab B, opened before, resolves it to lesion and is refused. */
async function conflict(a: Page, b: Page): Promise<void> {
  await savedInTabA(a, b)
  await b.keyboard.press('Shift+L')
  await expect(b.getByTestId('uncertain-remaining')).toHaveText('0')
  await b.keyboard.press('Control+s')
  await expect(b.getByTestId('save-conflict')).toBeVisible()
  await expect(b.getByTestId('save-state')).toContainText('[conflict]')
}

/** The audit trail's mask saves of the pair, read from the workspace's SQLite (read-only, beside serve). */
function saveEvents(workspace: string): number {
  return audit(workspace, 'save').events
}

/** The pair's audit events of one kind and its status, read from the workspace's SQLite (read-only, beside serve). */
function audit(workspace: string, kind: string): { events: number; status: string } {
  const db = openSqlite(path.join(workspace, 'workspace.sqlite'), { readonly: true })
  try {
    const events = db
      .prepare('SELECT count(*) AS n FROM events WHERE pair_id = ? AND kind = ?')
      .get(ID, kind) as { n: number }
    const row = db.prepare('SELECT status FROM pairs WHERE id = ?').get(ID) as { status: string } | undefined
    return { events: events.n, status: row?.status ?? 'unreviewed' }
  } finally {
    db.close()
  }
}

/** The saved mask's pixels that were uncertain in the source: how many are lesion now. */
async function uncertainNowLesion(): Promise<{ lesion: number; uncertain: number }> {
  const source = await sourceMask(demoSources().masks, ID)
  const saved = savedMask(serve.workspace, ID)
  let lesion = 0
  let uncertain = 0
  for (let i = 0; i < source.data.length; i++) {
    if (source.data[i] !== LABEL_UNCERTAIN) continue
    uncertain++
    if (saved.data[i] === LABEL_LESION) lesion++
  }
  expect(count(saved, LABEL_UNCERTAIN)).toBe(0)
  return { lesion, uncertain }
}

test('"Load the saved version" shows the other tab\'s save; Ctrl+Z brings the edit back, unsaved, and it saves', async ({
  page: a,
  context,
}) => {
  const b = await context.newPage()
  await conflict(a, b)
  // Tab A's correction is on disk, untouched by tab B's refused save.
  expect((await uncertainNowLesion()).lesion).toBe(0)
  await b.screenshot({ path: 'test-results/screenshots/save-conflict-bar.png' })

  // Unresolved, the edit is an unsaved edit like any other: → stays on the pair, closing asks.
  await b.keyboard.press('ArrowRight')
  await expect(b.getByTestId('save-conflict')).toBeVisible()
  await expect(b.getByTestId('pair-id')).toHaveText(ID)
  const dialogs: string[] = []
  b.on('dialog', (d) => {
    dialogs.push(d.type())
    void d.dismiss()
  })
  await b.close({ runBeforeUnload: true })
  await expect.poll(() => dialogs).toEqual(['beforeunload'])
  expect(b.isClosed()).toBe(false)

  await b.getByTestId('save-conflict-load').click()
  await expect(b.getByTestId('save-conflict')).toBeHidden()
  await expect(b.getByTestId('save-state')).toHaveText('corrected mask')
  await expect(b.getByTestId('notice')).toContainText('Ctrl+Z brings your edit back')
  // The shortcuts act on the editor again (the button gave the focus back).
  await b.keyboard.press('Control+z')
  await expect(b.getByTestId('save-state')).toHaveText('unsaved changes')
  await b.keyboard.press('Control+s')
  await expect(b.getByTestId('save-state')).toHaveText('saved')
  const { lesion, uncertain } = await uncertainNowLesion()
  expect(lesion).toBe(uncertain)
  // Audited: tab A's save and this one; the refused save recorded nothing.
  expect(saveEvents(serve.workspace)).toBe(2)
})

test('"Keep mine" saves over the newer version; changed again meanwhile, the conflict shows again', async ({
  page: a,
  context,
}) => {
  const b = await context.newPage()
  await conflict(a, b)
  // Tab B's save after "Keep mine" is held until tab A has saved once more (Ctrl+Z: the source again).
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  let held = 0
  await b.route(
    (u) => u.href.includes('pair%3AsaveMask'),
    async (route) => {
      if (held++ === 0) await gate
      await route.continue()
    },
  )
  // Keyboard reachable: the button takes the focus and Enter presses it.
  await b.getByTestId('save-conflict-keep').focus()
  await b.keyboard.press('Enter')
  await expect.poll(() => held).toBe(1)
  await a.keyboard.press('Control+z')
  await a.keyboard.press('Control+s')
  await expect(a.getByTestId('save-state')).toHaveText('saved')
  release()
  await expect(b.getByTestId('save-state')).toContainText('[conflict]')
  await expect(b.getByTestId('save-conflict')).toBeVisible()
  // Tab A's second save (the source's labels) is what the file holds.
  const source = await sourceMask(demoSources().masks, ID)
  expect(count(savedMask(serve.workspace, ID), LABEL_UNCERTAIN)).toBe(count(source, LABEL_UNCERTAIN))

  await b.getByTestId('save-conflict-keep').click()
  await expect(b.getByTestId('save-state')).toHaveText('saved')
  await expect(b.getByTestId('save-conflict')).toBeHidden()
  const { lesion, uncertain } = await uncertainNowLesion()
  expect(lesion).toBe(uncertain)
  // Audited as any save: tab A's two and "Keep mine"; the two refused saves recorded nothing.
  expect(saveEvents(serve.workspace)).toBe(3)
  // Decisions work on as usual: A accepts the corrected pair and moves on.
  await b.keyboard.press('a')
  await expect(b.getByTestId('pair-id')).toHaveText('ISIC_0000001')
})

test('A on a pair another tab saved since this one opened it is refused; "Load the saved version", then A decides on it', async ({
  page: a,
  context,
}) => {
  const b = await context.newPage()
  await savedInTabA(a, b)
  // Tab B still shows the source mask, unedited, and accepts it: refused, nothing recorded.
  await b.keyboard.press('a')
  await expect(b.getByTestId('save-conflict')).toBeVisible()
  await expect(b.getByTestId('save-conflict')).toContainText('your decision was not recorded')
  await expect(b.getByTestId('notice')).toContainText(`${ID} was not accepted: [conflict]`)
  await expect(b.getByTestId('save-state')).toHaveText('source mask')
  // Only the saved version is offered: deciding anyway would decide on a mask not seen here.
  await expect(b.getByTestId('save-conflict-keep')).toHaveCount(0)
  await expect(b.getByTestId('pair-id')).toHaveText(ID)
  await expect(b.getByTestId('status')).toHaveText('unreviewed')
  expect(audit(serve.workspace, 'status')).toEqual({ events: 0, status: 'corrected' })
  await b.screenshot({ path: 'test-results/screenshots/decision-conflict-bar.png' })

  await b.getByTestId('save-conflict-load').click()
  await expect(b.getByTestId('save-conflict')).toBeHidden()
  await expect(b.getByTestId('notice')).toContainText('decide again on what you see')
  await expect(b.getByTestId('status')).toHaveText('corrected')
  await expect(b.getByTestId('save-state')).toHaveText('corrected mask')
  // A again: the corrected mask now on screen is accepted (its status says so) and B moves on.
  await b.keyboard.press('a')
  await expect(b.getByTestId('pair-id')).toHaveText('ISIC_0000001')
  expect(audit(serve.workspace, 'status')).toEqual({ events: 0, status: 'corrected' })
  // Tab A's correction is what the file holds: nothing of tab B's was written.
  expect((await uncertainNowLesion()).lesion).toBe(0)
  expect(saveEvents(serve.workspace)).toBe(1)
})

test('Ctrl+S on an unedited pair another tab saved: only "Load the saved version" (Keep mine would write the stale version over it); undone back to clean, Keep is withdrawn', async ({
  page: a,
  context,
}) => {
  const b = await context.newPage()
  await savedInTabA(a, b)
  // Tab B, unedited, presses Ctrl+S (it always writes): refused, and nothing of its own to keep.
  await b.keyboard.press('Control+s')
  await expect(b.getByTestId('save-conflict')).toBeVisible()
  await expect(b.getByTestId('save-conflict')).toContainText('what you see is not the saved version')
  await expect(b.getByTestId('save-conflict-keep')).toHaveCount(0)
  // An edit brings Keep mine; undone back to the opened state, it goes again.
  await b.keyboard.press('Shift+L')
  await expect(b.getByTestId('save-conflict-keep')).toBeVisible()
  await b.keyboard.press('Control+z')
  await expect(b.getByTestId('save-conflict-keep')).toHaveCount(0)
  expect(saveEvents(serve.workspace)).toBe(1)
  await b.getByTestId('save-conflict-load').click()
  await expect(b.getByTestId('save-conflict')).toBeHidden()
  await expect(b.getByTestId('save-state')).toHaveText('corrected mask')
  // Tab A's correction is what the file holds; tab B shows it.
  expect((await uncertainNowLesion()).lesion).toBe(0)
  await expect(b.getByTestId('uncertain-remaining')).toHaveText('0')
  expect(saveEvents(serve.workspace)).toBe(1)
})
