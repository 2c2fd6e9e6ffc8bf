import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  electronBinaryStatus,
  ensureElectronBinary,
  missingElectronLine,
  nativeKey,
  nativeUpToDate,
  nodeAtLeast,
  nodeGypArgs,
  noDisplayReason,
  npmCommand,
  prebuildArgs,
  rebuildMarkers,
  removeRebuildMarkers,
  sourceCopyFilter,
  spawnFailure,
} from '../../../scripts/electronTooling.mjs'

const temp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix))

/**
 * A fake `electron` package: its package.json and an install.js that, like the real one, writes
 * dist/<binary>, dist/version and path.txt, or fails the way an unreachable host does.
 */
function fakeElectron(install: 'works' | 'offline' | 'none' = 'none', version = '45.5.0'): string {
  const dir = temp('wsm-fake-electron-')
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'electron', version }))
  const script =
    install === 'works'
      ? `const fs = require('fs'), path = require('path')
         fs.mkdirSync(path.join(__dirname, 'dist'), { recursive: true })
         fs.writeFileSync(path.join(__dirname, 'dist', 'electron'), '')
         fs.writeFileSync(path.join(__dirname, 'dist', 'version'), 'v${version}')
         fs.writeFileSync(path.join(__dirname, 'path.txt'), 'electron')`
      : `console.error('TypeError: fetch failed\\n    at FetchDownloader.download (x.js:1:1)'); process.exit(1)`
  writeFileSync(path.join(dir, 'install.js'), script)
  return dir
}

function installBinary(dir: string, version = '45.5.0'): void {
  mkdirSync(path.join(dir, 'dist'), { recursive: true })
  writeFileSync(path.join(dir, 'dist', 'electron'), '')
  chmodSync(path.join(dir, 'dist', 'electron'), 0o755)
  writeFileSync(path.join(dir, 'dist', 'version'), `v${version}`)
  writeFileSync(path.join(dir, 'path.txt'), 'electron')
}

describe('electronBinaryStatus', () => {
  it('is missing without path.txt (a fresh npm install of Electron 45)', () => {
    expect(electronBinaryStatus(fakeElectron(), {})).toEqual({
      ok: false,
      reason: 'the binary was never downloaded',
      version: '45.5.0',
    })
  })

  it('finds the binary path.txt names under dist/', () => {
    const dir = fakeElectron()
    installBinary(dir)
    expect(electronBinaryStatus(dir, {})).toEqual({
      ok: true,
      binary: path.join(dir, 'dist', 'electron'),
      version: '45.5.0',
    })
  })

  it('is missing when path.txt names a file that is gone, or dist/ holds another version', () => {
    const gone = fakeElectron()
    writeFileSync(path.join(gone, 'path.txt'), 'electron')
    expect(electronBinaryStatus(gone, {}).ok).toBe(false)
    const old = fakeElectron()
    installBinary(old, '44.0.0')
    expect(electronBinaryStatus(old, {})).toMatchObject({
      ok: false,
      reason: expect.stringContaining('44.0.0'),
    })
  })

  it('takes ELECTRON_EXEC_PATH (electron-vite) when it names a file', () => {
    const dir = fakeElectron()
    const bin = path.join(dir, 'my-electron')
    writeFileSync(bin, '')
    expect(electronBinaryStatus(dir, { ELECTRON_EXEC_PATH: bin })).toMatchObject({ ok: true, binary: bin })
    expect(electronBinaryStatus(dir, { ELECTRON_EXEC_PATH: bin + '-gone' }).ok).toBe(false)
  })
})

describe('ensureElectronBinary', () => {
  it('runs the package install.js when the binary is missing, and finds it afterwards', () => {
    const dir = fakeElectron('works')
    const logged: string[] = []
    const r = ensureElectronBinary(dir, { env: {}, log: (l) => logged.push(l) })
    expect(r).toEqual({ ok: true, binary: path.join(dir, 'dist', 'electron'), downloaded: true })
    expect(logged[0]).toContain('downloading the Electron 45.5.0 binary')
  })

  it('does nothing when the binary is there', () => {
    const dir = fakeElectron('offline')
    installBinary(dir)
    expect(ensureElectronBinary(dir, { env: {} })).toMatchObject({ ok: true, downloaded: false })
  })

  it('says in one line how to install it and that serve works without it when the download fails', () => {
    const r = ensureElectronBinary(fakeElectron('offline'), { env: {} })
    expect(r.ok).toBe(false)
    const line = (r as { line: string }).line
    expect(line.split('\n')).toHaveLength(1)
    expect(line).toContain('Electron 45.5.0 is not installed')
    expect(line).toContain('(TypeError: fetch failed)')
    expect(line).toContain('npx install-electron')
    expect(line).toContain('wsm-curator serve')
  })
})

describe('missingElectronLine and nodeAtLeast', () => {
  it('names the Node version Electron tooling needs only when this one is older', () => {
    expect(missingElectronLine('45.5.0', 'x', '20.20.2')).toContain('Node ≥ 22.12.0; this is Node 20.20.2')
    expect(missingElectronLine('45.5.0', 'x', '22.12.0')).not.toContain('Node ≥')
    expect(nodeAtLeast('22.12.0', '22.12.0')).toBe(true)
    expect(nodeAtLeast('24.1.0', '22.12.0')).toBe(true)
    expect(nodeAtLeast('22.9.9', '22.12.0')).toBe(false)
    expect(nodeAtLeast('20.20.2', '22.12.0')).toBe(false)
  })
})

