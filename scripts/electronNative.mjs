// Pre-step of `npm start`/`npm run dev`/`npm run test:e2e`: better-sqlite3 built for Electron's ABI.
//
// better-sqlite3 is compiled for Node's ABI by `npm install` (tests and the CLI use that build).
// Electron needs its own; this script makes one in a separate folder,
// node_modules/.electron-native/electron-<version>/better-sqlite3, so the Node build stays intact,
// and the app (electron/main.ts) loads it through better-sqlite3's `nativeBinding` option.
//
// First the prebuilt binary that better-sqlite3 publishes for Electron, fetched by its own
// prebuild-install (no compiler needed); only if that fails, a source build with node-gyp (Python
// and a C++20 compiler, Electron's headers downloaded). A stamp file records what the build was made
// from (better-sqlite3's version, Electron's, platform and architecture); any change rebuilds.
//
// --if-electron-binary: do nothing (saying why) when the Electron binary is absent (test:e2e on a
// machine that cannot run Electron). sharp is Node-API and needs nothing.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import {
  electronBinaryStatus,
  nativeKey,
  nativeUpToDate,
  nodeGypArgs,
  prebuildArgs,
  sourceCopyFilter,
  spawnFailure,
} from './electronTooling.mjs'

const require = createRequire(import.meta.url)
const root = path.resolve(import.meta.dirname, '..')
const log = (line) => console.log(`electron-native: ${line}`)
const electronDir = path.dirname(require.resolve('electron/package.json'))

function main() {
  if (process.argv.includes('--if-electron-binary')) {
    const status = electronBinaryStatus(electronDir)
    if (!status.ok) {
      log(`skipped: no Electron binary (${status.reason}), so nothing here can load the binding`)
      return 0
    }
  }
  let sqlitePkg
  try {
    sqlitePkg = require.resolve('better-sqlite3/package.json')
  } catch {
    log('better-sqlite3 is not installed; nothing to build')
    return 0
  }
  const source = path.dirname(sqlitePkg)
  const target = {
    sqliteVersion: JSON.parse(readFileSync(sqlitePkg, 'utf8')).version,
    electronVersion: JSON.parse(readFileSync(path.join(electronDir, 'package.json'), 'utf8')).version,
    platform: process.platform,
    arch: process.arch,
  }
  const key = nativeKey(target)
  // electron/main.ts derives this folder from process.versions.electron.
  const dir = path.join(
    root,
    'node_modules',
    '.electron-native',
    `electron-${target.electronVersion}`,
    'better-sqlite3',
  )
  const binding = path.join(dir, 'build', 'Release', 'better_sqlite3.node')
  const stamp = path.join(dir, '.wsm-native-key')
  if (nativeUpToDate(binding, stamp, key)) {
    log(`${path.relative(root, binding)} is up to date (${key})`)
    return 0
  }
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  cpSync(source, dir, { recursive: true, filter: sourceCopyFilter(source) })

  log(`fetching the prebuilt ${key}`)
  const prebuildInstall = createRequire(sqlitePkg).resolve('prebuild-install/bin.js')
  const prebuilt = spawnSync(process.execPath, [prebuildInstall, ...prebuildArgs(target)], {
    cwd: dir,
    stdio: 'inherit',
  })
  const prebuiltFailure = spawnFailure('prebuild-install', prebuilt)
  if (prebuiltFailure || !existsSync(binding)) {
    log(
      `no prebuilt binary (${prebuiltFailure ?? 'nothing installed'}); building from source ` +
        '(needs Python and a C++20 compiler; downloads Electron headers)',
    )
    const built = spawnSync(
      process.execPath,
      [require.resolve('node-gyp/bin/node-gyp.js'), ...nodeGypArgs(target)],
      {
        cwd: dir,
        stdio: 'inherit',
      },
    )
    const builtFailure = spawnFailure('node-gyp', built)
    if (builtFailure || !existsSync(binding)) {
      console.error(
        `electron-native: could not build better-sqlite3 for Electron ${target.electronVersion}: ` +
          `${builtFailure ?? 'no binding produced'}`,
      )
      return 1
    }
  }
  writeFileSync(stamp, key + '\n')
  log(`${path.relative(root, binding)} ready (${key})`)
  return 0
}

process.exitCode = main()
