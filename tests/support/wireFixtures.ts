/** Wire-format fixtures shared by the wire decoder's tests and the serve-mode client's. */

/** A stream of `bytes` in chunks of `size` (the last one shorter), recording whether it was cancelled. */
export function chunked(bytes: Uint8Array, size: number) {
  const state = { cancelled: false, pulled: 0 }
  let at = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close()
      // Each chunk a fresh buffer, as the network gives them.
      controller.enqueue(bytes.slice(at, at + size))
      at += size
      state.pulled++
    },
    cancel() {
      state.cancelled = true
    },
  })
  return { stream, state }
}

/** A pair:open answer's shape: a JPEG's bytes and a mask, both binary. */
export function openAnswer(width: number, height: number) {
  const data = Uint8Array.from({ length: width * height }, (_, i) => [0, 1, 255][(i * 7) % 3])
  const bytes = Uint8Array.from({ length: 1000 + width }, (_, i) => (i * 13) & 0xff)
  return {
    ok: true,
    value: {
      id: 'ISIC_0000001',
      image: { name: 'ISIC_0000001.jpg', mime: 'image/jpeg', bytes },
      mask: { width, height, data, origin: 'source' },
      counts: { background: 1, lesion: 2, uncertain: 3, invalid: 0 },
      base: '',
      note: 'é ✓',
    },
  }
}
