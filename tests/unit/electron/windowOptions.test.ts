import { describe, expect, it, vi } from 'vitest'

// The real module, with Electron's BrowserWindow replaced by a recorder (no Electron binary needed).
const created: unknown[] = []
vi.mock('electron', () => ({
  BrowserWindow: class {
    constructor(options: unknown) {
      created.push(options)
    }
  },
}))

const { createMainWindow, APP_ORIGIN } = await import('../../../electron/windowOptions')

describe('main window options', () => {
  createMainWindow('/app/out/preload/preload.cjs')
  const options = created[0] as Electron.BrowserWindowConstructorOptions
  const prefs = options.webPreferences!

  it.each([
    ['contextIsolation', true],
    ['sandbox', true],
    ['nodeIntegration', false],
    ['nodeIntegrationInWorker', false],
    ['nodeIntegrationInSubFrames', false],
    ['webSecurity', true],
    ['allowRunningInsecureContent', false],
    ['experimentalFeatures', false],
    ['webviewTag', false],
    ['navigateOnDragDrop', false],
  ] as const)('%s is %s', (key, value) => {
    expect(prefs[key]).toBe(value)
  })

  it('disables auxclick (middle-click opening new windows) and enables no extra Blink features', () => {
    expect(prefs.disableBlinkFeatures).toContain('Auxclick')
    expect(prefs.enableBlinkFeatures ?? '').toBe('')
  })

  it('loads the bundled CommonJS preload', () => {
    expect(prefs.preload).toMatch(/preload\.cjs$/)
  })

  it('serves the app from its own privileged scheme, never file://', () => {
    expect(APP_ORIGIN).toBe('wsm://app')
  })
})
