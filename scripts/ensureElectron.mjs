// Pre-step of `npm start`, `npm run dev`, `npm run smoke:electron` and `npm run test:e2e`: the
// Electron binary. Electron 45 no longer downloads it at `npm install` (its package has no install
// script; node_modules/electron/install.js does it, run by `npx install-electron` or on the first
// `require('electron')`), and electron-vite only reads node_modules/electron/path.txt and throws
// "Electron uninstall" without it. So this runs the download when the binary is missing.
//
// Missing and not downloadable: one line saying how to install it and that `wsm-curator serve`
// works without it; exit 1. With --optional (test:e2e), the same line and exit 0: the Electron spec
// then skips itself with its reason.
import { createRequire } from 'node:module'
import path from 'node:path'
import { ensureElectronBinary } from './electronTooling.mjs'

const optional = process.argv.includes('--optional')
const pkgDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'))
const result = ensureElectronBinary(pkgDir, { log: (line) => console.log(`ensure-electron: ${line}`) })
if (result.ok) {
  if (result.downloaded) console.log(`ensure-electron: ${path.relative(process.cwd(), result.binary)} ready`)
} else {
  console.error(`ensure-electron: ${result.line}`)
  if (!optional) process.exitCode = 1
}
