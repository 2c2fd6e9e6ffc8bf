/**
 * The evaluation samples: per dev image, several right weak maps and several corrupted ones of each
 * kind (different seeds), and band-free maps of both (what a curator's correction, a resolved map
 * or a converted challenge mask looks like: no uncertain pixel left), each measured by the triage
 * score's own code.
 */
import { resolveNearestLabel } from '../../shared/labels/assist/baselines'
import { LABEL_UNCERTAIN, type LabelMap } from '../../shared/labels/codes'
import { measurePair } from '../../shared/labels/triage/score'
import type { TriageImage } from '../../shared/labels/triage/types'
import type { DevPair } from './devSet'
import { CORRUPTIONS, corruptPair, rngFrom, weakMap, type Corruption } from './weakMaps'

/**
 * How a sample's map was made: a weak map (with its uncertain band), the true mask itself, or a
 * weak map whose uncertain pixels took their nearest certain label (assist/baselines.ts). The last
 * two hold no uncertain pixel.
 */
export type SampleForm = 'weak' | 'truth' | 'resolved'

export interface Sample {
  /** Index of the dev image (folds are by image). */
  image: number
  kind: 'clean' | Corruption
  /** Absent: 'weak'. */
  form?: SampleForm
  /** Evidence values (score.ts EVIDENCE): mask evidence is the same with or without the image. */
  evidence: Record<string, number>
  /** The baseline: uncertain pixels / all pixels. */
  uncertainFraction: number
  /** Raw measures, for analysis. */
  raw: Record<string, number>
}

export interface SampleOptions {
  /** Right weak maps per image. */
  clean: number
  /** Corrupted maps per image and kind. */
  perKind: number
  seed: number
  kinds?: readonly Corruption[]
  /**
   * Band-free maps: per image the true mask itself and `resolvedClean` right weak maps resolved by
   * nearest label (the first ones of `clean`), and each corrupted map resolved the same way.
   */
  bandFree?: { resolvedClean: number }
}

export const DEFAULT_SAMPLES: SampleOptions = {
  clean: 40,
  perKind: 2,
  seed: 13,
  bandFree: { resolvedClean: 19 },
}

/** Whether a sample's map holds no uncertain band. */
export const isBandFree = (s: Sample): boolean => (s.form ?? 'weak') !== 'weak'

function sampleOf(
  index: number,
  kind: Sample['kind'],
  form: SampleForm,
  map: LabelMap,
  image: TriageImage,
): Sample {
  const m = measurePair(map, image)
  let u = 0
  for (let i = 0; i < map.data.length; i++) if (map.data[i] === LABEL_UNCERTAIN) u++
  const raw: Record<string, number> = {}
  for (const [k, v] of Object.entries(m.mask)) if (typeof v === 'number') raw[k] = v
  if (m.image) for (const [k, v] of Object.entries(m.image)) if (typeof v === 'number') raw[k] = v
  const s: Sample = { image: index, kind, evidence: m.evidence, uncertainFraction: u / map.data.length, raw }
  if (form !== 'weak') s.form = form
  return s
}

const resolved = (map: LabelMap): LabelMap => ({ ...map, data: resolveNearestLabel(map) })

export function buildSamples(pairs: DevPair[], opts: SampleOptions = DEFAULT_SAMPLES): Sample[] {
  const kinds = opts.kinds ?? CORRUPTIONS
  const out: Sample[] = []
  pairs.forEach((pair, index) => {
    const others = pairs.filter((_, j) => j !== index).map((p) => p.truth)
    const jobs: Array<'clean' | Corruption> = [
      ...Array.from({ length: opts.clean }, () => 'clean' as const),
      ...kinds.flatMap((k) => Array.from({ length: opts.perKind }, () => k)),
    ]
    if (opts.bandFree) out.push(sampleOf(index, 'clean', 'truth', { ...pair.truth }, pair.image))
    jobs.forEach((kind, d) => {
      const rng = rngFrom((opts.seed * 1_000_003 + index * 7919 + d * 104_729) >>> 0)
      const { map, image } =
        kind === 'clean'
          ? { map: weakMap(pair.truth, rng), image: pair.image }
          : corruptPair(kind, pair.truth, pair.image, others, rng)
      out.push(sampleOf(index, kind, 'weak', map, image))
      if (opts.bandFree && (kind !== 'clean' || d < opts.bandFree.resolvedClean))
        out.push(sampleOf(index, kind, 'resolved', resolved(map), image))
    })
  })
  return out
}
