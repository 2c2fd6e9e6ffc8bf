import { describe, expect, it } from 'vitest'
import {
  countTransitions,
  maskStats,
  maskStatsWithRuns,
  transitionsBetweenRuns,
} from '../../../../../electron/services/mask/maskStats'
import { randomMap, wsmMap } from '../../../../support/datasetFixtures'

/** Reference: the transitions of a byte loop, as the list countTransitions gives. */
function byteLoop(before: Uint8Array, after: Uint8Array) {
  const counts = new Map<string, number>()
  for (let i = 0; i < before.length; i++) {
    if (before[i] === after[i]) continue
    const key = `${before[i]}>${after[i]}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts]
    .map(([key, pixels]) => {
      const [from, to] = key.split('>').map(Number)
      return { from, to, pixels }
    })
    .sort((p, q) => q.pixels - p.pixels || p.from - q.from || p.to - q.to)
}

describe('transitions', () => {
  it('countTransitions (a word at a time) and transitionsBetweenRuns equal a byte loop', () => {
    for (const [w, h] of [
      [1, 1],
      [3, 5],
      [41, 17],
      [256, 130],
    ]) {
      const maps = [
        randomMap(w, h, 1),
        randomMap(w, h, 2, [0, 0, 0, 0, 0, 1, 255]),
        wsmMap(w, h, 3),
        { width: w, height: h, data: new Uint8Array(w * h) },
      ]
      // A corrected version of the weak map: most words equal, a few strokes changed.
      const fixed = maps[2].data.slice()
      for (let i = 0; i < fixed.length; i += 97) fixed.fill(i % 2 === 0 ? 1 : 0, i, i + 5)
      maps.push({ width: w, height: h, data: fixed })
      for (const a of maps) {
        for (const b of maps) {
          const want = byteLoop(a.data, b.data)
          expect(countTransitions(a.data, b.data)).toEqual(want)
          expect(transitionsBetweenRuns(maskStatsWithRuns(a).runs, maskStatsWithRuns(b).runs)).toEqual(want)
        }
      }
    }
  })

  it('countTransitions at unaligned offsets equals the aligned result', () => {
    const a = randomMap(63, 9, 5)
    const b = randomMap(63, 9, 6)
    const backing = new Uint8Array(a.data.length + 3)
    backing.set(a.data, 3)
    expect(countTransitions(backing.subarray(3), b.data)).toEqual(byteLoop(a.data, b.data))
  })

  it('maskStatsWithRuns gives maskStats', () => {
    const map = wsmMap(90, 70, 4)
    expect(maskStatsWithRuns(map).stats).toEqual(maskStats(map))
  })
})
