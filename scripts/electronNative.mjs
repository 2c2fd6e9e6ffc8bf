// Pre-step of `npm start`/`npm run dist`: native modules for Electron's ABI.
//
// better-sqlite3 is compiled for Node's ABI by `npm install` (tests and the CLI use that build).
// Electron needs its own build; this script makes one in a separate folder so the Node build stays
// intact, and the app loads it through better-sqlite3's `nativeBinding` option. It downloads
// Electron's headers, so it runs only here, never from `npm install`. sharp is Node-API and needs nothing.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)
const root = path.resolve(import.meta.dirname, '..')
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version
const target = path.join(
  root,
  'node_modules',
  '.electron-native',
  `electron-${electronVersion}`,
  'better-sqlite3',
)
const binding = path.join(target, 'build', 'Release', 'better_sqlite3.node')

let sqliteInstalled = true
try {
  require.resolve('better-sqlite3/package.json')
} catch {
  sqliteInstalled = false
}

if (!sqliteInstalled) {
  console.log('electron-native: better-sqlite3 is not a dependency yet; nothing to build')
} else if (existsSync(binding)) {
  console.log(`electron-native: ${path.relative(root, binding)} is up to date`)
} else {
  const source = path.dirname(require.resolve('better-sqlite3/package.json'))
  mkdirSync(path.dirname(target), { recursive: true })
  cpSync(source, target, { recursive: true, filter: (p) => !p.includes(`${path.sep}build${path.sep}`) })
  console.log(
    `electron-native: building better-sqlite3 for Electron ${electronVersion} (downloads Electron headers)`,
  )
  execFileSync(
    process.execPath,
    [
      require.resolve('node-gyp/bin/node-gyp.js'),
      'rebuild',
      '--release',
      `--target=${electronVersion}`,
      '--dist-url=https://electronjs.org/headers',
      '--runtime=electron',
    ],
    { cwd: target, stdio: 'inherit' },
  )
}
