/**
 * Fingerprints of the source files, so the statistics scan and the triage pass can skip pairs they
 * have already analysed and that have not changed since:
 * - a mask in a folder: `f:<size>:<mtimeMs>` (one stat per file);
 * - a zip entry: `z:<crc32>:<size>` from the central directory (free: the dataset already holds it;
 *   the CRC identifies the content better than the entry's 2-second DOS time).
 */
import { promises as fsp } from 'node:fs'
import type { Dataset } from '../dataset'

const STAT_CONCURRENCY = 32

/** Fingerprint of each index's mask (null when the file cannot be examined: it is then scanned). */
export function maskFingerprints(
  dataset: Dataset,
  indices: readonly number[],
): Promise<Map<number, string | null>> {
  return sourceFingerprints(dataset, indices, 'mask')
}

/** Fingerprint per dataset index of its mask or image file (null when the file cannot be examined). */
export async function sourceFingerprints(
  dataset: Dataset,
  indices: readonly number[],
  which: 'mask' | 'image',
): Promise<Map<number, string | null>> {
  const out = new Map<number, string | null>()
  const folder: [number, string][] = []
  for (const i of indices) {
    const loc = dataset.locate(i)[which]
    if (loc.kind === 'zip') out.set(i, `z:${loc.entry.crc32 >>> 0}:${loc.entry.uncompressedSize}`)
    else folder.push([i, loc.path])
  }
  let next = 0
  const worker = async () => {
    while (next < folder.length) {
      const [i, file] = folder[next++]
      try {
        const s = await fsp.stat(file)
        out.set(i, `f:${s.size}:${s.mtimeMs}`)
      } catch {
        out.set(i, null)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, folder.length) }, worker))
  return out
}
