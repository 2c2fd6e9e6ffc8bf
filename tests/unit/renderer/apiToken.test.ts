import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodeWire } from '../../../shared/api/wire'

/**
 * The serve-mode client's token (qa7s #2): serve makes a new token at each start, so after a
 * restart the open tab's calls are refused `unauthorized`. Pasting the new URL into the tab changes
 * only the fragment (no reload: the unsaved edit stays); the client must take the new token then.
 * Node with the browser's globals the client reads stubbed, and a fetch that checks the token as
 * serve does.
 */
async function clientAgainst(serveToken: { current: string }, hash: string) {
  const listeners = new Map<string, (() => void)[]>()
  const stored = new Map<string, string>()
  const location = { hash, pathname: '/', search: '' }
  const sent: string[] = []
  vi.stubGlobal('window', {
    addEventListener: (type: string, fn: () => void) =>
      listeners.set(type, [...(listeners.get(type) ?? []), fn]),
  })
  vi.stubGlobal('location', location)
  vi.stubGlobal('history', {
    replaceState: (_s: unknown, _t: string, url: string) => {
      location.hash = url.includes('#') ? url.slice(url.indexOf('#')) : ''
    },
  })
  vi.stubGlobal('sessionStorage', {
    getItem: (k: string) => stored.get(k) ?? null,
    setItem: (k: string, v: string) => stored.set(k, v),
  })
  vi.stubGlobal('document', { baseURI: 'http://127.0.0.1:1/' })
  vi.stubGlobal('fetch', async (_url: URL, init: RequestInit) => {
    const token = (init.headers as Record<string, string>)['x-wsm-token']
    sent.push(token)
    return token === serveToken.current
      ? new Response(encodeWire({ ok: true, value: null }))
      : new Response(
          encodeWire({ ok: false, error: { code: 'unauthorized', message: 'missing or wrong token' } }),
          {
            status: 401,
          },
        )
  })
  vi.resetModules()
  const { api, UNAUTHORIZED_MESSAGE } = await import('../../../renderer/src/api')
  /** The curator pastes a URL differing only in its fragment: the browser fires `hashchange`. */
  const pasteHash = (h: string) => {
    location.hash = h
    for (const fn of listeners.get('hashchange') ?? []) fn()
  }
  return { api, UNAUTHORIZED_MESSAGE, pasteHash, sent, location, stored }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('serve-mode API client: the token after serve restarts (qa7s #2)', () => {
  it('an unauthorized answer says to paste the new URL; the pasted #token is taken and the next call goes through', async () => {
    const serve = { current: 'old' }
    const { api, UNAUTHORIZED_MESSAGE, pasteHash, sent, location, stored } = await clientAgainst(
      serve,
      '#token=old',
    )
    // The token left the address bar, kept for reloads.
    expect(location.hash).toBe('')
    expect(stored.get('wsm-curator-token')).toBe('old')
    expect((await api.call('queue:find', { id: 'ISIC_0000001' })).ok).toBe(true)
    // serve restarts with a new token.
    serve.current = 'new'
    const refused = await api.call('queue:find', { id: 'ISIC_0000001' })
    expect(refused).toEqual({ ok: false, error: { code: 'unauthorized', message: UNAUTHORIZED_MESSAGE } })
    expect(UNAUTHORIZED_MESSAGE).toMatch(/serve restarted: paste its new URL \(with #token\) into this tab/)
    // A fragment that names no token changes nothing.
    pasteHash('#other=1')
    expect((await api.call('queue:find', { id: 'ISIC_0000001' })).ok).toBe(false)
    pasteHash('#token=new')
    expect((await api.call('queue:find', { id: 'ISIC_0000001' })).ok).toBe(true)
    expect(sent).toEqual(['old', 'old', 'old', 'new'])
    // Taken out of the address bar again, and kept for a reload.
    expect(location.hash).toBe('')
    expect(stored.get('wsm-curator-token')).toBe('new')
  })

  it('a page opened with no token at all is told to open the URL serve printed', async () => {
    const { api } = await clientAgainst({ current: 'abc' }, '')
    const r = await api.call('queue:find', { id: 'ISIC_0000001' })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.message).toMatch(/no token: open the URL serve printed/)
  })
})
