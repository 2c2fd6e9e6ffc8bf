/**
 * The evaluation samples: per dev image, several right weak maps and several corrupted ones of each
 * kind (different seeds), each measured by the triage score's own code.
 */
import { LABEL_UNCERTAIN } from '../../shared/labels/codes'
import { measurePair } from '../../shared/labels/triage/score'
import type { DevPair } from './devSet'
import { CORRUPTIONS, corruptPair, rngFrom, weakMap, type Corruption } from './weakMaps'

export interface Sample {
  /** Index of the dev image (folds are by image). */
  image: number
  kind: 'clean' | Corruption
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
}

export const DEFAULT_SAMPLES: SampleOptions = { clean: 40, perKind: 2, seed: 13 }

export function buildSamples(pairs: DevPair[], opts: SampleOptions = DEFAULT_SAMPLES): Sample[] {
  const kinds = opts.kinds ?? CORRUPTIONS
  const out: Sample[] = []
  pairs.forEach((pair, index) => {
    const others = pairs.filter((_, j) => j !== index).map((p) => p.truth)
    const jobs: Array<'clean' | Corruption> = [
      ...Array.from({ length: opts.clean }, () => 'clean' as const),
      ...kinds.flatMap((k) => Array.from({ length: opts.perKind }, () => k)),
    ]
    jobs.forEach((kind, d) => {
      const rng = rngFrom((opts.seed * 1_000_003 + index * 7919 + d * 104_729) >>> 0)
      const { map, image } =
        kind === 'clean'
          ? { map: weakMap(pair.truth, rng), image: pair.image }
          : corruptPair(kind, pair.truth, pair.image, others, rng)
      const m = measurePair(map, image)
      let u = 0
      for (let i = 0; i < map.data.length; i++) if (map.data[i] === LABEL_UNCERTAIN) u++
      const raw: Record<string, number> = {}
      for (const [k, v] of Object.entries(m.mask)) if (typeof v === 'number') raw[k] = v
      if (m.image) for (const [k, v] of Object.entries(m.image)) if (typeof v === 'number') raw[k] = v
      out.push({ image: index, kind, evidence: m.evidence, uncertainFraction: u / map.data.length, raw })
    })
  })
  return out
}
