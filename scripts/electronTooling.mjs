// The pure parts of the Electron tooling scripts (ensureElectron, electronNative, dist), kept apart
// from their command-line faces so tests/unit/scripts/ can run them in Node without Electron.
// Types: electronTooling.d.mts.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'

// ---- The Electron binary --------------------------------------------------------------------

/** Electron's tooling (@electron/get, @electron/rebuild) asks for this Node version (their engines). */
export const ELECTRON_TOOLING_NODE = '22.12.0'

function readText(file) {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return null
  }
}

/**
 * Whether the `electron` package in `pkgDir` has its binary, the way its own install.js and
 * electron-vite look for it: `path.txt` names the executable under `dist/`, and `dist/version` is the
 * package's version. `ELECTRON_EXEC_PATH` (electron-vite's override) wins when set.
 * @returns {{ ok: true, binary: string, version: string } | { ok: false, reason: string, version: string }}
 */
export function electronBinaryStatus(pkgDir, env = process.env) {
  const version = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version
  if (env.ELECTRON_EXEC_PATH) {
    return existsSync(env.ELECTRON_EXEC_PATH)
      ? { ok: true, binary: env.ELECTRON_EXEC_PATH, version }
      : { ok: false, reason: `ELECTRON_EXEC_PATH names a missing file (${env.ELECTRON_EXEC_PATH})`, version }
  }
  const rel = readText(path.join(pkgDir, 'path.txt'))
  if (!rel) return { ok: false, reason: 'the binary was never downloaded', version }
  const binary = path.join(pkgDir, 'dist', rel.trim())
  if (!existsSync(binary)) return { ok: false, reason: `${binary} is missing`, version }
  const distVersion = readText(path.join(pkgDir, 'dist', 'version'))
    ?.trim()
    .replace(/^v/, '')
  if (distVersion !== undefined && distVersion !== version)
    return { ok: false, reason: `dist/ holds Electron ${distVersion}, the package is ${version}`, version }
  return { ok: true, binary, version }
}

/**
 * Why Electron cannot open a window here, or null: on Linux it needs an X11 or Wayland display
 * (run under `xvfb-run` on a headless machine).
 */
export function noDisplayReason(platform = process.platform, env = process.env) {
  if (platform !== 'linux' || env.DISPLAY || env.WAYLAND_DISPLAY) return null
  return 'no display (DISPLAY and WAYLAND_DISPLAY are unset; run under xvfb-run)'
}

/** True when `actual` (e.g. process.versions.node) is at least `wanted` (x.y.z). */
export function nodeAtLeast(actual, wanted) {
  const a = actual.split('.').map(Number)
  const w = wanted.split('.').map(Number)
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (w[i] ?? 0)) return (a[i] ?? 0) > (w[i] ?? 0)
  return true
}

/** The one line printed when the binary is missing and could not be fetched. */
export function missingElectronLine(version, cause, nodeVersion = process.versions.node) {
  const node = nodeAtLeast(nodeVersion, ELECTRON_TOOLING_NODE)
    ? ''
    : ` (with Node ≥ ${ELECTRON_TOOLING_NODE}; this is Node ${nodeVersion})`
  return (
    `Electron ${version} is not installed and could not be downloaded (${cause}). ` +
    `Install it with "npx install-electron" on a network that reaches github.com${node}, ` +
    `or use the app without Electron, in a browser: "npx wsm-curator serve --demo" (or --workspace <dir>).`
  )
}

/** The first line of a child's error output that says something (install.js prints a stack). */
export function firstLine(text) {
  return (
    String(text ?? '')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? 'no output'
  )
}

/** How long the binary's download may take (about 100 MB). */
export const DOWNLOAD_TIMEOUT_MS = 15 * 60_000

/**
 * Makes sure the Electron binary is there: runs the package's own install.js (the download that
 * Electron 45 no longer does at `npm install`) when it is not. Never throws.
 * @returns {{ ok: true, binary: string, downloaded: boolean } | { ok: false, line: string }}
 */
