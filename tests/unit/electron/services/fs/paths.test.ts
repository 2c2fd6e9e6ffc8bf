import { existsSync, promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { isWithin, makeFolder } from '../../../../../electron/services/fs/paths'

describe('isWithin', () => {
  it('posix: itself and children are inside; parents, siblings and ..-segments are not', () => {
    const p = path.posix
    expect(isWithin('/data/ws', '/data/ws', p)).toBe(true)
    expect(isWithin('/data/ws/masks/a.png', '/data/ws', p)).toBe(true)
    expect(isWithin('/data/ws/..x', '/data/ws', p)).toBe(true)
    expect(isWithin('/data/ws/..x/y', '/data/ws', p)).toBe(true)
    expect(isWithin('/data/ws2', '/data/ws', p)).toBe(false)
    expect(isWithin('/data', '/data/ws', p)).toBe(false)
    expect(isWithin('/data/ws/../other', '/data/ws', p)).toBe(false)
    expect(isWithin('/data/ws/a/../../ws/b', '/data/ws', p)).toBe(true)
    expect(isWithin('/Data/WS/x', '/data/ws', p)).toBe(false)
  })

  it('win32: drive letters and case fold, backslashes and forward slashes, other drives, UNC and long paths', () => {
    const w = path.win32
    expect(isWithin('C:\\Users\\Ann\\ws\\masks', 'C:\\Users\\Ann\\ws', w)).toBe(true)
    expect(isWithin('c:\\users\\ann\\WS\\masks', 'C:\\Users\\Ann\\ws', w)).toBe(true)
    expect(isWithin('C:/Users/Ann/ws/masks', 'C:\\Users\\Ann\\ws', w)).toBe(true)
    expect(isWithin('C:\\Users\\Ann\\ws\\..x', 'C:\\Users\\Ann\\ws', w)).toBe(true)
    expect(isWithin('C:\\Users\\Ann\\ws2', 'C:\\Users\\Ann\\ws', w)).toBe(false)
    expect(isWithin('D:\\Users\\Ann\\ws\\masks', 'C:\\Users\\Ann\\ws', w)).toBe(false)
    expect(isWithin('C:\\Users\\Ann\\ws\\..\\other', 'C:\\Users\\Ann\\ws', w)).toBe(false)
    expect(isWithin('\\\\server\\share\\ws\\a', '\\\\server\\share\\ws', w)).toBe(true)
    expect(isWithin('\\\\server\\share\\other', '\\\\server\\share\\ws', w)).toBe(false)
    expect(isWithin('\\\\?\\C:\\Very\\Long\\ws\\masks', '\\\\?\\C:\\Very\\Long\\ws', w)).toBe(true)
    expect(isWithin('C:\\Données\\espace de travail\\x', 'C:\\Données\\espace de travail', w)).toBe(true)
  })
})

describe('makeFolder', () => {
  it('makes the missing folders, accepts existing ones, and fails on a file in the way', async () => {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-mkdir-'))
    try {
      const deep = path.join(root, 'a', 'b', 'c')
      await makeFolder(deep)
      expect((await fsp.stat(deep)).isDirectory()).toBe(true)
      await makeFolder(deep)
      await makeFolder(root)
      await fsp.writeFile(path.join(root, 'file'), 'x')
      await expect(makeFolder(path.join(root, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' })
      // The file itself is not the folder asked for: EEXIST, as `mkdir -p` says, not a quiet success.
      await expect(makeFolder(path.join(root, 'file'))).rejects.toMatchObject({
        code: 'EEXIST',
        path: path.join(root, 'file'),
      })
      // A symbolic link to a folder is a folder.
      await fsp.symlink(deep, path.join(root, 'link'))
      await makeFolder(path.join(root, 'link'))
    } finally {
      await fsp.rm(root, { recursive: true, force: true })
    }
  })

  it.skipIf(!existsSync('/proc/self'))(
    "fails under /proc, where mkdir says ENOENT below an existing parent (Node's recursive mode loops forever there) (skipped: no /proc on this system)",
    async () => {
      await expect(makeFolder('/proc/wsm-no-such/dir')).rejects.toMatchObject({ code: 'ENOENT' })
    },
  )
})
