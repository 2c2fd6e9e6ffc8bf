import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CodedError } from '../../../../../shared/api/errors'
import {
  atomicWriteFile,
  isTempName,
  nodeAtomicFs,
  removeStaleTemps,
  type AtomicFs,
} from '../../../../../electron/services/fs/atomicWrite'

let dir: string

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-atomic-'))
})

afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true })
})

async function caught(p: Promise<unknown>): Promise<CodedError> {
  try {
    await p
  } catch (err) {
    if (err instanceof CodedError) return err
    throw err
  }
  throw new Error('expected a CodedError')
}

function failing(step: keyof AtomicFs, code: string): AtomicFs {
  return {
    ...nodeAtomicFs,
    [step]: async () => {
      throw Object.assign(new Error(`${code}: simulated`), { code })
    },
  }
}

async function listing(): Promise<string[]> {
  return (await fsp.readdir(dir)).sort()
}

describe('atomicWriteFile', () => {
  it('writes a new file and replaces an existing one, flushing before the rename and the folder after', async () => {
    const target = path.join(dir, 'a.bin')
    const calls: string[] = []
    const traced: AtomicFs = {
      open: (f, fl, m) => (calls.push('open'), nodeAtomicFs.open(f, fl, m)),
      write: (fh, d, o, l) => (calls.push('write'), nodeAtomicFs.write(fh, d, o, l)),
      fsync: (fh) => (calls.push('fsync'), nodeAtomicFs.fsync(fh)),
      rename: (a, b) => (calls.push('rename'), nodeAtomicFs.rename(a, b)),
      unlink: (f) => (calls.push('unlink'), nodeAtomicFs.unlink(f)),
      fsyncDir: (d) => (calls.push('fsyncDir'), nodeAtomicFs.fsyncDir(d)),
    }
    await atomicWriteFile(target, Buffer.from('first'), { fs: traced })
    expect(await fsp.readFile(target, 'utf8')).toBe('first')
    const verified: string[] = []
    await atomicWriteFile(target, Buffer.from('second, longer'), {
      fs: traced,
      verify: async (temp) => {
        calls.push('verify')
        verified.push(await fsp.readFile(temp, 'utf8'))
      },
    })
    expect(await fsp.readFile(target, 'utf8')).toBe('second, longer')
    expect(verified).toEqual(['second, longer'])
    expect(calls).toEqual([
      ...['open', 'write', 'fsync', 'rename', 'fsyncDir'],
      ...['open', 'write', 'fsync', 'verify', 'rename', 'fsyncDir'],
    ])
    expect(await listing()).toEqual(['a.bin'])
  })

  it('completes short writes', async () => {
    const target = path.join(dir, 'short.bin')
    const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i & 0xff))
    const short: AtomicFs = {
      ...nodeAtomicFs,
      write: (fh, d, o, l) => nodeAtomicFs.write(fh, d, o, Math.min(l, 777)),
    }
    await atomicWriteFile(target, data, { fs: short })
    expect((await fsp.readFile(target)).equals(data)).toBe(true)
  })

  it('maps a full disk to disk-full and leaves the old file and no temporary file', async () => {
    const target = path.join(dir, 'keep.bin')
    await atomicWriteFile(target, Buffer.from('old'))
    const err = await caught(
      atomicWriteFile(target, Buffer.alloc(1 << 16, 1), { fs: failing('write', 'ENOSPC') }),
    )
    expect(err.code).toBe('disk-full')
    expect(err.file).toBe(target)
    expect(await fsp.readFile(target, 'utf8')).toBe('old')
    expect((await fsp.readdir(dir)).filter(isTempName)).toEqual([])
    expect(
      (await caught(atomicWriteFile(target, Buffer.from('x'), { fs: failing('fsync', 'EDQUOT') }))).code,
    ).toBe('disk-full')
    expect(await fsp.readFile(target, 'utf8')).toBe('old')
  })

  it('maps read-only and permission errors to read-only, others to io-error', async () => {
    const target = path.join(dir, 'ro.bin')
    expect(
      (await caught(atomicWriteFile(target, Buffer.from('x'), { fs: failing('open', 'EROFS') }))).code,
    ).toBe('read-only')
    expect(
      (await caught(atomicWriteFile(target, Buffer.from('x'), { fs: failing('open', 'EACCES') }))).code,
    ).toBe('read-only')
    expect(
      (await caught(atomicWriteFile(target, Buffer.from('x'), { fs: failing('fsync', 'EIO') }))).code,
    ).toBe('io-error')
    await expect(fsp.stat(target)).rejects.toThrow()
    expect((await fsp.readdir(dir)).filter(isTempName)).toEqual([])
  })

  it('a failed verification or rename leaves the target untouched', async () => {
    const target = path.join(dir, 'verify.bin')
    await atomicWriteFile(target, Buffer.from('good'))
    const err = await caught(
      atomicWriteFile(target, Buffer.from('bad'), {
        verify: async () => {
          throw new CodedError('io-error', 'read back differs')
        },
      }),
    )
    expect(err.message).toBe('read back differs')
    expect(await fsp.readFile(target, 'utf8')).toBe('good')
    expect(
      (await caught(atomicWriteFile(target, Buffer.from('bad'), { fs: failing('rename', 'EXDEV') }))).code,
    ).toBe('io-error')
    expect(await fsp.readFile(target, 'utf8')).toBe('good')
    expect((await fsp.readdir(dir)).filter(isTempName)).toEqual([])
  })

  it('reports a folder flush failure after the file is in place', async () => {
    const target = path.join(dir, 'dirsync.bin')
    const err = await caught(atomicWriteFile(target, Buffer.from('new'), { fs: failing('fsyncDir', 'EIO') }))
    expect(err.code).toBe('io-error')
    expect(await fsp.readFile(target, 'utf8')).toBe('new')
  })
})

describe('temporary files', () => {
  it('are recognised by name (never a mask name) and removed by removeStaleTemps', async () => {
    expect(isTempName('.ISIC_0000001.png.0123456789ab.tmp')).toBe(true)
    expect(isTempName('ISIC_0000001.png')).toBe(false)
    expect(isTempName('.ISIC_0000001.png.tmp')).toBe(false)
    const sub = path.join(dir, 'stale')
    await fsp.mkdir(sub)
    await fsp.writeFile(path.join(sub, '.ISIC_0000001.png.0123456789ab.tmp'), 'x')
    await fsp.writeFile(path.join(sub, 'ISIC_0000001.png'), 'y')
    expect(await removeStaleTemps(sub)).toBe(1)
    expect(await fsp.readdir(sub)).toEqual(['ISIC_0000001.png'])
    expect(await removeStaleTemps(path.join(dir, 'missing'))).toBe(0)
  })
})
