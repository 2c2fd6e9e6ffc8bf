// `npm run dist`: installers with electron-builder (config: build/electron-builder.yml).
//
// electron-builder rebuilds the native modules (better-sqlite3; sharp is Node-API and needs
// nothing) for Electron's ABI inside node_modules. Afterwards this script rebuilds better-sqlite3
// for Node again, so `npm test` and the CLI keep working in the same checkout, whatever happened.
import { spawnSync } from 'node:child_process'

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const args = process.argv.slice(2)
const build = spawnSync(npx, ['electron-builder', '--config', 'build/electron-builder.yml', ...args], {
  stdio: 'inherit',
})
const restore = spawnSync(npm, ['rebuild', 'better-sqlite3'], { stdio: 'inherit' })
if (restore.status !== 0)
  console.error('dist: could not rebuild better-sqlite3 for Node; run `npm rebuild better-sqlite3`')
process.exitCode = build.status ?? 1
