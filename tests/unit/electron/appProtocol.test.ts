import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveAppFile } from '../../../electron/appProtocol'

describe('the wsm://app/ handler path check, POSIX rules', () => {
  const dir = '/opt/WSM Curator/resources/app.asar/out/renderer'

  it('serves files of the renderer folder, the index for /', () => {
    expect(resolveAppFile('wsm://app/', dir, path.posix)).toEqual({ ok: true, file: `${dir}/index.html` })
    expect(resolveAppFile('wsm://app/assets/index-Bx1.js', dir, path.posix)).toEqual({
      ok: true,
      file: `${dir}/assets/index-Bx1.js`,
    })
    expect(resolveAppFile('wsm://app/assets/caf%C3%A9%20ü.png', dir, path.posix)).toEqual({
      ok: true,
      file: `${dir}/assets/café ü.png`,
    })
  })

  it('answers 404 for another host', () => {
    expect(resolveAppFile('wsm://evil/index.html', dir, path.posix)).toEqual({ ok: false, status: 404 })
    expect(resolveAppFile('wsm://app.evil/index.html', dir, path.posix)).toEqual({ ok: false, status: 404 })
  })

  it('keeps traversal inside the folder or refuses it', () => {
    // URL parsing already folds a literal ../ ; an encoded one is normalized inside the folder.
    expect(resolveAppFile('wsm://app/../../etc/passwd', dir, path.posix)).toEqual({
      ok: true,
      file: `${dir}/etc/passwd`,
    })
    expect(resolveAppFile('wsm://app/..%2F..%2Fetc%2Fpasswd', dir, path.posix)).toEqual({
      ok: true,
      file: `${dir}/etc/passwd`,
    })
    expect(resolveAppFile('wsm://app/%2E%2E', dir, path.posix)).toEqual({ ok: false, status: 403 })
  })

  it('answers 400 for a malformed escape or a NUL', () => {
    expect(resolveAppFile('wsm://app/%E0%A4%A', dir, path.posix)).toEqual({ ok: false, status: 400 })
    expect(resolveAppFile('wsm://app/index.html%00.png', dir, path.posix)).toEqual({ ok: false, status: 400 })
  })
})

describe('the wsm://app/ handler path check, Windows rules', () => {
  const dir = 'C:\\Program Files\\WSM Curator\\resources\\app.asar\\out\\renderer'
  const w = path.win32

  it('serves files of the renderer folder with backslashes', () => {
    expect(resolveAppFile('wsm://app/assets/index.js', dir, w)).toEqual({
      ok: true,
      file: `${dir}\\assets\\index.js`,
    })
  })

  it('refuses an encoded backslash traversal (a separator on Windows only)', () => {
    expect(resolveAppFile('wsm://app/..%5C..%5C..%5CWindows%5Cwin.ini', dir, w)).toEqual({
      ok: false,
      status: 403,
    })
    expect(resolveAppFile('wsm://app/assets%5C..%5C..%5Csecret', dir, w)).toEqual({ ok: false, status: 403 })
  })

  it('refuses a drive, a stream or a UNC path smuggled in the URL', () => {
    expect(resolveAppFile('wsm://app/C:%5CWindows%5Cwin.ini', dir, w)).toEqual({ ok: false, status: 400 })
    expect(resolveAppFile('wsm://app/index.html:secret', dir, w)).toEqual({ ok: false, status: 400 })
    const unc = resolveAppFile('wsm://app/%5C%5Cserver%5Cshare%5Cx', dir, w)
    expect(unc.ok && w.isAbsolute(unc.file) && unc.file.startsWith(dir)).toBe(true)
  })

  it('works from a \\\\?\\ long path and folds case like the volume does', () => {
    const long = `\\\\?\\${dir}`
    expect(resolveAppFile('wsm://app/index.html', long, w)).toEqual({ ok: true, file: `${long}\\index.html` })
    expect(resolveAppFile('wsm://app/..%5C..%5Cx', long, w)).toEqual({ ok: false, status: 403 })
    expect(resolveAppFile('wsm://app/x.js', dir.toLowerCase(), w)).toEqual({
      ok: true,
      file: `${dir.toLowerCase()}\\x.js`,
    })
  })
})
