import type { OpenedPair } from '../../../shared/api/contract'

/**
 * What the editor keeps of a `pair:open` answer once the image bytes are in a Blob: everything but
 * those bytes, and a mask that owns its buffer.
 */
export interface HeldPair extends Omit<OpenedPair, 'image'> {
  image: Omit<OpenedPair['image'], 'bytes'>
}

/**
 * The answer without the response it came in. A mask kept as a view into a larger buffer would keep
 * that buffer alive: `decodeWire` gives views into the one response buffer (image bytes included,
 * beside the Blob made of them: several MB per pair, for the pair on screen and the one read
 * ahead). The serve client reads answers with `decodeWireStream`, each field in its own buffer, and
 * over IPC the mask arrives in the buffer it was decoded into (its scanlines: h + 1 bytes more), so
 * this copies nothing on either path; a mask that shares its buffer with much else is copied out
 * here (on the main thread: a 24 Mpx mask took 32–98 ms in Chromium on two busy cores, hence the
 * stream). The image bytes are dropped.
 */
export function heldPair(pair: OpenedPair): HeldPair {
  const { image, mask, ...rest } = pair
  return {
    ...rest,
    image: { name: image.name, mime: image.mime },
    mask: { ...mask, data: ownBuffer(mask.data) },
  }
}

/**
 * `data` itself when its buffer holds little else (at most an eighth of its size more: a decoded
 * PNG's filter bytes, h + 1, are not worth a copy of the map), else a copy in a buffer of its own.
 */
export function ownBuffer(data: Uint8Array): Uint8Array {
  return (data.buffer.byteLength - data.byteLength) * 8 <= data.byteLength ? data : data.slice()
}
