/**
 * Which first decisions go to blind second review: a seeded, reproducible random draw per pair.
 *
 * A pair is sampled when u(seed, pair) < share, where u is the first 53 bits of
 * SHA-256(seed ‖ NUL ‖ pair id) read as a fraction of 2^53 — uniform on [0, 1) for any pair id,
 * independent from pair to pair. The draw depends only on the team's seed (its random id, made by
 * `team init`) and the pair, never on push order, batch position or how many pairs the curator
 * decided before: a curator cannot tell from their own work which decisions will be checked, and
 * every program (each curator's sync, a re-push after a crash) computes the same answer, so the
 * sample is the same whoever pushes first. Over n decided pairs the sampled count is
 * Binomial(n, share): its share tends to `share` (± ~2·sqrt(share(1 − share)/n)).
 * share 0 samples nothing and share 1 everything.
 */
import { createHash } from 'node:crypto'

const TWO_53 = 2 ** 53

/** The pair's draw in [0, 1) for this seed. */
export function sampleDraw(seed: string, pairId: string): number {
  const h = createHash('sha256').update(seed).update('\0').update(pairId).digest()
  // 53 bits: the 32 of the first word and the top 21 of the second.
  return (h.readUInt32BE(0) * 2 ** 21 + (h.readUInt32BE(4) >>> 11)) / TWO_53
}

/** True when the pair's first decision goes to blind second review. */
export function sampledForSecondReview(seed: string, pairId: string, share: number): boolean {
  return sampleDraw(seed, pairId) < share
}