export function ensureElectronBinary(pkgDir, { env = process.env, log = () => {} } = {}) {
  const before = electronBinaryStatus(pkgDir, env)
  if (before.ok) return { ok: true, binary: before.binary, downloaded: false }
  if (env.ELECTRON_EXEC_PATH) return { ok: false, line: missingElectronLine(before.version, before.reason) }
  log(`downloading the Electron ${before.version} binary (about 100 MB, once; ${before.reason})`)
  const run = spawnSync(process.execPath, [path.join(pkgDir, 'install.js')], {
    cwd: pkgDir,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // A host that swallows packets would otherwise hold `npm start` (or test:e2e) indefinitely.
    timeout: DOWNLOAD_TIMEOUT_MS,
  })
  const after = electronBinaryStatus(pkgDir, env)
  if (after.ok) return { ok: true, binary: after.binary, downloaded: true }
  const cause = run.error
    ? /ETIMEDOUT/.test(run.error.message)
      ? `no answer within ${DOWNLOAD_TIMEOUT_MS / 60_000} minutes`
      : run.error.message
    : run.status !== 0
      ? firstLine(run.stderr || run.stdout)
      : after.reason
  return { ok: false, line: missingElectronLine(before.version, cause) }
}

// ---- better-sqlite3 for Electron's ABI ------------------------------------------------------

/**
 * What the Electron-ABI build of better-sqlite3 was made from; a build with another key is stale
 * (better-sqlite3 updated, another Electron, another platform or architecture).
 */
export function nativeKey({ sqliteVersion, electronVersion, platform, arch }) {
  return `better-sqlite3@${sqliteVersion} electron@${electronVersion} ${platform}-${arch}`
}

/**
 * The copy filter for better-sqlite3's sources: everything but its own top-level `build/` (the
 * Node build). Tested on the path RELATIVE to the package, so a checkout under any folder named
 * `build` still copies.
 */
export function sourceCopyFilter(sourceRoot, flavour = path) {
  return (src) => {
    const rel = flavour.relative(sourceRoot, src)
    const first = rel.split(/[\\/]/)[0]
    return first !== 'build'
  }
}

/** prebuild-install's arguments for an Electron prebuild (better-sqlite3 publishes them). */
export function prebuildArgs({ electronVersion, platform, arch }) {
  return ['--runtime=electron', `--target=${electronVersion}`, `--platform=${platform}`, `--arch=${arch}`]
}

/** node-gyp's arguments for the source build (Electron's headers are downloaded). */
export function nodeGypArgs({ electronVersion, arch }) {
  return [
    'rebuild',
    '--release',
    `--target=${electronVersion}`,
    `--arch=${arch}`,
    '--dist-url=https://electronjs.org/headers',
    '--runtime=electron',
  ]
}

/** True when `stampFile` holds `key` and the binding it describes exists. */
export function nativeUpToDate(bindingFile, stampFile, key) {
  return existsSync(bindingFile) && readText(stampFile)?.trim() === key
}

// ---- npm run dist ---------------------------------------------------------------------------

/**
 * The markers with which @electron/rebuild (run by electron-builder, without force) decides that a
 * module is already built for Electron: `build/<Release|Debug>/.forge-meta` holding
 * `platform--arch--ABI` (@electron/rebuild lib/module-rebuilder.js, metaPath). `npm rebuild`
 * replaces the binary but leaves the marker, so it must go whenever the Node build is restored.
 */
export function rebuildMarkers(moduleDir) {
  return ['Release', 'Debug'].map((type) => path.join(moduleDir, 'build', type, '.forge-meta'))
}

/** Removes the markers; returns those that existed. */
export function removeRebuildMarkers(moduleDir) {
  const removed = rebuildMarkers(moduleDir).filter((f) => existsSync(f))
  for (const f of removed) rmSync(f, { force: true })
  return removed
}

/**
 * How to run npm without a shell on every platform: through the npm-cli.js that `npm run` names in
 * `npm_execpath`, with this Node. Failing that, `npm` (on Windows `npm.cmd` needs a shell: since
 * Node 20.12.2 spawning a .cmd without one fails with EINVAL).
 * @returns {{ command: string, args: string[], shell: boolean }}
 */
export function npmCommand(
  args,
  { env = process.env, platform = process.platform, execPath = process.execPath } = {},
) {
  const cli = env.npm_execpath
  if (cli && /\.[cm]?js$/i.test(cli)) return { command: execPath, args: [cli, ...args], shell: false }
  if (platform === 'win32') return { command: 'npm.cmd', args, shell: true }
  return { command: 'npm', args, shell: false }
}

/** What went wrong with a spawnSync result, as one line; null when it exited 0. */
export function spawnFailure(label, result) {
  if (result.error) return `${label}: could not start (${result.error.message})`
  if (result.signal) return `${label}: killed by ${result.signal}`
  if (result.status !== 0) return `${label}: exited with code ${result.status}`
  return null
}
