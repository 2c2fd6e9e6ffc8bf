/**
 * Data the benchmarks build: stored zips of given entries, and workspaces of N pairs with tiny
 * masks and images (for the benchmarks where only the number of rows matters).
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import yazl from 'yazl'
import { Workspace } from '../electron/services/workspace/workspace'

/** Writes a zip of `entries`, stored (no compression), to `file`. */
export function zipOf(entries: { name: string; bytes: Buffer }[], file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile()
    const chunks: Buffer[] = []
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c))
    zip.outputStream.on('error', reject)
    zip.outputStream.on('end', () => fsp.writeFile(file, Buffer.concat(chunks)).then(resolve, reject))
    for (const e of entries) zip.addBuffer(e.bytes, e.name, { compress: false })
    zip.end()
  })
}

/**
 * A workspace folder `<base>/<name>` over a masks zip and an images zip of the given ids, every
 * pair the same tiny mask (`png`, `size`×`size`) and a plain JPEG of that size. Returns the folder
 * and the two zips; the workspace is created and closed (callers write statistics straight into its database).
 */
export async function tinyWorkspace(
  base: string,
  name: string,
  ids: readonly string[],
  png: Buffer,
  size: number,
): Promise<{ dir: string; masks: string; images: string }> {
  const jpeg = await sharp({ create: { width: size, height: size, channels: 3, background: '#c89678' } })
    .jpeg()
    .toBuffer()
  const masks = path.join(base, `${name}-masks.zip`)
  const images = path.join(base, `${name}-images.zip`)
  await zipOf(
    ids.map((id) => ({ name: `ISIC_WSM_labels/${id}.png`, bytes: png })),
    masks,
  )
  await zipOf(
    ids.map((id) => ({ name: `images/${id}.jpg`, bytes: jpeg })),
    images,
  )
  const dir = path.join(base, name)
  await (await Workspace.create(dir, { masks, images: [images], curator: 'bench' })).close()
  return { dir, masks, images }
}

/** The median of `values` (the upper one of the middle two for an even count). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
}

/**
 * Runs `kinds` against each other: `rounds` rounds after one warm-up round (not recorded), each
 * running every kind once in an order rotated every round, so that load changes and the garbage of
 * the previous call fall on all kinds alike. `before` (untimed) runs before each call when given.
 * Per kind, the wall time (ms) of each round and its CPU time (ms, user + system of the whole
 * process, all threads: robust to the machine's load), in round order.
 */
export async function alternateRounds(
  kinds: (() => Promise<unknown>)[],
  rounds: number,
  before?: () => Promise<unknown>,
): Promise<{ wall: number[][]; cpu: number[][] }> {
  const wall: number[][] = kinds.map(() => [])
  const cpu: number[][] = kinds.map(() => [])
  for (let r = -1; r < rounds; r++) {
    for (let j = 0; j < kinds.length; j++) {
      const k = (j + Math.max(0, r)) % kinds.length
      if (before) await before()
      const c = process.cpuUsage()
      const t = performance.now()
      await kinds[k]()
      const elapsed = performance.now() - t
      const used = process.cpuUsage(c)
      if (r >= 0) {
        wall[k].push(elapsed)
        cpu[k].push((used.user + used.system) / 1000)
      }
    }
  }
  return { wall, cpu }
}
