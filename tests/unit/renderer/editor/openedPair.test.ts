/**
 * What the editor keeps of a `pair:open` answer holds nothing of the response it came in: over HTTP
 * the wire decodes the image and the mask as views into ONE response buffer, so a mask kept as a
 * view would keep the image's bytes alive beside the Blob made of them (review 7, memory). Answers
 * here go through the real wire format (encodeWire → decodeWire), as from `serve`.
 */
import { describe, expect, it } from 'vitest'
import type { OpenedPair } from '../../../../shared/api/contract'
import type { Result } from '../../../../shared/api/result'
import { decodeWire, encodeWire } from '../../../../shared/api/wire'
import { heldPair, ownBuffer } from '../../../../renderer/src/editor/openedPair'
import { ReadAhead } from '../../../../renderer/src/editor/readAhead'

/** An answer as `serve` sends it: image bytes and mask in one body, decoded as views into it. */
function overTheWire(id: string, width = 7, height = 5): { pair: OpenedPair; response: ArrayBufferLike } {
  const data = Uint8Array.from({ length: width * height }, (_, i) => [0, 1, 255][i % 3])
  // A JPEG's start (no Exif, so the Blob holds the bytes as they are) and some body.
  const image = Uint8Array.from({ length: 600 }, (_, i) => (i === 0 ? 0xff : i === 1 ? 0xd8 : i & 0xff))
  const answer: OpenedPair = {
    id,
    image: { name: `${id}.jpg`, mime: 'image/jpeg', bytes: image },
    mask: { width, height, data, origin: 'source' },
    counts: { background: 12, lesion: 12, uncertain: 11, invalid: 0 },
    state: {} as OpenedPair['state'],
    converted: false,
    base: '',
  }
  const pair = decodeWire(encodeWire(answer)) as OpenedPair
  // The premise: both binary fields are views into the same buffer, larger than either.
  expect(pair.mask.data.buffer).toBe(pair.image.bytes.buffer)
  expect(pair.mask.data.buffer.byteLength).toBeGreaterThan(image.length + data.length)
  return { pair, response: pair.mask.data.buffer }
}

/** Every typed array reachable from `value` (Blobs and bitmaps are not walked). */
function views(value: unknown, out: ArrayBufferView[] = [], seen = new Set<unknown>()): ArrayBufferView[] {
  if (typeof value !== 'object' || value === null || seen.has(value)) return out
  seen.add(value)
  if (ArrayBuffer.isView(value)) out.push(value)
  else if (!(value instanceof Blob)) for (const v of Object.values(value)) views(v, out, seen)
  return out
}

describe('heldPair', () => {
  it('keeps the mask (exact bytes, in a buffer of its own) and drops the image bytes: nothing refers to the response', () => {
    const { pair, response } = overTheWire('ISIC_0000001')
    const expected = [...pair.mask.data]
    const held = heldPair(pair)
    expect([...held.mask.data]).toEqual(expected)
    expect(held.mask.data.buffer.byteLength).toBe(held.mask.data.length)
    expect(held.mask.data.buffer).not.toBe(response)
    expect(held.image).toEqual({ name: 'ISIC_0000001.jpg', mime: 'image/jpeg' })
    expect(views(held).every((v) => v.buffer !== response)).toBe(true)
    expect(views(held)).toHaveLength(1)
    // Everything else as answered; the answer itself is untouched.
    expect(held).toMatchObject({ id: pair.id, base: '', converted: false, counts: pair.counts })
    expect(pair.mask.data.buffer).toBe(response)
  })

  it('copies nothing when the mask owns its buffer, or shares it only with its PNG filter bytes (an answer over IPC)', () => {
    const data = new Uint8Array([0, 1, 255, 1])
    expect(ownBuffer(data)).toBe(data)
    // A decoded 6000×4000 map: a view over its unfiltered scanlines (h + 1 bytes more).
    const decoded = new Uint8Array(6000 * 4000 + 4001).subarray(0, 6000 * 4000)
    expect(ownBuffer(decoded)).toBe(decoded)
    const inLarger = new Uint8Array(8).subarray(0, 4)
    expect(ownBuffer(inLarger)).not.toBe(inLarger)
    const atOffset = new Uint8Array(8).subarray(4)
    inLarger.set(data)
    atOffset.set(data)
    expect([...ownBuffer(atOffset)]).toEqual([...data])
    expect(ownBuffer(atOffset).buffer.byteLength).toBe(4)
  })
})

describe('the pair read ahead', () => {
  it('holds the mask and the image Blob, nothing of the response buffer', async () => {
    const { pair, response } = overTheWire('ISIC_0000002', 64, 48)
    const image = pair.image.bytes.slice()
    const mask = [...pair.mask.data]
    const readAhead = new ReadAhead({
      open: async (): Promise<Result<OpenedPair>> => ({ ok: true, value: pair }),
      view: () => null,
      decode: async () => ({ width: 64, height: 48, close() {} }) as ImageBitmap,
      close: () => {},
    })
    readAhead.start('ISIC_0000002')
    const ready = (await readAhead.take('ISIC_0000002'))!
    expect(ready).not.toBeNull()
    expect(views(ready).every((v) => v.buffer !== response)).toBe(true)
    expect([...ready.pair.mask.data]).toEqual(mask)
    expect(ready.pair.mask.data.buffer.byteLength).toBe(64 * 48)
    expect('bytes' in ready.pair.image).toBe(false)
    // The image's bytes are kept once: in the Blob, as sent.
    expect(new Uint8Array(await ready.blob.arrayBuffer())).toEqual(image)
  })
})
