import type { OpenedPair } from '../../../shared/api/contract'

/**
 * What the editor keeps of a `pair:open` answer once the image bytes are in a Blob: everything but
 * those bytes, and a mask that owns its buffer.
 */
export interface HeldPair extends Omit<OpenedPair, 'image'> {
  image: Omit<OpenedPair['image'], 'bytes'>
}

/**
 * The answer without the response it came in. Over HTTP the wire decodes every binary field as a
 * view into the one response buffer (shared/api/wire.ts), and over IPC a view arrives with its
 * whole backing buffer: a mask kept as such a view keeps the image's bytes alive beside the Blob
 * made of them (a 6000×4000 JPEG: several MB, for the pair on screen and the one read ahead). The
 * mask is copied out once when it shares its buffer (24 Mpx: ~7 ms, ~19 ms median on two busy
 * cores, measured; an answer over IPC usually owns its buffer, and nothing is copied); the image
 * bytes are dropped.
 */
export function heldPair(pair: OpenedPair): HeldPair {
  const { image, mask, ...rest } = pair
  return {
    ...rest,
    image: { name: image.name, mime: image.mime },
    mask: { ...mask, data: ownBuffer(mask.data) },
  }
}

/** `data` itself when it is its whole buffer, else a copy that is. */
export function ownBuffer(data: Uint8Array): Uint8Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice()
}
