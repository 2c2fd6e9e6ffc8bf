// `npm run dist`: installers with electron-builder (config: build/electron-builder.yml).
//
// electron-builder rebuilds the native modules (better-sqlite3; sharp is Node-API and needs
// nothing) for Electron's ABI inside node_modules, through @electron/rebuild without `force`: a
// module whose build/Release/.forge-meta marker matches is skipped. Afterwards this script rebuilds
// better-sqlite3 for Node again, so `npm test` and the CLI keep working in the same checkout; the
// marker is removed before and after, or the next `npm run dist` would pack that Node build.
//
// Every child runs without a shell (this Node running electron-builder's cli.js and npm-cli.js),
// so nothing depends on .cmd shims on Windows; every failure is printed.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { npmCommand, removeRebuildMarkers, spawnFailure } from './electronTooling.mjs'

const require = createRequire(import.meta.url)
const sqliteDir = path.dirname(require.resolve('better-sqlite3/package.json'))

function clearMarkers() {
  for (const f of removeRebuildMarkers(sqliteDir))
    console.log(`dist: removed ${path.relative(process.cwd(), f)}`)
}

clearMarkers()
const builder = spawnSync(
  process.execPath,
  [
    require.resolve('electron-builder/cli.js'),
    '--config',
    'build/electron-builder.yml',
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
)
const builderFailure = spawnFailure('dist: electron-builder', builder)
if (builderFailure) console.error(builderFailure)

const npm = npmCommand(['rebuild', 'better-sqlite3'])
const restore = spawnSync(npm.command, npm.args, { stdio: 'inherit', shell: npm.shell })
const restoreFailure = spawnFailure('dist: npm rebuild better-sqlite3', restore)
if (restoreFailure)
  console.error(`${restoreFailure}; the CLI and tests need it: run \`npm rebuild better-sqlite3\``)
clearMarkers()

process.exitCode = builderFailure || restoreFailure ? 1 : 0
