import { describe, expect, it } from 'vitest'
import { WireError, decodeWire, encodeWire } from '../../../../shared/api/wire'

describe('wire format', () => {
  it('round-trips JSON with binary fields as exact bytes', () => {
    const data = new Uint8Array([0, 1, 255, 1, 0, 7])
    const image = new Uint8Array(1000).map((_, i) => (i * 31) & 255)
    const value = {
      ok: true,
      value: { mask: { width: 3, height: 2, data }, image: { bytes: image }, list: [1, 'x'] },
    }
    const decoded = decodeWire(encodeWire(value)) as typeof value
    expect(decoded.value.mask.width).toBe(3)
    expect(Array.from(decoded.value.mask.data)).toEqual(Array.from(data))
    expect(Buffer.from(decoded.value.image.bytes).equals(Buffer.from(image))).toBe(true)
    expect(decoded.value.list).toEqual([1, 'x'])
  })

  it('carries Node Buffers as bytes too (Buffer.toJSON must not turn them into number arrays)', () => {
    const buf = Buffer.from([0xff, 0xd8, 0xff, 0xe0])
    const decoded = decodeWire(encodeWire({ image: { bytes: buf } })) as { image: { bytes: Uint8Array } }
    expect(decoded.image.bytes).toBeInstanceOf(Uint8Array)
    expect(Array.from(decoded.image.bytes)).toEqual([0xff, 0xd8, 0xff, 0xe0])
  })

  it('decodes binary fields as views, without copies', () => {
    const body = encodeWire({ a: new Uint8Array(16).fill(9) })
    const decoded = decodeWire(body) as { a: Uint8Array }
    expect(decoded.a.buffer).toBe(body.buffer)
  })

  it('round-trips null, undefined-as-null and empty arrays', () => {
    expect(decodeWire(encodeWire(null))).toBeNull()
    expect(decodeWire(encodeWire(undefined))).toBeNull()
    expect(Array.from(decodeWire(encodeWire(new Uint8Array(0))) as Uint8Array)).toEqual([])
  })

  it('refuses malformed bodies with WireError', () => {
    expect(() => decodeWire(new Uint8Array(3))).toThrow(WireError)
    expect(() => decodeWire(new TextEncoder().encode('{"json": "but not wire"}'))).toThrow(
      'not a WSM wire body',
    )
    const body = encodeWire({ a: new Uint8Array(8) })
    expect(() => decodeWire(body.subarray(0, body.length - 4))).toThrow('runs past the body')
    const lying = encodeWire({ x: 1 })
    new DataView(lying.buffer).setUint32(4, 1 << 30, true)
    expect(() => decodeWire(lying)).toThrow('header runs past the body')
  })
})
