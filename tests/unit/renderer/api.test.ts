import { afterEach, describe, expect, it, vi } from 'vitest'
import { decodeWire, encodeWire } from '../../../shared/api/wire'

/**
 * The HTTP client of serve mode, in Node with the browser's globals it reads stubbed: what it hands
 * to fetch. A large body must go as a Blob: Chromium carries an ArrayBuffer body inline in the IPC
 * message that starts the request, which blocked the page ~0.5 s per 12-megapixel save (qa6 finding 7).
 */
async function clientWithFetch() {
  const bodies: BodyInit[] = []
  vi.stubGlobal('window', { addEventListener: () => {} })
  vi.stubGlobal('location', { hash: '#token=abc', pathname: '/', search: '' })
  vi.stubGlobal('history', { replaceState: () => {} })
  vi.stubGlobal('sessionStorage', { getItem: () => null, setItem: () => {} })
  vi.stubGlobal('document', { baseURI: 'http://127.0.0.1:1/' })
  vi.stubGlobal('fetch', async (_url: URL, init: RequestInit) => {
    bodies.push(init.body!)
    return new Response(encodeWire({ ok: true, value: null }))
  })
  vi.resetModules()
  const { api, BLOB_BODY_BYTES } = await import('../../../renderer/src/api')
  return { api, bodies, BLOB_BODY_BYTES }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('serve-mode API client', () => {
  it('sends a 12-megapixel mask as a Blob holding exactly the wire bytes', async () => {
    const { api, bodies } = await clientWithFetch()
    const data = new Uint8Array(4288 * 2848)
    for (let i = 0; i < data.length; i += 7) data[i] = i % 3 === 0 ? 255 : 1
    const args = { id: 'ISIC_0000001', width: 4288, height: 2848, data }
    const r = await api.call('pair:saveMask', args)
    expect(r.ok).toBe(true)
    expect(bodies).toHaveLength(1)
    expect(bodies[0]).toBeInstanceOf(Blob)
    const sent = new Uint8Array(await (bodies[0] as Blob).arrayBuffer())
    // Byte for byte (a deep toEqual over 12 M elements takes minutes).
    expect(sameBytes(sent, encodeWire(args))).toBe(true)
    const back = decodeWire(sent) as typeof args
    expect(back.width * back.height).toBe(data.length)
    expect(sameBytes(back.data, data)).toBe(true)
  })

  it('sends a small call as its bytes (no Blob to register)', async () => {
    const { api, bodies, BLOB_BODY_BYTES } = await clientWithFetch()
    await api.call('queue:find', { id: 'ISIC_0000001' })
    expect(bodies[0]).toBeInstanceOf(Uint8Array)
    expect((bodies[0] as Uint8Array).byteLength).toBeLessThan(BLOB_BODY_BYTES)
  })
})
