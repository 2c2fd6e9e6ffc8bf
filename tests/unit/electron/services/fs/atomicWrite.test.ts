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
import { caught } from '../../../../support/datasetFixtures'

let dir: string

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-atomic-'))
})

afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true })
})

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
      write: (fd, d, o, l) => (calls.push('write'), nodeAtomicFs.write(fd, d, o, l)),
      read: (fd, d, o, l, p) => (calls.push('read'), nodeAtomicFs.read(fd, d, o, l, p)),
      fsync: (fd) => (calls.push('fsync'), nodeAtomicFs.fsync(fd)),
      mtime: (fd) => (calls.push('mtime'), nodeAtomicFs.mtime(fd)),
      close: (fd) => (calls.push('close'), nodeAtomicFs.close(fd)),
      link: (a, b) => (calls.push('link'), nodeAtomicFs.link(a, b)),
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
      ...['open', 'write', 'fsync', 'mtime', 'close', 'rename', 'fsyncDir'],
      ...['open', 'write', 'fsync', 'mtime', 'close', 'verify', 'rename', 'fsyncDir'],
    ])
    expect(await listing()).toEqual(['a.bin'])
  })

  it('completes short writes', async () => {
    const target = path.join(dir, 'short.bin')
    const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i & 0xff))
    const short: AtomicFs = {
      ...nodeAtomicFs,
      write: (fd, d, o, l) => nodeAtomicFs.write(fd, d, o, Math.min(l, 777)),
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

  it('keeps the first error when the close after it fails too; a close failing alone still fails the write', async () => {
    const target = path.join(dir, 'close.bin')
    await atomicWriteFile(target, Buffer.from('old'))
    const closeFails = (base: AtomicFs): AtomicFs => ({
      ...base,
      close: async (fd) => {
        await nodeAtomicFs.close(fd)
        throw Object.assign(new Error('EIO: simulated close'), { code: 'EIO' })
      },
    })
    const first = await caught(
      atomicWriteFile(target, Buffer.from('new'), { fs: closeFails(failing('write', 'ENOSPC')) }),
    )
    expect(first.code).toBe('disk-full')
    const alone = await caught(atomicWriteFile(target, Buffer.from('new'), { fs: closeFails(nodeAtomicFs) }))
    expect(alone.code).toBe('io-error')
    expect(await fsp.readFile(target, 'utf8')).toBe('old')
    expect((await fsp.readdir(dir)).filter(isTempName)).toEqual([])
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

  it('reads the flushed file back through its handle and abandons the write when it differs', async () => {
    const target = path.join(dir, 'readback.bin')
    await atomicWriteFile(target, Buffer.from('old'))
    const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff))
    const reads: number[] = []
    const counted: AtomicFs = {
      ...nodeAtomicFs,
      read: async (fd, into, o, l, p) => {
        const n = await nodeAtomicFs.read(fd, into, o, l, p)
        reads.push(n)
        return n
      },
    }
    const written = await atomicWriteFile(target, data, { fs: counted, readBack: true })
    expect(await fsp.readFile(target)).toEqual(data)
    // One read asking for a byte more than was sent got all of them and no more.
    expect(reads).toEqual([data.length])
    expect(written.mtimeMs).toBe((await fsp.stat(target)).mtimeMs)

    // A disk that flips a bit, one that returns a byte more than was written, one that lost the end.
    const corrupt: AtomicFs = {
      ...nodeAtomicFs,
      read: async (fd, into, o, l, p) => {
        const n = await nodeAtomicFs.read(fd, into, o, l, p)
        if (n > 0) into[o] ^= 1
        return n
      },
    }
    const longer: AtomicFs = {
      ...nodeAtomicFs,
      read: async (fd, into, o, l, p) => {
        const n = await nodeAtomicFs.read(fd, into, o, l, p)
        return n === l - 1 ? (into.fill(0, o + n, o + l), l) : n
      },
    }
    const shorter: AtomicFs = {
      ...nodeAtomicFs,
      read: async (fd, into, o, l, p) => Math.max(0, (await nodeAtomicFs.read(fd, into, o, l, p)) - 10),
    }
    for (const fs of [corrupt, longer, shorter]) {
      const err = await caught(atomicWriteFile(target, data, { fs, readBack: true }))
      expect(err.code).toBe('io-error')
      expect(err.message).toMatch(/differs from the data sent \(read back\)/)
      expect(await fsp.readFile(target)).toEqual(data)
      expect((await fsp.readdir(dir)).filter(isTempName)).toEqual([])
    }
    // Without readBack nothing is read.
    reads.length = 0
    await atomicWriteFile(target, Buffer.from('new'), { fs: counted })
    expect(reads).toEqual([])
  })

  it('runs whileFlushing during the flush and before the rename; its error abandons the write as is', async () => {
    const target = path.join(dir, 'flushing.bin')
    const calls: string[] = []
    let flushing = false
    const traced: AtomicFs = {
      ...nodeAtomicFs,
      fsync: async (fd) => {
        calls.push('fsync started')
        flushing = true
        await nodeAtomicFs.fsync(fd)
        flushing = false
        calls.push('fsync done')
      },
      rename: (a, b) => (calls.push('rename'), nodeAtomicFs.rename(a, b)),
    }
    await atomicWriteFile(target, Buffer.from('one'), {
      fs: traced,
      whileFlushing: () => {
        calls.push(flushing ? 'hook while flushing' : 'hook outside the flush')
      },
    })
    expect(calls).toEqual(['fsync started', 'hook while flushing', 'fsync done', 'rename'])
    expect(await fsp.readFile(target, 'utf8')).toBe('one')

    class Refused extends Error {}
    const refusal = new Refused('the database refused')
    calls.length = 0
    let thrown: unknown
    try {
      await atomicWriteFile(target, Buffer.from('two'), {
        fs: traced,
        whileFlushing: () => {
          throw refusal
        },
      })
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBe(refusal)
    expect(calls).toEqual(['fsync started', 'fsync done'])
    expect(await fsp.readFile(target, 'utf8')).toBe('one')
    expect((await fsp.readdir(dir)).filter(isTempName)).toEqual([])

    // A write that fails before its flush never calls the hook.
    let called = false
    const err = await caught(
      atomicWriteFile(target, Buffer.from('three'), {
        fs: failing('write', 'ENOSPC'),
        whileFlushing: () => {
          called = true
        },
      }),
    )
    expect(err.code).toBe('disk-full')
    expect(called).toBe(false)
  })

  it('freeOldLater: the rename replaces a second name of the old file, removed while the folder flushes', async () => {
    const target = path.join(dir, 'later.bin')
    const calls: string[] = []
    let renamedOver: { nlink: number } | undefined
    const traced: AtomicFs = {
      ...nodeAtomicFs,
      link: (a, b) => (calls.push('link'), nodeAtomicFs.link(a, b)),
      rename: async (a, b) => {
        calls.push('rename')
        renamedOver = await fsp.stat(b).catch(() => undefined)
        return nodeAtomicFs.rename(a, b)
      },
      unlink: (f) => (
        calls.push(isTempName(path.basename(f)) ? 'unlink temp' : 'unlink ?'),
        nodeAtomicFs.unlink(f)
      ),
      fsyncDir: (d) => (calls.push('fsyncDir'), nodeAtomicFs.fsyncDir(d)),
    }
    // No old file: nothing to keep.
    const first = await atomicWriteFile(target, Buffer.from('old'), { fs: traced, freeOldLater: true })
    await first.freed
    expect(calls).toEqual(['link', 'rename', 'fsyncDir'])
    expect(renamedOver).toBeUndefined()

    calls.length = 0
    const oldIno = (await fsp.stat(target)).ino
    const second = await atomicWriteFile(target, Buffer.from('new'), { fs: traced, freeOldLater: true })
    await second.freed
    // The old file had two names when the rename replaced one of them.
    expect(renamedOver).toMatchObject({ nlink: 2, ino: oldIno })
    expect(calls.slice(0, 2)).toEqual(['link', 'rename'])
    expect(calls.slice(2).sort()).toEqual(['fsyncDir', 'unlink temp'])
    expect(await fsp.readFile(target, 'utf8')).toBe('new')
    expect((await fsp.readdir(dir)).filter(isTempName)).toEqual([])

    // A failed verification keeps the old file under its own name and removes the second one.
    const err = await caught(
      atomicWriteFile(target, Buffer.from('bad'), {
        freeOldLater: true,
        verify: async () => {
          throw new CodedError('io-error', 'refused')
        },
      }),
    )
    expect(err.message).toBe('refused')
    expect(await fsp.readFile(target, 'utf8')).toBe('new')
    expect((await fsp.stat(target)).nlink).toBe(1)
    expect((await fsp.readdir(dir)).filter(isTempName)).toEqual([])

    // A file system without hard links: the rename frees the old file itself.
    const noLinks = await atomicWriteFile(target, Buffer.from('plain'), {
      fs: failing('link', 'EPERM'),
      freeOldLater: true,
    })
    await noLinks.freed
    expect(await fsp.readFile(target, 'utf8')).toBe('plain')
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
