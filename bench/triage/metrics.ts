/** Ranking metrics for the triage evaluation. */

/**
 * ROC AUC by the Mann–Whitney U statistic: the probability that a random positive scores above a
 * random negative, ties counting one half (average ranks). NaN when either side is empty.
 */
export function rocAuc(positives: readonly number[], negatives: readonly number[]): number {
  const np = positives.length
  const nn = negatives.length
  if (np === 0 || nn === 0) return NaN
  const all = [...positives.map((v) => ({ v, p: 1 })), ...negatives.map((v) => ({ v, p: 0 }))]
  all.sort((a, b) => a.v - b.v)
  let rankSum = 0
  for (let i = 0; i < all.length;) {
    let j = i
    while (j < all.length && all[j].v === all[i].v) j++
    // Ranks i+1 … j share their average.
    const avg = (i + 1 + j) / 2
    for (let k = i; k < j; k++) if (all[k].p) rankSum += avg
    i = j
  }
  return (rankSum - (np * (np + 1)) / 2) / (np * nn)
}

/**
 * Share of positives among the top `fraction` of items by score (at least one item). Ties at the
 * cut are broken against the positives (worst case), so a constant score gets the base rate or less.
 */
export function precisionAtTop(
  items: ReadonlyArray<{ score: number; positive: boolean }>,
  fraction: number,
): number {
  if (items.length === 0) return NaN
  const k = Math.max(1, Math.round(items.length * fraction))
  const sorted = [...items].sort((a, b) => b.score - a.score || Number(a.positive) - Number(b.positive))
  let hits = 0
  for (let i = 0; i < k; i++) if (sorted[i].positive) hits++
  return hits / k
}
