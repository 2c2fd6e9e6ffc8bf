/**
 * The only file that touches the injected API. In Electron the sandboxed preload exposes
 * `window.wsm`; in a browser against `wsm-curator serve` the same contract goes over HTTP.
 * Nothing here assumes an origin: serve mode resolves `api/<call>` against the page's own URL.
 */
import type { ApiClient, CallArgs, CallName, CallOptions, CallResult } from '../../shared/api/contract'
import type { Result } from '../../shared/api/result'
import { WIRE_CONTENT_TYPE, decodeWire, decodeWireStream, encodeWire } from '../../shared/api/wire'

interface PreloadApi {
  host: 'electron'
  call(name: string, args: unknown): Promise<unknown>
  pathForDrop(file: File): Promise<string>
}

declare global {
  interface Window {
    wsm?: PreloadApi
  }
}

const TOKEN_KEY = 'wsm-curator-token'

/**
 * The serve token from `#token=…`, kept for reloads and taken out of the address bar; null when the
 * address names none.
 */
function tokenFromHash(): string | null {
  const params = new URLSearchParams(location.hash.slice(1))
  const fromHash = params.get('token')
  if (!fromHash) return null
  sessionStorage.setItem(TOKEN_KEY, fromHash)
  params.delete('token')
  const rest = params.toString()
  history.replaceState(null, '', location.pathname + location.search + (rest ? `#${rest}` : ''))
  return fromHash
}

/**
 * What an `unauthorized` answer says: the token this page holds is not serve's (serve restarted and
 * made a new one). Pasting its new URL into this tab changes only the fragment, so the page stays
 * and its unsaved edit with it (the client takes the new token on `hashchange`); a reload would drop it.
 */
export const UNAUTHORIZED_MESSAGE =
  'serve restarted: paste its new URL (with #token) into this tab — your edit stays'

/**
 * Bodies from this size on go as a Blob. Chromium carries an ArrayBuffer body inline in the IPC
 * message that starts the request: for a 12-megapixel mask that blocked the page's main thread
 * for ~0.45 s and the browser's UI thread for ~0.65 s at each save (qa6 finding 7, traced). A
 * Blob's bytes go to the blob registry by shared memory, requested by the browser, and the
 * request carries only a reference.
 */
export const BLOB_BODY_BYTES = 256 * 1024

function requestBody(bytes: Uint8Array<ArrayBuffer>): BodyInit {
  return bytes.byteLength >= BLOB_BODY_BYTES ? new Blob([bytes]) : bytes
}

function httpClient(): ApiClient {
  let token = tokenFromHash() ?? sessionStorage.getItem(TOKEN_KEY) ?? ''
  // The new URL of a restarted serve pasted into this tab: a fragment-only navigation, no reload.
  window.addEventListener('hashchange', () => {
    token = tokenFromHash() ?? token
  })
  return {
    async call<K extends CallName>(
      name: K,
      args: CallArgs<K>,
      options?: CallOptions,
    ): Promise<Result<CallResult<K>>> {
      try {
        const res = await fetch(new URL(`api/${encodeURIComponent(name)}`, document.baseURI), {
          method: 'POST',
          headers: { 'content-type': WIRE_CONTENT_TYPE, 'x-wsm-token': token },
          body: requestBody(encodeWire(args ?? null)),
          priority: options?.background ? 'low' : 'auto',
        })
        // Read as it arrives: each binary field in a buffer of its own (decodeWireStream).
        const value = res.body
          ? await decodeWireStream(res.body)
          : decodeWire(new Uint8Array(await res.arrayBuffer()))
        const r = value as Result<CallResult<K>>
        return !r.ok && r.error.code === 'unauthorized'
          ? {
              ok: false,
              error: {
                code: 'unauthorized',
                message: token
                  ? UNAUTHORIZED_MESSAGE
                  : 'no token: open the URL serve printed (with #token) in this tab',
              },
            }
          : r
      } catch (err) {
        return {
          ok: false,
          error: { code: 'io-error', message: `the server did not answer: ${String(err)}` },
        }
      }
    },
  }
}

function preloadClient(api: PreloadApi): ApiClient {
  return {
    call<K extends CallName>(name: K, args: CallArgs<K>): Promise<Result<CallResult<K>>> {
      return api.call(name, args) as Promise<Result<CallResult<K>>>
    },
  }
}

export const api: ApiClient = window.wsm ? preloadClient(window.wsm) : httpClient()

/** A call that throws its error as an ApiCallError; for code paths where failure is exceptional. */
export async function callOrThrow<K extends CallName>(name: K, args: CallArgs<K>): Promise<CallResult<K>> {
  const r = await api.call(name, args)
  if (!r.ok) throw new ApiCallError(r.error.code, r.error.message)
  return r.value
}

export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'ApiCallError'
  }
}

/**
 * The path of a file or folder dropped on the window, where the host can tell it (Electron); null
 * in a browser, which never reveals paths.
 */
export async function pathForDrop(file: File): Promise<string | null> {
  if (!window.wsm) return null
  const p = await window.wsm.pathForDrop(file)
  return p || null
}

/** Whether native file dialogs exist here (Electron) or paths are typed (a browser). */
export const hasNativeDialogs = window.wsm !== undefined
