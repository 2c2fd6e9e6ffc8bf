import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BufferPool, SpareBuffer } from '../../../../../electron/services/fs/bufferPool'
import { readFileChecked } from '../../../../../electron/services/sources/fileSource'

let dir: string
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-bufferpool-'))
})
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true })
})

describe('BufferPool', () => {
  it('hands out buffers of the size asked, in power-of-two capacities from 64 KiB', () => {
    const pool = new BufferPool(8 << 20)
    const a = pool.take(100)
    const b = pool.take(135_000)
    const c = pool.take(0)
    expect([a.length, b.length, c.length]).toEqual([100, 135_000, 0])
    expect([a.buffer.byteLength, b.buffer.byteLength, c.buffer.byteLength]).toEqual([65536, 262144, 65536])
    expect(a.buffer).not.toBe(b.buffer)
    expect(pool.pooledBytes).toBe(0)
  })

  it('reuses a buffer given back, for a size of the same class only', () => {
    const pool = new BufferPool(8 << 20)
    const a = pool.take(200_000)
    const memory = a.buffer
    pool.give(a)
    expect(pool.pooledBytes).toBe(262144)
    expect(pool.take(70_000).buffer).not.toBe(memory) // 128 KiB class
    const again = pool.take(140_000)
    expect(again.buffer).toBe(memory)
    expect(again.length).toBe(140_000)
    expect(pool.pooledBytes).toBe(0)
  })

  it('never hands the same memory to two takers: a second give, or a foreign buffer, is ignored', () => {
    const pool = new BufferPool(8 << 20)
    const a = pool.take(1000)
    pool.give(a)
    pool.give(a)
    pool.give(Buffer.alloc(70_000))
    pool.give(new Uint8Array(65536))
    pool.give(undefined)
    expect(pool.pooledBytes).toBe(65536)
    const x = pool.take(1000)
    const y = pool.take(1000)
    expect(x.buffer).toBe(a.buffer)
    expect(y.buffer).not.toBe(a.buffer)
  })

  it('keeps at most its limit; larger requests get plain buffers, never pooled', () => {
    const pool = new BufferPool(256 * 1024, { maxBuffer: 128 * 1024 })
    const taken = [pool.take(100_000), pool.take(100_000), pool.take(100_000)]
    for (const b of taken) pool.give(b)
    expect(pool.pooledBytes).toBe(256 * 1024) // two of the three 128 KiB buffers
    const big = pool.take(200_000)
    expect(big.length).toBe(200_000)
    pool.give(big)
    expect(pool.pooledBytes).toBe(256 * 1024)
    expect(() => pool.take(-1)).toThrow(RangeError)
  })

  it('readFileChecked reads into a pool buffer: the same bytes, in reused memory', async () => {
    const pool = new BufferPool(8 << 20)
    const one = Buffer.alloc(150_000, 7)
    const two = Buffer.from(Array.from({ length: 160_000 }, (_, i) => i % 251))
    await fsp.writeFile(path.join(dir, 'one.bin'), one)
    await fsp.writeFile(path.join(dir, 'two.bin'), two)
    const take = (n: number) => pool.take(n)
    const a = await readFileChecked(path.join(dir, 'one.bin'), undefined, take)
    expect(a.equals(one)).toBe(true)
    pool.give(a)
    // The 256 KiB buffer that held `one` now holds `two`, and only `two`'s bytes are visible.
    const b = await readFileChecked(path.join(dir, 'two.bin'), undefined, take)
    expect(b.buffer).toBe(a.buffer)
    expect(b.length).toBe(two.length)
    expect(b.equals(two)).toBe(true)
  })
})

describe('SpareBuffer', () => {
  it('hands the kept buffer out once when big enough, keeps the larger one given back, never one over the cap', () => {
    let made = 0
    const spare = new SpareBuffer((size) => (made++, new ArrayBuffer(size)), 100)
    const a = spare.take(50)
    expect(made).toBe(1)
    spare.give(a)
    expect(spare.take(40)).toBe(a) // reused
    expect(spare.take(40)).not.toBe(a) // taken: a fresh one meanwhile
    spare.give(a)
    spare.give(new ArrayBuffer(10)) // smaller than the kept one: not kept
    expect(spare.take(50)).toBe(a)
    spare.give(new ArrayBuffer(200)) // over the cap: not kept
    const before = made
    spare.take(150)
    expect(made).toBe(before + 1)
  })
})
