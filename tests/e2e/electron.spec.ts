import { _electron as electron, expect, test } from '@playwright/test'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { E2E_DEMO_DIR, tempDir } from './support/serve'

/**
 * The same journey in the real Electron shell. Electron's binary is fetched by its installer from a
 * host some networks cannot reach (ELECTRON_SKIP_BINARY_DOWNLOAD=1); there this spec is skipped,
 * and the renderer is covered through `wsm-curator serve` in Chromium instead.
 */
function electronBinary(): string | null {
  try {
    const pkgDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'))
    const pathFile = path.join(pkgDir, 'path.txt')
    if (!existsSync(pathFile)) return null
    const bin = path.join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim())
    return existsSync(bin) ? bin : null
  } catch {
    return null
  }
}

const binary = electronBinary()

test.skip(
  binary === null,
  'no Electron binary on this machine (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1)',
)

test('the Electron app opens the demo and steps to the next pair', async () => {
  const app = await electron.launch({
    executablePath: binary!,
    args: ['.'],
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      WSM_CURATOR_DEMO_DIR: E2E_DEMO_DIR,
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
    await expect(window.getByTestId('pair-id')).toHaveText('ISIC_0000000')
    await window.getByTestId('next').click()
    await expect(window.getByTestId('pair-id')).toHaveText('ISIC_0000001')
  } finally {
    await app.close()
  }
})
