/**
 * Export benchmark: WSM_BENCH_EXPORT_N pairs (default 5,000), all accepted and scanned, exported
 * with the default wsm profile to a folder and to a zip, against a plain copy of the same bytes in
 * the same run (target ≥ 0.7× its throughput):
 *
 * - copy: each image file copied (fs.copyFile) and each mask's bytes read from the masks zip and
 *   written to a file, 8 at a time (like the export), no hashing, no manifest;
 * - copy+fsync: the same, each file flushed to the disk (fsync), as a folder export does before its
 *   rename: the folder export's floor;
 * - concatenation: the same bytes read (images with fs.readFile, masks from the zip) and written
 *   into ONE file, flushed once, as a zip is: the zip export's floor.
 * Each metric's note also gives its ratio to the other two.
 *
 * Rounds (WSM_BENCH_EXPORT_ROUNDS, default 3) interleave the five runs; medians are reported.
 *
 * The workspace is built quickly: a few demo pairs (1022×767 to 1504×1129) repeated under different
 * ids, images as hard links, masks as deflated entries of one zip (like the ISIC_WSM release).
 */
import { constants as fsConstants, promises as fsp } from 'node:fs'
import path from 'node:path'
import { DEMO_PAIRS, generateDemoDataset, type DemoPairSpec } from '../electron/services/demo/demoDataset'
import { runExport } from '../electron/services/export'
import { Workspace } from '../electron/services/workspace/workspace'
import { ZipReader } from '../electron/services/zip/zipReader'
import { ZipWriter, prepareEntry } from '../electron/services/zip/zipWriter'
import type { Metric } from './index'

const CONCURRENCY = 8

function idOf(i: number): string {
  return `ISIC_${String(i).padStart(7, '0')}`
}

export interface RepeatedSources {
  masks: string
  images: string
  ids: string[]
}

/**
 * Sources of `n` pairs made from a few distinct demo pairs repeated under different ids: the images
 * as hard links (copies where links are not possible), the masks as deflated entries of one zip.
 */
export async function makeRepeatedSources(
  dir: string,
  n: number,
  pairs: readonly DemoPairSpec[] = DEMO_PAIRS.slice(3, 7),
): Promise<RepeatedSources> {
  const demo = await generateDemoDataset(path.join(dir, 'demo'), { pairs })
  const zip = await ZipReader.open(demo.masksZip)
  const maskBytes: Buffer[] = []
  try {
    for (const id of demo.ids) maskBytes.push(await zip.read(zip.getEntry(`ISIC_WSM_labels/${id}.png`)!))
  } finally {
    await zip.close()
  }
  const prepared = maskBytes.map((b) => prepareEntry(b))
  const images = path.join(dir, 'images')
  await fsp.mkdir(images, { recursive: true })
  const masks = path.join(dir, 'ISIC_WSM_labels.zip')
  const writer = await ZipWriter.create(masks)
  const ids = Array.from({ length: n }, (_, i) => idOf(1_000_000 + i))
  for (let i = 0; i < n; i++) {
    const k = i % demo.ids.length
    const from = path.join(demo.imagesDir, `${demo.ids[k]}.jpg`)
    const to = path.join(images, `${ids[i]}.jpg`)
    await fsp.link(from, to).catch(() => fsp.copyFile(from, to))
    await writer.addPrepared(`ISIC_WSM_labels/${ids[i]}.png`, prepared[k])
  }
  await writer.close()
  // Backdated, like a dataset on disk for a while (the listing cache does not trust fresh folders).
  const past = new Date(Date.now() - 3600_000)
  await fsp.utimes(images, past, past)
  return { masks, images, ids }
}

async function writeFile(file: string, bytes: Uint8Array, sync: boolean): Promise<void> {
  const fh = await fsp.open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644)
  try {
    await fh.writeFile(bytes)
    if (sync) await fh.sync()
  } finally {
    await fh.close()
  }
}

