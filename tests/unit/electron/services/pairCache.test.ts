import { describe, expect, it } from 'vitest'
import { ByteLru } from '../../../../electron/services/pairCache'

const sized = (n: number) => new Uint8Array(n)

describe('ByteLru', () => {
  it('evicts least recently used entries to stay within the byte limit', async () => {
    const c = new ByteLru<string, Uint8Array>(100, (v) => v.length)
    await c.getOrLoad('a', async () => sized(40))
    await c.getOrLoad('b', async () => sized(40))
    expect(c.bytes).toBe(80)
    await c.get('a') // a is now the most recent
    await c.getOrLoad('c', async () => sized(40))
    expect(c.keys()).toEqual(['a', 'c'])
    expect(c.bytes).toBe(80)
    // One large value pushes out everything else but itself.
    await c.getOrLoad('d', async () => sized(100))
    expect(c.keys()).toEqual(['d'])
    expect(c.bytes).toBe(100)
  })

  it('shares loads in flight, drops failures, never keeps a value over the limit', async () => {
    const c = new ByteLru<number, Uint8Array>(50, (v) => v.length)
    let loads = 0
    const load = async () => {
      loads++
      return sized(10)
    }
    const [x, y] = await Promise.all([c.getOrLoad(1, load), c.getOrLoad(1, load)])
    expect(x).toBe(y)
    expect(loads).toBe(1)
    await expect(c.getOrLoad(2, () => Promise.reject(new Error('no')))).rejects.toThrow('no')
    expect(c.has(2)).toBe(false)
    expect((await c.getOrLoad(3, async () => sized(51))).length).toBe(51)
    expect(c.has(3)).toBe(false)
    expect(c.bytes).toBe(10)
    c.delete(1)
    expect(c.bytes).toBe(0)
  })

  it('does not count or evict loads in flight', async () => {
    const c = new ByteLru<number, Uint8Array>(20, (v) => v.length)
    let release!: (v: Uint8Array) => void
    const pending = c.getOrLoad(1, () => new Promise((r) => (release = r)))
    await c.getOrLoad(2, async () => sized(15))
    await c.getOrLoad(3, async () => sized(15))
    expect(c.keys()).toEqual([1, 3])
    release(sized(5))
    await pending
    expect(c.bytes).toBe(20)
    c.clear()
    expect(c.keys()).toEqual([])
  })
})
