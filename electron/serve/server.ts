import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { ApiHandlers } from '../../shared/api/contract'
import { dispatch } from '../../shared/api/dispatch'
import type { ApiError } from '../../shared/api/errors'
import { fail } from '../../shared/api/result'
import { isWithin } from '../services/fs/paths'
import { SECURITY_HEADERS } from './securityHeaders'
import { WIRE_CONTENT_TYPE, WireError, decodeWire, encodeWire } from '../../shared/api/wire'

/** The header every API request carries the token in. A custom header also forces a CORS preflight. */
export const TOKEN_HEADER = 'x-wsm-token'
/** Largest request body accepted (a 6000×4000 label map plus framing). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024

export interface ServeOptions {
  handlers: ApiHandlers
  /** The built renderer (index.html and assets). */
  rendererDir: string
  /** 0 picks a free port. */
  port?: number
  /** Given for tests; otherwise 32 random bytes. */
  token?: string
  maxBodyBytes?: number
}

export interface RunningServer {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

/**
 * The loopback HTTP bridge: serves the built renderer and implements the API contract over
 * `POST /api/<call>` with the wire format. Binds 127.0.0.1 only; every API request must carry the
 * token (compared in constant time); the Host header must name the loopback address we listen on
 * (refuses DNS-rebinding); no CORS headers are ever sent.
 */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(32).toString('base64url')
  const tokenDigest = sha256(token)
  const maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES
  const rendererDir = path.resolve(opts.rendererDir)
  let allowedHosts = new Set<string>()

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, { code: 'internal', message: String(err) })
      else res.destroy()
    })
  })

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!allowedHosts.has(req.headers.host ?? '')) {
      return sendError(res, 421, { code: 'forbidden-path', message: 'unexpected Host header' })
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname.startsWith('/api/')) {
      let name: string
      try {
        name = decodeURIComponent(url.pathname.slice(5))
      } catch {
        req.resume()
        return sendError(res, 400, { code: 'bad-request', message: 'malformed call name' })
      }
      return handleApi(req, res, name)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(res, 405, { code: 'bad-request', message: 'method not allowed' })
    }
    return serveStatic(res, url.pathname, req.method === 'HEAD')
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, name: string): Promise<void> {
    if (req.method !== 'POST')
      return sendError(res, 405, { code: 'bad-request', message: 'API calls are POST' })
    const given = req.headers[TOKEN_HEADER]
    if (typeof given !== 'string' || !timingSafeEqual(sha256(given), tokenDigest)) {
      req.resume()
      return sendError(res, 401, { code: 'unauthorized', message: 'missing or wrong token' })
    }
    const declared = Number(req.headers['content-length'] ?? '0')
    if (declared > maxBody) {
      req.resume()
      return sendError(res, 413, { code: 'bad-request', message: `body over ${maxBody} bytes` })
    }
    const body = await readBody(req, maxBody)
    if (body === null)
      return sendError(res, 413, { code: 'bad-request', message: `body over ${maxBody} bytes` })
    let args: unknown
    try {
      args = body.byteLength === 0 ? undefined : decodeWire(body)
    } catch (err) {
      const message = err instanceof WireError ? err.message : 'unreadable body'
      return sendError(res, 400, { code: 'bad-request', message })
    }
    const result = await dispatch(opts.handlers, name, args)
    const payload = encodeWire(result)
    const status = result.ok ? 200 : statusOf(result.error.code)
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'content-type': WIRE_CONTENT_TYPE,
      'content-length': payload.byteLength,
    })
    res.end(payload)
  }

  async function serveStatic(res: http.ServerResponse, pathname: string, headOnly: boolean): Promise<void> {
    let rel: string
    try {
      rel = decodeURIComponent(pathname)
    } catch {
      return sendError(res, 400, { code: 'bad-request', message: 'bad path' })
    }
    if (rel.endsWith('/')) rel += 'index.html'
    const abs = path.resolve(rendererDir, '.' + path.posix.normalize('/' + rel))
    if (!isWithin(abs, rendererDir)) {
      return sendError(res, 403, { code: 'forbidden-path', message: 'outside the app' })
    }
    let data: Buffer
    try {
      data = await fsp.readFile(abs)
    } catch {
      return sendError(res, 404, { code: 'not-found', message: 'no such file' })
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': STATIC_TYPES[path.extname(abs).toLowerCase()] ?? 'application/octet-stream',
      'content-length': data.byteLength,
    })
    res.end(headOnly ? undefined : data)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`])
  const url = `http://127.0.0.1:${port}/#token=${token}`
  return {
    url,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

function readBody(req: http.IncomingMessage, max: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    let over = false
    req.on('data', (chunk: Buffer) => {
      total += chunk.byteLength
      if (total > max) over = true
      if (!over) chunks.push(chunk)
    })
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function sendError(res: http.ServerResponse, status: number, error: ApiError): void {
  const payload = encodeWire(fail(error))
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': WIRE_CONTENT_TYPE,
    'content-length': payload.byteLength,
  })
  res.end(payload)
}

/**
 * The HTTP status of a call's error. Every error travels in the body, and the client reads the body
 * whatever the status (renderer/src/api.ts); the status only tells a request the bridge refused
 * (400: unknown call, arguments against the schema) or a bug (500) from an answer. A domain error
 * (bad mask, missing dataset, an id not in the queue…) is an answer: 200. `not-found` was 404, which
 * Chromium logs as a console error for an ordinary "not in the current queue" (QA 6, finding 10).
 */
function statusOf(code: ApiError['code']): number {
  switch (code) {
    case 'bad-request':
    case 'unknown-call':
      return 400
    case 'internal':
      return 500
    default:
      return 200
  }
}
