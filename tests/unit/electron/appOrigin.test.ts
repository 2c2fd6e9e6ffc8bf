import { describe, expect, it } from 'vitest'
import {
  APP_ORIGIN,
  devRendererUrl,
  isAppUrl,
  isTrustedFrame,
  type FrameLike,
} from '../../../electron/appOrigin'

/** A stand-in for Electron's WebFrameMain: the two fields the check reads. */
const top = (url: string): FrameLike => ({ url, parent: null })
const child = (url: string): FrameLike => ({ url, parent: top(`${APP_ORIGIN}/index.html`) })

describe('the app scheme and WHATWG origins', () => {
  it('a custom scheme has the opaque origin "null", so origins cannot tell the app apart', () => {
    // Why the check compares protocol and host: this equality is what refused every IPC call.
    expect(new URL('wsm://app/index.html').origin).toBe('null')
    expect(new URL('wsm://evil/index.html').origin).toBe('null')
  })
})

describe('isTrustedFrame', () => {
  it.each([
    `${APP_ORIGIN}/index.html`,
    'wsm://app/',
    'wsm://app/assets/index-abc.js',
    'WSM://APP/index.html',
  ])('trusts the app top frame at %s', (url) => {
    expect(isTrustedFrame(top(url))).toBe(true)
  })

  it.each([
    'wsm://evil/index.html',
    'wsm://app.evil/index.html',
    'wsm://app:8080/index.html',
    'wsm://user@app/index.html',
    'wsmx://app/index.html',
    'http://127.0.0.1:5173/',
    'http://app/index.html',
    'https://app/index.html',
    'file:///app/index.html',
    'about:blank',
    '',
    'not a url',
  ])('refuses a top frame at %s', (url) => {
    expect(isTrustedFrame(top(url))).toBe(false)
  })

  it('refuses a subframe, even one showing the app', () => {
    expect(isTrustedFrame(child(`${APP_ORIGIN}/index.html`))).toBe(false)
  })

  it('refuses a missing frame (navigated away or destroyed)', () => {
    expect(isTrustedFrame(null)).toBe(false)
    expect(isTrustedFrame(undefined)).toBe(false)
  })

  it('trusts the dev server only when given, and only that origin', () => {
    const dev = 'http://localhost:5173'
    expect(isTrustedFrame(top('http://localhost:5173/'), dev)).toBe(true)
    expect(isTrustedFrame(top('http://localhost:5173/index.html'), dev)).toBe(true)
    expect(isTrustedFrame(top('http://localhost:5174/'), dev)).toBe(false)
    expect(isTrustedFrame(top('https://localhost:5173/'), dev)).toBe(false)
    expect(isTrustedFrame(top('http://127.0.0.1:5173/'), dev)).toBe(false)
    expect(isTrustedFrame(top('http://localhost:5173/'))).toBe(false)
    expect(isTrustedFrame(top(`${APP_ORIGIN}/index.html`), dev)).toBe(true)
  })
})

describe('isAppUrl (the navigation guard)', () => {
  it('allows moving within the app', () => {
    expect(isAppUrl('wsm://app/index.html#/pair/ISIC_0000001')).toBe(true)
  })
  it.each([
    'https://example.com/',
    'wsm://evil/',
    'wsm://app.evil/',
    'file:///etc/passwd',
    'javascript:alert(1)',
  ])('blocks navigation to %s', (url) => {
    expect(isAppUrl(url)).toBe(false)
  })
})

describe('devRendererUrl', () => {
  it('takes electron-vite dev server URL in a development run', () => {
    expect(devRendererUrl({ ELECTRON_RENDERER_URL: 'http://localhost:5173' }, false)).toBe(
      'http://localhost:5173',
    )
    expect(devRendererUrl({ ELECTRON_RENDERER_URL: 'http://127.0.0.1:5173/' }, false)).toBe(
      'http://127.0.0.1:5173',
    )
    expect(devRendererUrl({ ELECTRON_RENDERER_URL: 'http://[::1]:5173' }, false)).toBe('http://[::1]:5173')
  })
  it('is never used by a packaged app', () => {
    expect(devRendererUrl({ ELECTRON_RENDERER_URL: 'http://localhost:5173' }, true)).toBeNull()
  })
  it('refuses remote hosts and other schemes, and is null when unset', () => {
    expect(devRendererUrl({ ELECTRON_RENDERER_URL: 'http://evil.example:5173' }, false)).toBeNull()
    expect(devRendererUrl({ ELECTRON_RENDERER_URL: 'file:///tmp/index.html' }, false)).toBeNull()
    expect(devRendererUrl({ ELECTRON_RENDERER_URL: 'garbage' }, false)).toBeNull()
    expect(devRendererUrl({}, false)).toBeNull()
  })
})
