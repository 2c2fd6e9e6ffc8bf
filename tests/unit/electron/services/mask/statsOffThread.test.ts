import { describe, expect, it } from 'vitest'
import { CodedError } from '../../../../../shared/api/errors'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { maskStats } from '../../../../../electron/services/mask/maskStats'
import { maskStatsOffThread } from '../../../../../electron/services/mask/statsOffThread'
import { challengeMap, randomMap, wsmMap } from '../../../../support/datasetFixtures'

function thrown(fn: () => unknown): CodedError {
  try {
    fn()
  } catch (err) {
    return err as CodedError
  }
  throw new Error('expected an error')
}

describe('maskStatsOffThread', () => {
  it('gives what maskStats gives, for maps of every kind, several at once', async () => {
    const maps: LabelMap[] = [
      wsmMap(320, 240, 3),
      challengeMap(200, 150),
      randomMap(97, 41, 5),
      { width: 3, height: 1, data: Uint8Array.of(0, 0, 0) },
    ]
    const stats = await Promise.all(maps.map((m) => maskStatsOffThread(m, 'x.png')))
    expect(stats).toEqual(maps.map((m) => maskStats(m, 'x.png')))
    // The labels were copied to the worker: the caller's map is intact.
    expect(maps[3].data).toEqual(Uint8Array.of(0, 0, 0))
  })

  it('refuses values outside {0, 1, 255} with the same coded error as maskStats', async () => {
    const bad: LabelMap = { width: 4, height: 2, data: Uint8Array.of(0, 1, 255, 7, 0, 0, 9, 1) }
    const expected = thrown(() => maskStats(bad, 'bad.png'))
    const err = await maskStatsOffThread(bad, 'bad.png').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(CodedError)
    expect((err as CodedError).code).toBe('mask-values')
    expect((err as CodedError).message).toBe(expected.message)
    expect((err as CodedError).file).toBe('bad.png')
  })
})