/** A floor: the same image and mask bytes copied to a folder, CONCURRENCY pairs at a time. */
async function plainCopy(src: RepeatedSources, out: string, sync: boolean): Promise<number> {
  await fsp.mkdir(path.join(out, 'images'), { recursive: true })
  await fsp.mkdir(path.join(out, 'masks'))
  const zip = await ZipReader.open(src.masks)
  let bytes = 0
  let next = 0
  try {
    const worker = async () => {
      while (next < src.ids.length) {
        const id = src.ids[next++]
        const image = path.join(out, 'images', `${id}.jpg`)
        await fsp.copyFile(path.join(src.images, `${id}.jpg`), image, fsConstants.COPYFILE_EXCL)
        if (sync) {
          const fh = await fsp.open(image, 'r+')
          await fh.sync()
          await fh.close()
        }
        const mask = await zip.read(zip.getEntry(`ISIC_WSM_labels/${id}.png`)!)
        await writeFile(path.join(out, 'masks', `${id}.png`), mask, sync)
        const size = (await fsp.stat(image)).size
        bytes += size + mask.length
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  } finally {
    await zip.close()
  }
  return bytes
}

/** The zip's floor: the same bytes read and appended to ONE file (as a zip is), flushed once. */
async function plainConcat(src: RepeatedSources, out: string): Promise<number> {
  const zip = await ZipReader.open(src.masks)
  const fh = await fsp.open(out, 'wx')
  let offset = 0
  let next = 0
  try {
    const put = async (b: Buffer) => {
      const at = offset
      offset += b.length
      await fh.write(b, 0, b.length, at)
    }
    const worker = async () => {
      while (next < src.ids.length) {
        const id = src.ids[next++]
        await put(await fsp.readFile(path.join(src.images, `${id}.jpg`)))
        await put(await zip.read(zip.getEntry(`ISIC_WSM_labels/${id}.png`)!))
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    await fh.sync()
  } finally {
    await fh.close()
    await zip.close()
  }
  return offset
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t = performance.now()
  const value = await fn()
  return { value, seconds: (performance.now() - t) / 1000 }
}

export async function benchExport(
  work: string,
  log: (line: string) => void = () => undefined,
): Promise<Metric[]> {
  const n = Math.max(20, Number(process.env.WSM_BENCH_EXPORT_N ?? 5000) || 5000)
  const base = path.join(work, 'export-bench')
  const setup = await timed(async () => {
    const src = await makeRepeatedSources(path.join(base, 'src'), n)
    const ws = await Workspace.create(path.join(base, 'ws'), {
      masks: src.masks,
      images: [src.images],
      curator: 'bench',
    })
    await ws.startStatsScan()
    await ws.setStatuses(src.ids, 'accepted')
    return { src, ws }
  })
  const { src, ws } = setup.value
  log(`export bench: ${n} pairs built and scanned in ${setup.seconds.toFixed(1)} s`)
  const metrics: Metric[] = []
  const rounds = Math.max(1, Number(process.env.WSM_BENCH_EXPORT_ROUNDS ?? 3) || 3)
  try {
    const out = path.join(base, 'out')
    // Interleaved rounds, medians: the machine's disk and cores are shared and noisy.
    const times: Record<'copy' | 'copySync' | 'concat' | 'folder' | 'zip', number[]> = {
      copy: [],
      copySync: [],
      concat: [],
      folder: [],
      zip: [],
    }
    let bytes = 0
    for (let r = 0; r < rounds; r++) {
      const copy = await timed(() => plainCopy(src, path.join(out, 'copy'), false))
      bytes = copy.value
      times.copy.push(copy.seconds)
      await fsp.rm(path.join(out, 'copy'), { recursive: true, force: true })
      const copySync = await timed(() => plainCopy(src, path.join(out, 'copy-sync'), true))
      times.copySync.push(copySync.seconds)
      await fsp.rm(path.join(out, 'copy-sync'), { recursive: true, force: true })
      const concat = await timed(() => plainConcat(src, path.join(out, 'concat.bin')))
      if (concat.value !== bytes) throw new Error(`concatenated ${concat.value} bytes, copied ${bytes}`)
      times.concat.push(concat.seconds)
      await fsp.rm(path.join(out, 'concat.bin'), { force: true })
      for (const kind of ['folder', 'zip'] as const) {
        const target = path.join(out, kind === 'zip' ? 'export.zip' : 'export')
        const run = await timed(() => runExport(ws, { out: target }))
        const s = run.value
        if (s.exported !== n) throw new Error(`exported ${s.exported} of ${n} pairs`)
        if (s.imageBytes + s.maskBytes !== bytes)
          throw new Error(`exported ${s.imageBytes + s.maskBytes} bytes, the copy ${bytes}`)
        times[kind].push(run.seconds)
        await fsp.rm(target, { recursive: true, force: true })
      }
      log(
        `export bench round ${r + 1}/${rounds}: ` +
          Object.entries(times)
            .map(([k, v]) => `${k} ${v[r].toFixed(2)} s`)
            .join(', '),
      )
    }
    const mb = bytes / 1e6
    const rate = (k: keyof typeof times) => mb / median(times[k])
    // A folder export writes and flushes every file (as copy+fsync does); a zip is one file written
    // in order and flushed once (as the concatenation is). Each note gives the ratio to the plain copy too.
    const floors = { folder: 'copySync', zip: 'concat' } as const
    const names = { copy: 'a copy', copySync: 'a copy with fsync per file', concat: 'the concatenation' }
    for (const kind of ['folder', 'zip'] as const) {
      const floor = floors[kind]
      const others = (['copy', 'copySync', 'concat'] as const).filter((k) => k !== floor)
      metrics.push({
        name: `export_${kind}_mb_per_s`,
        value: rate(kind),
        unit: 'MB/s',
        floor: rate(floor),
        ratio: rate(kind) / rate(floor),
        note:
          `${n} pairs (${mb.toFixed(0)} MB of images + masks), wsm profile, median of ${rounds}; floor = ` +
          `${names[floor]} of the same bytes; ` +
          others
            .map((k) => `${(rate(kind) / rate(k)).toFixed(2)}× ${names[k]} (${rate(k).toFixed(0)} MB/s)`)
            .join(', ') +
          '. Higher is better; target ≥ 0.7',
      })
    }
  } finally {
    await ws.close()
    await fsp.rm(base, { recursive: true, force: true })
  }
  return metrics
}
