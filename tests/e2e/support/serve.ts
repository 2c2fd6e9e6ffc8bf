import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface ServeProcess {
  url: string
  origin: string
  token: string
  demoDir: string
  child: ChildProcess
  stop(): Promise<void>
}

/** A shared demo folder for the e2e run, so the demo is generated once. */
export const E2E_DEMO_DIR = process.env.WSM_E2E_DEMO_DIR ?? path.join(os.tmpdir(), 'wsm-curator-e2e-demo')

/**
 * Starts `wsm-curator serve` exactly as a user would (the package's bin), reads the URL it prints,
 * and stops it with SIGINT like Ctrl-C.
 */
export async function startServe(
  args: string[] = ['--demo'],
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['bin/wsm-curator.js', 'serve', ...args], {
    cwd: path.resolve(import.meta.dirname, '../../..'),
    env: { ...process.env, WSM_CURATOR_DEMO_DIR: E2E_DEMO_DIR, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve did not print a URL in time:\n${out}\n${err}`)),
      120_000,
    )
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[0])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code}:\n${out}\n${err}`))
    })
  })
  const parsed = new URL(url)
  return {
    url,
    origin: parsed.origin,
    token: new URLSearchParams(parsed.hash.slice(1)).get('token') ?? '',
    demoDir: E2E_DEMO_DIR,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGINT')
      }),
  }
}

/** A temp folder for one test. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix))
}
