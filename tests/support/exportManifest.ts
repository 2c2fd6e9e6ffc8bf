/** Comparing exports: shared by the team-export test and the team bench. */
import type { ManifestJson } from '../../electron/services/export/format'

/**
 * What two exports of the same decisions must agree on, per pair of a parsed manifest.json (not the
 * review time nor the source paths): id, status, curator, pixel counts, image and mask hashes, the
 * mask's origin and how it was written.
 */
export function comparableRows(manifest: Pick<ManifestJson, 'pairs'>): unknown[][] {
  return manifest.pairs.map((p) => [
    p.id,
    p.status,
    p.curator,
    p.pixels,
    p.image.sha256,
    p.mask.sha256,
    p.mask.origin,
    p.mask.written,
  ])
}
