import { _electron as electron, expect, test } from '@playwright/test'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { electronBinaryStatus, noDisplayReason } from '../../scripts/electronTooling.mjs'
import { tempDir } from './support/serve'

/**
 * The same journey in the real Electron shell. Electron 45 downloads its binary on demand (npm
 * start, and test:e2e before this spec, run scripts/ensureElectron.mjs) from a host some networks
 * cannot reach; there this spec is skipped with that reason, and the renderer is covered through
 * `wsm-curator serve` in Chromium instead. test:e2e also builds the Electron-ABI better-sqlite3
 * that the app loads (scripts/electronNative.mjs).
 */
const status = electronBinaryStatus(
  path.dirname(createRequire(import.meta.url).resolve('electron/package.json')),
)

const noDisplay = noDisplayReason()

test.skip(
  !status.ok,
  `no Electron binary on this machine (${status.ok ? '' : status.reason}): npx install-electron`,
)
test.skip(noDisplay !== null, `Electron cannot open a window: ${noDisplay}`)

test('the Electron app opens the demo, trusts its own window over IPC, saves a mask and quits', async () => {
  const demoDir = tempDir('wsm-electron-demo-')
  const app = await electron.launch({
    executablePath: status.ok ? status.binary : '',
    args: ['.'],
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      WSM_CURATOR_DEMO_DIR: demoDir,
      WSM_CURATOR_USER_DATA: tempDir('wsm-electron-'),
    },
  })
  try {
    const window = await app.firstWindow()
    // The renderer has no Node and sees only the preload's one small global.
    expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe(
      'undefined',
    )
    expect(await window.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe(
      'undefined',
    )
    expect(
      await window.evaluate(() => Object.keys((globalThis as { wsm?: object }).wsm ?? {}).sort()),
    ).toEqual(['call', 'host', 'pathForDrop'])
    expect(window.url()).toBe('wsm://app/index.html')
    // A pair on screen means the main process answered the window's calls (isTrustedFrame).
    await expect(window.getByTestId('pair-id')).toHaveText('ISIC_0000000')
    await window.getByTestId('next').click()
    await expect(window.getByTestId('pair-id')).toHaveText('ISIC_0000001')
    await window.getByTestId('resolve-lesion').click()
    await expect(window.getByTestId('uncertain-remaining')).toHaveText('0')
    await window.getByTestId('save').click()
    await expect(window.getByTestId('save-state')).toHaveText('saved')
    const saved = path.join(demoDir, 'workspace', 'masks', 'ISIC_0000001.png')
    expect(existsSync(saved)).toBe(true)
    expect(readFileSync(saved).subarray(1, 4).toString('latin1')).toBe('PNG')
  } finally {
    await app.close()
  }
})
