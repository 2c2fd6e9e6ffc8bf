import { app, BrowserWindow, dialog, Menu, net, protocol, session, type OpenDialogOptions } from 'electron'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { APP_NAME, APP_VERSION } from './appMeta'
import { APP_ORIGIN, APP_SCHEME, devRendererUrl, isAppUrl } from './appOrigin'
import { resolveAppFile } from './appProtocol'
import { registerApi, registerGrantChannel } from './ipc'
import { startFileLog } from './logging'
import { PathGrants } from './pathGrants'
import { installQuitGuard } from './quitGuard'
import type { PickPurpose } from './services/api'
import { SECURITY_HEADERS } from './serve/securityHeaders'
import { createApiHandlers } from './services/api'
import { openDemoWorkspace } from './services/demo/demoCache'
import { CurationSession } from './services/session'
import { RecentWorkspaces } from './services/workspace/recentWorkspaces'
import { Workspace } from './services/workspace/workspace'
import { createMainWindow } from './windowOptions'

const here = path.dirname(fileURLToPath(import.meta.url))
const rendererDir = path.resolve(here, '../renderer')
const preloadPath = path.resolve(here, '../preload/preload.cjs')

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
])

// Tests (and portable installs) may point the user-data folder elsewhere; set before anything reads it.
if (process.env.WSM_CURATOR_USER_DATA)
  app.setPath('userData', path.resolve(process.env.WSM_CURATOR_USER_DATA))

/**
 * `npm run dev` only: the renderer comes from Vite's dev server (hot reload), whose loopback
 * origin is then trusted like wsm://app. Null in a packaged app and in `npm start`.
 */
const devUrl = devRendererUrl(process.env, app.isPackaged)

let curation: CurationSession | undefined
const grants = new PathGrants()
let recent: RecentWorkspaces
let mainWindow: BrowserWindow | null = null

/**
 * better-sqlite3 is compiled for Node's ABI by `npm install` (the CLI and tests use it). In a
 * development run of Electron, use the Electron-ABI build that `npm start` makes beside it
 * (scripts/electronNative.mjs); a packaged app has its own, rebuilt by electron-builder.
 */
function useElectronSqliteBuild(): void {
  if (app.isPackaged || process.env.WSM_CURATOR_SQLITE_BINDING) return
  const binding = path.resolve(
    here,
    '../../node_modules/.electron-native',
    `electron-${process.versions.electron}`,
    'better-sqlite3/build/Release/better_sqlite3.node',
  )
  process.env.WSM_CURATOR_SQLITE_BINDING = binding
}

/** Serves the built renderer under wsm://app/, refusing anything outside its folder. */
function registerAppProtocol(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const target = resolveAppFile(request.url, rendererDir)
    if (!target.ok) return new Response(null, { status: target.status })
    const file = await net.fetch(pathToFileURL(target.file).href)
    const headers = new Headers(file.headers)
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) headers.set(k, v)
    return new Response(file.body, { status: file.status, headers })
  })
}

function hardenSessions(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url, devUrl)) event.preventDefault()
    })
    // The app has no frames: any subframe navigation (an injected iframe) is refused, whatever the CSP.
    contents.on('will-frame-navigate', (details) => {
      if (!details.isMainFrame) details.preventDefault()
    })
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
    // The renderer refuses to unload while a mask has unsaved changes; ask the curator.
    contents.on('will-prevent-unload', (event) => {
      const window = BrowserWindow.fromWebContents(contents)
      const options = {
        type: 'warning' as const,
        buttons: ['Stay', 'Leave without saving'],
        defaultId: 0,
        cancelId: 0,
        title: 'Unsaved changes',
        message: 'The current mask has changes that are not saved.',
        detail: 'Stay to save them (Ctrl+S), or leave and lose them.',
      }
      const choice = window ? dialog.showMessageBoxSync(window, options) : dialog.showMessageBoxSync(options)
      if (choice === 1) event.preventDefault()
    })
  })
}

function buildMenu(): void {
  const template: Electron.MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        {
          label: `About ${APP_NAME}`,
          click: () => {
            app.setAboutPanelOptions({ applicationName: APP_NAME, applicationVersion: APP_VERSION })
            app.showAboutPanel()
          },
        },
      ],
    },
  ]
  Menu.setApplicationMenu(Menu.buildFromTemplate(template))
}

