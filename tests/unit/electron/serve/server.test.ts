import { mkdtempSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpenedPair } from '../../../../shared/api/contract'
import { decodeWire, encodeWire } from '../../../../shared/api/wire'
import { createApiHandlers } from '../../../../electron/services/api'
import { CurationSession } from '../../../../electron/services/session'
import { Workspace } from '../../../../electron/services/workspace/workspace'
import { DEMO_PAIRS, generateDemoDataset } from '../../../../electron/services/demo/demoDataset'
import { startServer, TOKEN_HEADER, type RunningServer } from '../../../../electron/serve/server'

const TOKEN = 'test-token-0123456789'
let server: RunningServer
let session: CurationSession
let rendererDir: string

interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** A raw HTTP request (fetch would normalise Host and paths, which these tests must control). */
function request(opts: {
  method?: string
  path: string
  headers?: Record<string, string>
  body?: Uint8Array
}) {
  return new Promise<RawResponse>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: opts.headers,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        )
      },
    )
    req.on('error', reject)
    req.end(opts.body)
  })
}

function call(name: string, args: unknown, token = TOKEN) {
  return request({
    method: 'POST',
    path: `/api/${name}`,
    headers: { [TOKEN_HEADER]: token },
    body: encodeWire(args),
  })
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wsm-serve-test-'))
  const small = DEMO_PAIRS.filter((p) => p.width <= 700).slice(0, 2)
  const demo = await generateDemoDataset(path.join(dir, 'demo'), { pairs: small })
  const workspace = await Workspace.create(path.join(dir, 'workspace'), {
    masks: demo.masksZip,
    images: [demo.imagesDir],
    curator: 'test',
  })
  session = new CurationSession(workspace)
  rendererDir = path.join(dir, 'renderer')
  await import('node:fs/promises').then((f) => f.mkdir(rendererDir))
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>app</title>')
  writeFileSync(path.join(dir, 'secret.txt'), 'outside the renderer')
  server = await startServer({
    handlers: createApiHandlers({
      host: 'serve',
      session: () => session,
      setSession: (s) => {
        session = s
      },
      allowPath: () => true,
      recent: async () => [],
      addRecent: async () => {},
    }),
    rendererDir,
    token: TOKEN,
    maxBodyBytes: 1024,
  })
})

afterAll(async () => {
  await server?.close()
  await session?.close()
})

describe('serve bridge', () => {
  it('listens on 127.0.0.1 and prints a URL with the token in the fragment', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/#token=${TOKEN}$`))
  })

  it('serves the renderer without the token, with a CSP and no CORS headers', async () => {
    const res = await request({ path: '/' })
    expect(res.status).toBe(200)
    expect(res.body.toString()).toContain('<title>app</title>')
    expect(res.headers['content-security-policy']).toContain("default-src 'self'")
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('answers a call with the token: a real pair, its mask exact', async () => {
    const res = await call('pair:open', { id: 'ISIC_0000000' })
    expect(res.status).toBe(200)
    const r = decodeWire(res.body) as { ok: true; value: OpenedPair }
    expect(r.ok).toBe(true)
    const direct = await session.openPair('ISIC_0000000')
    expect(r.value.id).toBe(direct.id)
    expect(Buffer.from(r.value.mask.data).equals(Buffer.from(direct.mask.data))).toBe(true)
    expect(Buffer.from(r.value.image.bytes).equals(Buffer.from(direct.image.bytes))).toBe(true)
    expect(r.value.counts).toEqual(direct.counts)
  })

  it.each([
    ['no token', undefined],
    ['a wrong token', 'x'.repeat(TOKEN.length)],
    ['a prefix of the token', TOKEN.slice(0, 5)],
  ])('refuses %s with 401 unauthorized', async (_label, token) => {
    const headers: Record<string, string> = token === undefined ? {} : { [TOKEN_HEADER]: token }
    const res = await request({ method: 'POST', path: '/api/app:info', headers, body: encodeWire(null) })
    expect(res.status).toBe(401)
    expect(decodeWire(res.body)).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
  })

  it('refuses a token passed in the query string instead of the header', async () => {
    const res = await request({
      method: 'POST',
      path: `/api/app:info?token=${TOKEN}`,
      body: encodeWire(null),
    })
    expect(res.status).toBe(401)
  })

  it('refuses an oversized body with 413', async () => {
    const res = await call('app:info', { pad: new Uint8Array(4096) })
    expect(res.status).toBe(413)
  })

  it('refuses path traversal out of the renderer folder', async () => {
    for (const p of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/../../secret.txt',
    ]) {
      const res = await request({ path: p })
      expect(res.body.toString()).not.toContain('outside the renderer')
      expect([403, 404]).toContain(res.status)
    }
  })

  it('serves renderer files whose names hold spaces, non-ASCII or a leading ..', async () => {
    for (const name of ['café ü.txt', '..notes.txt']) {
      writeFileSync(path.join(rendererDir, name), `file ${name}`)
      const res = await request({ path: '/' + encodeURIComponent(name) })
      expect(res.status).toBe(200)
      expect(res.body.toString()).toBe(`file ${name}`)
    }
  })

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const res = await request({ path: '/', headers: { host: 'evil.example:80' } })
    expect(res.status).toBe(421)
  })

  it('returns unknown-call and bad-request as data', async () => {
    expect(decodeWire((await call('fs:delete', null)).body)).toMatchObject({
      ok: false,
      error: { code: 'unknown-call' },
    })
    expect(decodeWire((await call('pair:open', { id: 'ISIC_1' })).body)).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    })
    const garbage = await request({
      method: 'POST',
      path: '/api/app:info',
      headers: { [TOKEN_HEADER]: TOKEN },
      body: Buffer.from('not wire'),
    })
    expect(garbage.status).toBe(400)
  })

  it('answers a domain error (an id not in the queue: not-found) as data with 200, not as a transport failure', async () => {
    const res = await call('queue:find', { id: 'ISIC_9999999' })
    expect(res.status).toBe(200)
    expect(decodeWire(res.body)).toMatchObject({ ok: false, error: { code: 'not-found' } })
    // A refused request keeps its 4xx.
    expect((await call('pair:open', { id: 'ISIC_1' })).status).toBe(400)
  })

  it('a malformed call name is bad-request (400), not an internal error', async () => {
    const res = await request({ method: 'POST', path: '/api/%ZZ', headers: { [TOKEN_HEADER]: TOKEN } })
    expect(res.status).toBe(400)
    expect(decodeWire(res.body)).toMatchObject({ ok: false, error: { code: 'bad-request' } })
  })

  it('refuses methods other than POST on the API', async () => {
    const res = await request({ method: 'GET', path: '/api/app:info', headers: { [TOKEN_HEADER]: TOKEN } })
    expect(res.status).toBe(405)
  })
})
