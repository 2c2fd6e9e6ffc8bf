// `npm run smoke:electron`: the desktop app itself, for machines that CAN run Electron. Launches the
// built app (out/) on a fresh demo with a fresh user-data folder, through playwright-core's
// `_electron`; opens a pair, resolves its uncertain band to lesion, saves the mask, checks the PNG on
// disk, quits. Exit 0 only if all of that worked. No Electron binary: says so and exits 1 (this is a
// smoke test of Electron, not something to skip quietly).
/* global document */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { _electron as electron } from 'playwright-core'
import { electronBinaryStatus, noDisplayReason } from './electronTooling.mjs'

const root = path.resolve(import.meta.dirname, '..')
const log = (line) => console.log(`smoke:electron: ${line}`)
const TIMEOUT = 60_000

async function main() {
  const status = electronBinaryStatus(
    path.dirname(createRequire(import.meta.url).resolve('electron/package.json')),
  )
  if (!status.ok) {
    console.error(
      `smoke:electron: no Electron binary (${status.reason}); run "npx install-electron" where github.com is reachable`,
    )
    return 1
  }
  const noDisplay = noDisplayReason()
  if (noDisplay) {
    console.error(`smoke:electron: Electron cannot open a window: ${noDisplay}`)
    return 1
  }
  if (!existsSync(path.join(root, 'out/main/main.js'))) {
    console.error('smoke:electron: no build in out/; run "npx electron-vite build" first')
    return 1
  }
  const demoDir = mkdtempSync(path.join(os.tmpdir(), 'wsm-smoke-demo-'))
  const userData = mkdtempSync(path.join(os.tmpdir(), 'wsm-smoke-user-'))
  log(`launching ${status.binary} (Electron ${status.version}) on a demo in ${demoDir}`)
  const app = await electron.launch({
    executablePath: status.binary,
    args: ['.'],
    cwd: root,
    env: { ...process.env, WSM_CURATOR_DEMO_DIR: demoDir, WSM_CURATOR_USER_DATA: userData },
    timeout: TIMEOUT,
  })
  let exitCode = 1
  try {
    const page = await app.firstWindow({ timeout: TIMEOUT })
    page.setDefaultTimeout(TIMEOUT)
    const text = async (id) => (await page.getByTestId(id).textContent())?.trim() ?? ''
    const waitText = (id, want) =>
      page.waitForFunction(
        ([sel, value]) => document.querySelector(sel)?.textContent?.trim() === value,
        [`[data-testid="${id}"]`, want],
        { timeout: TIMEOUT },
      )
    // The preload's API works only if IPC trusts the window: a pair on screen proves it.
    await page
      .getByTestId('pair-id')
      .filter({ hasText: /ISIC_\d+/ })
      .waitFor()
    const first = await text('pair-id')
    await page.getByTestId('next').click()
    await page.waitForFunction(
      (was) => {
        const now = document.querySelector('[data-testid="pair-id"]')?.textContent?.trim()
        return now !== undefined && now !== was && /ISIC_\d+/.test(now)
      },
      first,
      { timeout: TIMEOUT },
    )
    const id = await text('pair-id')
    log(`opened ${id}`)
    await page.getByTestId('resolve-lesion').click()
    await waitText('uncertain-remaining', '0')
    await page.getByTestId('save').click()
    await waitText('save-state', 'saved')
    const saved = path.join(demoDir, 'workspace', 'masks', `${id}.png`)
    const bytes = existsSync(saved) ? readFileSync(saved) : null
    if (!bytes || bytes.subarray(1, 4).toString('latin1') !== 'PNG')
      throw new Error(`no saved mask at ${saved}`)
    log(`saved ${saved} (${bytes.byteLength} bytes)`)
    exitCode = 0
  } catch (err) {
    console.error(`smoke:electron: failed: ${err instanceof Error ? err.message : String(err)}`)
  } finally {
    // Quitting goes through before-quit, which waits for the workspace to close.
    await app.close().catch((err) => console.error(`smoke:electron: quit failed: ${err.message}`))
  }
  if (exitCode === 0) log('ok: launched, opened a pair, saved a mask, quit')
  return exitCode
}

process.exitCode = await main()
