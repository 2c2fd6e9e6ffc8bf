import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ZipReader } from '../../../electron/services/zip/zipReader'
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

/**
 * A copy of the demo dataset as two folders (masks/ with the zip's entries, images/) in a fresh temp
 * folder, for a spec to change a few files of.
 */
export async function demoAsFolders(prefix: string): Promise<{ dir: string; masks: string; images: string }> {
  const dir = tempDir(prefix)
  const masks = path.join(dir, 'masks')
  const images = path.join(dir, 'images')
  mkdirSync(masks)
  const demo = demoSources()
  cpSync(demo.images, images, { recursive: true })
  const zip = await ZipReader.open(demo.masks)
  try {
    for (const e of zip.entries) writeFileSync(path.join(masks, path.basename(e.name)), await zip.read(e))
  } finally {
    await zip.close()
  }
  return { dir, masks, images }
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
