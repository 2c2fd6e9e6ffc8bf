/**
 * The serve-mode client reads an answer from the response's stream (decodeWireStream): a
 * `pair:open` answer's mask and image each own their buffer, so the mask the editor keeps keeps
 * nothing of the image's bytes (review 7, memory). In Node with the browser globals it reads stubbed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodeWire } from '../../../shared/api/wire'
import { chunked, openAnswer } from '../../support/wireFixtures'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('serve-mode API client: answers', () => {
  /** The client, its fetch answering with `respond()`. */
  async function client(respond: () => Response) {
    vi.stubGlobal('window', { addEventListener: () => {} })
    vi.stubGlobal('location', { hash: '#token=abc', pathname: '/', search: '' })
    vi.stubGlobal('history', { replaceState: () => {} })
    vi.stubGlobal('sessionStorage', { getItem: () => null, setItem: () => {} })
    vi.stubGlobal('document', { baseURI: 'http://127.0.0.1:1/' })
    vi.stubGlobal('fetch', async () => respond())
    vi.resetModules()
    return (await import('../../../renderer/src/api')).api
  }

  it("decodes an answer from the response's stream: the mask and the image each own their buffer", async () => {
    const answer = openAnswer(64, 48)
    const api = await client(() => new Response(chunked(encodeWire(answer), 1000).stream))
    const r = await api.call('pair:open', { id: 'ISIC_0000001' })
    if (!r.ok) throw new Error(r.error.message)
    expect(r.value).toEqual(answer.value)
    const { mask, image } = r.value
    expect(mask.data.buffer.byteLength).toBe(64 * 48)
    expect(image.bytes.buffer.byteLength).toBe(image.bytes.byteLength)
    expect(mask.data.buffer).not.toBe(image.bytes.buffer)
  })

  it('a body cut short, or none, is an io-error answer (nothing thrown)', async () => {
    const body = encodeWire(openAnswer(16, 16))
    for (const respond of [
      () => new Response(chunked(body.subarray(0, body.byteLength - 10), 100).stream),
      () => new Response(null),
    ]) {
      const api = await client(respond)
      const r = await api.call('pair:open', { id: 'ISIC_0000001' })
      expect(r.ok ? 'ok' : r.error.code).toBe('io-error')
      if (!r.ok) expect(r.error.message).toMatch(/binary field runs past the body|body too short/)
    }
  })
})
