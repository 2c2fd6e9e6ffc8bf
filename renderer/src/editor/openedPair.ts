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
 * that buffer alive: over HTTP `decodeWire` gives views into the one response buffer (image bytes
 * included, beside the Blob made of them: several MB per pair, for the pair on screen and the one
 * read ahead), and over IPC a view arrives with its whole backing buffer. The serve client reads
 * answers with `decodeWireStream`, each field in its own buffer, so this copies nothing there; a
 * mask that still shares its buffer is copied out here (on the main thread: a 24 Mpx mask took
 * 32–98 ms in Chromium on two busy cores, hence the stream). The image bytes are dropped.
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
