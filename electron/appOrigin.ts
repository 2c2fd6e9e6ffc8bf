/**
 * Which URLs are the app's own, as pure functions (no `electron` import) so Node tests can check
 * them on real URLs.
 *
 * The renderer is served from `wsm://app/`. `wsm` is a custom scheme, and for any scheme outside
 * the WHATWG "special" list `new URL(u).origin` is the string "null", whatever the host: comparing
 * origins would refuse the app itself (and accept every other custom-scheme URL alike). So the
 * checks compare the parsed protocol and host (host includes the port).
 */

/** The custom scheme the renderer is served from inside Electron (never file://). */
export const APP_SCHEME = 'wsm'
/** The one host of the app scheme. */
export const APP_HOST = 'app'
/** What the app's URLs start with; not a WHATWG origin (that would be "null"). */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`

/** The loopback host names Vite's dev server may print (`localhost`, IPv4 and IPv6 loopback). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

function parse(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/**
 * The renderer's dev-server URL for `npm run dev` (electron-vite sets `ELECTRON_RENDERER_URL`), or
 * null: never in a packaged app, and only an http(s) URL on a loopback host, so an environment
 * variable cannot make a packaged app (or a dev run) trust a remote page. Returned without a
 * trailing slash.
 */
export function devRendererUrl(env: Record<string, string | undefined>, isPackaged: boolean): string | null {
  if (isPackaged) return null
  const raw = env.ELECTRON_RENDERER_URL
  if (!raw) return null
  const url = parse(raw)
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return null
  if (!LOOPBACK_HOSTS.has(url.hostname)) return null
  return `${url.protocol}//${url.host}`
}

/**
 * True when `url` is one of the app's own pages: `wsm://app/…`, or in a development run the dev
 * server's origin (`devUrl` from devRendererUrl). `wsm://app.evil/`, `wsm://evil/`, `file:`, other
 * ports and user-info tricks are refused.
 */
export function isAppUrl(url: string, devUrl: string | null = null): boolean {
  const u = parse(url)
  if (!u || u.username || u.password) return false
  // Chromium lowercases a standard scheme's host; WHATWG URL keeps a custom scheme's host as written.
  if (u.protocol === `${APP_SCHEME}:`) return u.host.toLowerCase() === APP_HOST
  if (devUrl === null) return false
  const dev = parse(devUrl)
  return dev !== null && u.protocol === dev.protocol && u.host === dev.host
}

/** The part of Electron's WebFrameMain the trust check reads (a stub in tests). */
export interface FrameLike {
  readonly url: string
  readonly parent: unknown
}

/** Only the app's own top frame, showing one of the app's pages, may call the API. */
export function isTrustedFrame(frame: FrameLike | null | undefined, devUrl: string | null = null): boolean {
  if (!frame || frame.parent !== null) return false
  return isAppUrl(frame.url, devUrl)
}
