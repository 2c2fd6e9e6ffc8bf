import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnServe, type ServeChild } from '../../support/serveProcess'

export const ROOT = path.resolve(import.meta.dirname, '../../..')
const BIN = path.join(ROOT, 'bin/wsm-curator.js')

/** A shared demo dataset for the e2e run, generated once (sources are read-only, so sharing is safe). */
export const E2E_DEMO_DIR = process.env.WSM_E2E_DEMO_DIR ?? path.join(os.tmpdir(), 'wsm-curator-e2e-demo')

export interface ServeProcess extends ServeChild {
  workspace: string
}

/** Runs the CLI as a user would (the package's bin) and returns its stdout; throws on a non-zero exit. */
export function cli(...args: string[]): string {
  return execFileSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' })
}

/** The demo dataset's sources, generating them on first use. */
export function demoSources(): { masks: string; images: string } {
  const masks = path.join(E2E_DEMO_DIR, 'ISIC_WSM_labels.zip')
  const images = path.join(E2E_DEMO_DIR, 'images')
  if (!existsSync(masks)) cli('demo', E2E_DEMO_DIR)
  return { masks, images }
}

/** A new workspace over the demo dataset, in a fresh temp folder: every spec starts from scratch. */
export function freshWorkspace(curator = 'e2e'): string {
  const { masks, images } = demoSources()
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'wsm-e2e-ws-')), 'workspace')
  cli('init', dir, '--masks', masks, '--images', images, '--curator', curator)
  return dir
}

/**
 * Starts `wsm-curator serve --workspace <dir>` exactly as a user would, reads the URL it prints, and
 * stops it with SIGINT like Ctrl-C.
 */
export async function startServe(workspace = freshWorkspace(), extra: string[] = []): Promise<ServeProcess> {
  return { ...(await spawnServe(BIN, ROOT, ['--workspace', workspace, ...extra])), workspace }
}

/** A temp folder for one test. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix))
}
