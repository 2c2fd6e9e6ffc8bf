import { BrowserWindow } from 'electron'

export { APP_ORIGIN, APP_SCHEME } from './appOrigin'

/**
 * Creates the main window: Electron's security checklist, written as a literal in one place so both
 * a test (with `electron` mocked) and Electronegativity's static analysis can read every setting.
 * The renderer gets no Node, runs sandboxed and isolated, and talks only through the preload's API.
 */
export function createMainWindow(preloadPath: string): BrowserWindow {
  return new BrowserWindow({
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
      enableBlinkFeatures: '',
      disableBlinkFeatures: 'Auxclick',
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  })
}