const PICKS: Record<PickPurpose, OpenDialogOptions> = {
  workspace: { title: 'Open a workspace folder', properties: ['openDirectory'] },
  'new-workspace': {
    title: 'Folder for the new workspace',
    properties: ['openDirectory', 'createDirectory'],
  },
  'masks-zip': {
    title: 'Masks zip (ISIC_WSM_labels.zip)',
    properties: ['openFile'],
    filters: [{ name: 'Zip', extensions: ['zip'] }],
  },
  'masks-folder': { title: 'Folder of mask PNGs', properties: ['openDirectory'] },
  'images-zip': {
    title: 'Images zip',
    properties: ['openFile'],
    filters: [{ name: 'Zip', extensions: ['zip'] }],
  },
  'images-folder': { title: 'Folder of images', properties: ['openDirectory'] },
  'export-folder': { title: 'Parent folder of the export', properties: ['openDirectory', 'createDirectory'] },
  'export-zip': {
    title: 'Parent folder of the export zip',
    properties: ['openDirectory', 'createDirectory'],
  },
  'metadata-csv': {
    title: 'ISIC metadata CSV (archive export or challenge ground truth)',
    properties: ['openFile'],
    filters: [{ name: 'CSV', extensions: ['csv'] }],
  },
}

/** A native dialog; what the curator picks becomes an allowed root. */
async function pick(purpose: PickPurpose): Promise<string | null> {
  const options = PICKS[purpose]
  const result = mainWindow
    ? await dialog.showOpenDialog(mainWindow, options)
    : await dialog.showOpenDialog(options)
  const chosen = result.canceled ? undefined : result.filePaths[0]
  if (!chosen) return null
  grants.grant(chosen)
  return chosen
}

/** Reopens the last workspace (read-only if another program holds it), else the demo. */
async function openStartupWorkspace(): Promise<void> {
  const [last] = await recent.list()
  const options = { ifLocked: 'read-only' as const }
  const workspace = last
    ? await Workspace.open(last, options)
    : await openDemoWorkspace(
        process.env.WSM_CURATOR_DEMO_DIR ?? path.join(app.getPath('userData'), 'demo'),
        options,
      )
  await recent.add(workspace.dir)
  curation = new CurationSession(workspace)
}

async function createWindow(): Promise<void> {
  mainWindow = createMainWindow(preloadPath)
  mainWindow.once('ready-to-show', () => mainWindow?.show())
  mainWindow.on('closed', () => {
    mainWindow = null
  })
  await mainWindow.loadURL(devUrl ? `${devUrl}/` : `${APP_ORIGIN}/index.html`)
}

/** Everything a first instance does; a second one only hands over to it and quits. */
function start(): void {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore()
      mainWindow.focus()
    }
  })

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })

  // The workspace closes in will-quit, once every window closed: a window that refuses (unsaved
  // changes, Stay) cancels the quit with the workspace still open.
  installQuitGuard(app, {
    close: () => curation?.close(),
    quit: () => app.quit(),
    log: (message, err) => console.error(message, err),
  })

  void app.whenReady().then(async () => {
    startFileLog(app.getPath('userData'))
    console.info(`${APP_NAME} ${APP_VERSION} starting (Electron ${process.versions.electron})`)
    hardenSessions()
    registerAppProtocol()
    buildMenu()
    useElectronSqliteBuild()
    recent = new RecentWorkspaces(path.join(app.getPath('userData'), 'settings.json'))
    for (const dir of await recent.list()) grants.grant(dir)
    registerGrantChannel((p) => grants.grant(p), devUrl)
    registerApi(
      createApiHandlers({
        host: 'electron',
        session: () => curation,
        setSession: (s) => {
          curation = s
        },
        allowPath: (p) => grants.allows(p),
        pick,
        recent: () => recent.list(),
        addRecent: async (dir) => {
          grants.grant(dir)
          await recent.add(dir)
        },
      }),
      devUrl,
    )
    try {
      await openStartupWorkspace()
    } catch (err) {
      // The window still opens; the renderer shows "no workspace" and the reason is logged.
      console.error('could not open the startup workspace:', err)
    }
    await createWindow()
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) void createWindow()
    })
  })
}

// The lock is keyed on the user-data folder, so it is taken after WSM_CURATOR_USER_DATA applies.
if (app.requestSingleInstanceLock()) start()
else app.quit()
