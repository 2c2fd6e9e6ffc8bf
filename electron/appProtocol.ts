/**
 * The path check of the `wsm://app/` protocol handler, as a pure function (no `electron` import) so
 * Node tests can run it with Windows path rules (`path.win32`) as well as the host's.
 */
import path from 'node:path'
import { isWithin, type PathFlavour } from './services/fs/paths'
import { APP_HOST, APP_SCHEME } from './appOrigin'

export type AppFile = { ok: true; file: string } | { ok: false; status: 400 | 403 | 404 }

/**
 * The file under `rendererDir` that `requestUrl` names, or the HTTP status to answer instead: 404
 * for another scheme or host, 400 for a malformed escape, a NUL or (Windows) a colon, 403 for anything that resolves
 * outside the folder (`..` segments, encoded slashes or backslashes, another drive, a UNC path).
 * `/` is the index page. `flavour` is the path module whose rules apply (the host's by default).
 */
export function resolveAppFile(
  requestUrl: string,
  rendererDir: string,
  flavour: PathFlavour = path,
): AppFile {
  let url: URL
  try {
    url = new URL(requestUrl)
  } catch {
    return { ok: false, status: 400 }
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host.toLowerCase() !== APP_HOST)
    return { ok: false, status: 404 }
  let rel: string
  try {
    rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)
  } catch {
    return { ok: false, status: 400 }
  }
  // NUL never names a file; on Windows a colon would name a drive or an alternate data stream.
  if (rel.includes('\0') || (flavour.sep === '\\' && rel.includes(':'))) return { ok: false, status: 400 }
  // Relative to the folder whatever the request says: a leading slash, a drive or a UNC prefix
  // after decoding would otherwise make resolve() start again from the root.
  const file = flavour.resolve(rendererDir, '.' + path.posix.normalize(rel))
  if (file === flavour.resolve(rendererDir) || !isWithin(file, rendererDir, flavour))
    return { ok: false, status: 403 }
  return { ok: true, file }
}
