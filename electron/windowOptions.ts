import type { BrowserWindowConstructorOptions } from 'electron'

/** The custom scheme the renderer is served from inside Electron (never file://). */
export const APP_SCHEME = 'wsm'
export const APP_ORIGIN = `${APP_SCHEME}://app`

/**
 * The main window's options: Electron's security checklist, in one place a test can read.
 * The renderer gets no Node, runs sandboxed and isolated, and talks only through the preload's API.
 */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    backgroundColor: '#1e1f22',
    title: 'WSM Curator',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  }
}
