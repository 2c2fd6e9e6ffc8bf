import { describe, expect, it } from 'vitest'
import { HistoryCache } from '../../../../renderer/src/editor/historyCache'

describe('HistoryCache', () => {
  it('gives a pair back its own history when it is opened again', () => {
    const cache = new HistoryCache()
    const a = cache.historyFor('ISIC_1')
    const b = cache.historyFor('ISIC_2')
    expect(a).not.toBe(b)
    expect(cache.historyFor('ISIC_1')).toBe(a)
  })

  it('drops the least recently opened pair first beyond its size', () => {
    const cache = new HistoryCache(2)
    const one = cache.historyFor('ISIC_1')
    cache.historyFor('ISIC_2')
    cache.historyFor('ISIC_1') // now the most recent
    cache.historyFor('ISIC_3')
    expect(cache.size).toBe(2)
    expect(cache.has('ISIC_2')).toBe(false)
    expect(cache.historyFor('ISIC_1')).toBe(one)
  })

  it('forgets every history for another workspace', () => {
    const cache = new HistoryCache()
    const one = cache.historyFor('ISIC_1')
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.historyFor('ISIC_1')).not.toBe(one)
  })
})
