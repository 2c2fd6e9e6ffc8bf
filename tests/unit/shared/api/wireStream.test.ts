/**
 * decodeWireStream: the wire format read as it arrives (a fetch Response's body). The same values
 * and errors as decodeWire, whatever the chunking, with each binary field in a buffer of its own —
 * so the editor keeping a `pair:open` answer's mask keeps nothing of the image's bytes (review 7).
 */
import { describe, expect, it } from 'vitest'
import { WireError, decodeWire, decodeWireStream, encodeWire } from '../../../../shared/api/wire'
import { chunked, openAnswer } from '../../../support/wireFixtures'

/** Every typed array in `value`. */
function views(value: unknown, out: Uint8Array[] = []): Uint8Array[] {
  if (value instanceof Uint8Array) out.push(value)
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) views(v, out)
  return out
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'decoded'
  } catch (err) {
    return err instanceof WireError ? `WireError: ${err.message}` : String(err)
  }
}

function codeOfSync(f: () => unknown): string {
  try {
    f()
    return 'decoded'
  } catch (err) {
    return err instanceof WireError ? `WireError: ${err.message}` : String(err)
  }
}

describe('decodeWireStream', () => {
  const values: [string, unknown][] = [
    ['a pair:open answer', openAnswer(37, 11)],
    [
      'several fields, an empty one, nested in arrays',
      { a: [new Uint8Array([1, 2, 3]), { b: new Uint8Array(0) }], c: new Uint8Array(9).fill(255) },
    ],
    ['no binary field', { ok: false, error: { code: 'conflict', message: 'changed since' } }],
    ['null', null],
  ]
  for (const [name, value] of values) {
    it(`${name}: the same value as decodeWire in chunks of 1, 3, 5, 8, 13, 4096 bytes and whole, each field in its own buffer`, async () => {
      const body = encodeWire(value)
      const expected = decodeWire(body)
      for (const size of [1, 3, 5, 8, 13, 4096, body.byteLength]) {
        const { stream, state } = chunked(body, size)
        const got = await decodeWireStream(stream)
        expect(got).toEqual(expected)
        const fields = views(got)
        expect(fields).toHaveLength(views(expected).length)
        for (const f of fields) expect(f.buffer.byteLength).toBe(f.byteLength)
        expect(new Set(fields.map((f) => f.buffer)).size).toBe(fields.length)
        expect(state.pulled).toBeGreaterThan(0)
      }
    })
  }

  it('gives the same errors as decodeWire for bodies cut short or malformed, in any chunking', async () => {
    const good = encodeWire(openAnswer(5, 4))
    const headerLength = new DataView(good.buffer).getUint32(4, true)
    const blobStart = (8 + headerLength + 7) & ~7
    const withHeader = (header: Uint8Array) => {
      const out = new Uint8Array(8 + header.byteLength)
      out.set(good.subarray(0, 4))
      new DataView(out.buffer).setUint32(4, header.byteLength, true)
      out.set(header, 8)
      return out
    }
    const badMagic = good.slice()
    badMagic[0] ^= 0xff
    const bodies: [string, Uint8Array][] = [
      ['body too short', good.subarray(0, 5)],
      ['not a WSM wire body', badMagic],
      ['header runs past the body', good.subarray(0, 8 + headerLength - 1)],
      ['header is not UTF-8', withHeader(new Uint8Array([0xff, 0xfe]))],
      ['header is not JSON', withHeader(new TextEncoder().encode('{"a":'))],
      ['binary field runs past the body', good.subarray(0, good.byteLength - 1)],
      ['binary field runs past the body', good.subarray(0, blobStart - 1)],
    ]
    for (const [message, body] of bodies) {
      expect(codeOfSync(() => decodeWire(body))).toBe(`WireError: ${message}`)
      for (const size of [1, 7, body.byteLength]) {
        expect(await codeOf(decodeWireStream(chunked(body, size).stream))).toBe(`WireError: ${message}`)
      }
    }
  })

  it('reads no further than the last field (trailing bytes are ignored, as by decodeWire, and the rest is cancelled)', async () => {
    const body = encodeWire({ a: new Uint8Array([1, 2, 3]) })
    const longer = new Uint8Array(body.byteLength + 4096)
    longer.set(body)
    const { stream, state } = chunked(longer, 8)
    expect(await decodeWireStream(stream)).toEqual(decodeWire(longer))
    expect(state.cancelled).toBe(true)
  })
})