describe('the Electron-ABI better-sqlite3 build', () => {
  const target = { sqliteVersion: '12.11.1', electronVersion: '45.5.0', platform: 'win32', arch: 'x64' }

  it('keys the build on better-sqlite3, Electron, platform and architecture', () => {
    const key = nativeKey(target)
    expect(key).toBe('better-sqlite3@12.11.1 electron@45.5.0 win32-x64')
    for (const change of [
      { sqliteVersion: '12.12.0' },
      { electronVersion: '45.6.0' },
      { platform: 'darwin' },
      { arch: 'arm64' },
    ])
      expect(nativeKey({ ...target, ...change })).not.toBe(key)
  })

  it('is up to date only with the binding and a stamp holding the same key', () => {
    const dir = temp('wsm-native-')
    const binding = path.join(dir, 'better_sqlite3.node')
    const stamp = path.join(dir, '.wsm-native-key')
    const key = nativeKey(target)
    expect(nativeUpToDate(binding, stamp, key)).toBe(false)
    writeFileSync(binding, '')
    expect(nativeUpToDate(binding, stamp, key)).toBe(false)
    writeFileSync(stamp, key + '\n')
    expect(nativeUpToDate(binding, stamp, key)).toBe(true)
    expect(nativeUpToDate(binding, stamp, nativeKey({ ...target, sqliteVersion: '12.12.0' }))).toBe(false)
  })

  it('copies everything but the package own build/, judged on the relative path', () => {
    // A checkout under a folder named "build" (the old filter tested the absolute path: nothing copied).
    const src = '/home/zoë/build/wsm-curator/node_modules/better-sqlite3'
    const keep = sourceCopyFilter(src, path.posix)
    expect(keep(src)).toBe(true)
    expect(keep(`${src}/package.json`)).toBe(true)
    expect(keep(`${src}/deps/sqlite3/sqlite3.c`)).toBe(true)
    expect(keep(`${src}/src/better_sqlite3.cpp`)).toBe(true)
    expect(keep(`${src}/deps/build/x`)).toBe(true)
    expect(keep(`${src}/build`)).toBe(false)
    expect(keep(`${src}/build/Release/better_sqlite3.node`)).toBe(false)
    const win = 'D:\\build\\app\\node_modules\\better-sqlite3'
    const keepWin = sourceCopyFilter(win, path.win32)
    expect(keepWin(`${win}\\binding.gyp`)).toBe(true)
    expect(keepWin(`${win}\\build\\Release\\x.node`)).toBe(false)
  })

  it('asks prebuild-install for the Electron prebuild, node-gyp for Electron headers', () => {
    expect(prebuildArgs(target)).toEqual([
      '--runtime=electron',
      '--target=45.5.0',
      '--platform=win32',
      '--arch=x64',
    ])
    expect(nodeGypArgs(target)).toEqual(expect.arrayContaining(['--runtime=electron', '--target=45.5.0']))
  })
})

describe('npm run dist helpers', () => {
  it('removes @electron/rebuild markers so the next dist rebuilds for Electron', () => {
    const mod = temp('wsm-sqlite-')
    const [release, debug] = rebuildMarkers(mod)
    expect(release).toBe(path.join(mod, 'build', 'Release', '.forge-meta'))
    expect(debug).toBe(path.join(mod, 'build', 'Debug', '.forge-meta'))
    mkdirSync(path.dirname(release!), { recursive: true })
    writeFileSync(release!, 'linux--x64--140')
    writeFileSync(path.join(mod, 'build', 'Release', 'better_sqlite3.node'), 'binary')
    expect(removeRebuildMarkers(mod)).toEqual([release])
    expect(existsSync(release!)).toBe(false)
    expect(readFileSync(path.join(mod, 'build', 'Release', 'better_sqlite3.node'), 'utf8')).toBe('binary')
    expect(removeRebuildMarkers(mod)).toEqual([])
  })

  it('runs npm without a shell through npm-cli.js, or with one for npm.cmd on Windows', () => {
    const cli = 'C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js'
    expect(
      npmCommand(['rebuild', 'x'], { env: { npm_execpath: cli }, platform: 'win32', execPath: 'node.exe' }),
    ).toEqual({ command: 'node.exe', args: [cli, 'rebuild', 'x'], shell: false })
    expect(npmCommand(['rebuild'], { env: {}, platform: 'win32' })).toEqual({
      command: 'npm.cmd',
      args: ['rebuild'],
      shell: true,
    })
    expect(npmCommand(['rebuild'], { env: {}, platform: 'linux' })).toEqual({
      command: 'npm',
      args: ['rebuild'],
      shell: false,
    })
  })

  it('says what failed: not started, killed, or a non-zero exit', () => {
    expect(spawnFailure('x', { error: new Error('spawn EINVAL'), signal: null, status: null })).toBe(
      'x: could not start (spawn EINVAL)',
    )
    expect(spawnFailure('x', { error: undefined, signal: 'SIGTERM', status: null })).toBe(
      'x: killed by SIGTERM',
    )
    expect(spawnFailure('x', { error: undefined, signal: null, status: 2 })).toBe('x: exited with code 2')
    expect(spawnFailure('x', { error: undefined, signal: null, status: 0 })).toBeNull()
  })
})

describe('noDisplayReason', () => {
  it('asks for a display on Linux only', () => {
    expect(noDisplayReason('linux', {})).toContain('xvfb-run')
    expect(noDisplayReason('linux', { DISPLAY: ':99' })).toBeNull()
    expect(noDisplayReason('linux', { WAYLAND_DISPLAY: 'wayland-0' })).toBeNull()
    expect(noDisplayReason('win32', {})).toBeNull()
    expect(noDisplayReason('darwin', {})).toBeNull()
  })
})
