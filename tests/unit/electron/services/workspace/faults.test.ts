import { execFileSync, spawn } from 'node:child_process'
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeMaskPng } from '../../../../../electron/services/mask/maskPng'
import { nodeAtomicFs, type AtomicFs } from '../../../../../electron/services/fs/atomicWrite'
import { openSqlite } from '../../../../../electron/services/workspace/sqlite'
import { Workspace, type OpenWorkspaceOptions } from '../../../../../electron/services/workspace/workspace'
import { drawMask, formatOf, hashTree, makeSources, resolveUncertain, type Sources } from './fixtures'
import { caught } from '../../../../support/datasetFixtures'

let root: string
let sources: Sources
const open: Workspace[] = []
const immutable: string[] = []
let n = 0

async function fresh(): Promise<Workspace> {
  const ws = await Workspace.create(path.join(root, `ws-${n++}`), {
    masks: sources.masks,
    images: [sources.images],
    curator: 'ana',
  })
  open.push(ws)
  return ws
}

async function reopen(dir: string, options: OpenWorkspaceOptions = {}): Promise<Workspace> {
  const ws = await Workspace.open(dir, options)
  open.push(ws)
  return ws
}

async function closeAll(): Promise<void> {
  while (open.length) await open.pop()!.close()
}

/** chattr +i: not even root may create, delete or rename entries (a real read-only folder). */
function canChattr(): boolean {
  try {
    execFileSync('chattr', ['--help'], { stdio: 'ignore' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
  }
  return process.platform === 'linux'
}

function setImmutable(p: string, on: boolean): void {
  execFileSync('chattr', [on ? '+i' : '-i', p])
  if (on) immutable.push(p)
}

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-faults-'))
  sources = await makeSources(path.join(root, 'src'))
})

afterEach(async () => {
  await closeAll()
  while (immutable.length) setImmutable(immutable.pop()!, false)
})

afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true })
})

describe('read-only workspaces', () => {
  it('opened read-only: reads work, every write is refused with read-only, nothing changes on disk', async () => {
    const ws = await fresh()
    await ws.saveMask('ISIC_0000001', resolveUncertain((await ws.readCurrentMask('ISIC_0000001')).map, 1, 5))
    const dir = ws.dir
    await closeAll()
    const before = await hashTree(dir)
    const ro = await reopen(dir, { readOnly: true })
    expect(ro.readOnlyReason).toBe('requested')
    expect((await ro.readCurrentMask('ISIC_0000001')).origin).toBe('corrected')
    expect(ro.pairState('ISIC_0000001').status).toBe('corrected')
    const map = (await ro.readCurrentMask('ISIC_0000002')).map
    expect((await caught(ro.saveMask('ISIC_0000002', map))).code).toBe('read-only')
    expect((await caught(ro.setStatus('ISIC_0000002', 'accepted'))).code).toBe('read-only')
    expect((await caught(ro.startStatsScan())).code).toBe('read-only')
    ro.uiState.set('lastPair', 'ISIC_0000002') // kept in memory only
    expect(ro.uiState.get('lastPair')).toBe('ISIC_0000002')
    await closeAll()
    expect(await hashTree(dir)).toEqual(before)
  })

  it.runIf(canChattr())(
    'a folder that cannot be written opens read-only by itself (skipped without chattr: needs an immutable folder)',
    async () => {
      const ws = await fresh()
      const dir = ws.dir
      await closeAll()
      const before = await hashTree(dir)
      setImmutable(dir, true)
      setImmutable(path.join(dir, 'masks'), true)
      const ro = await reopen(dir)
      expect(ro.readOnlyReason).toBe('unwritable')
      const map = (await ro.readCurrentMask('ISIC_0000001')).map
      const err = await caught(ro.saveMask('ISIC_0000001', map))
      expect(err.code).toBe('read-only')
      expect(err.message).toMatch(/not writable/)
      await closeAll()
      expect(await hashTree(dir)).toEqual(before)
    },
  )

  it.runIf(canChattr())(
    'a database left in WAL mode by a crash still opens from a read-only folder (skipped without chattr: needs an immutable folder)',
    async () => {
      const ws = await fresh()
      await ws.setStatus('ISIC_0000003', 'rejected')
      const dir = ws.dir
      await closeAll()
      // A child process opens the workspace, records a decision, and is killed: the WAL stays.
      const db = path.join(dir, 'workspace.sqlite')
      const script = `
      const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))})
      const db = new Database(${JSON.stringify(db)})
      db.pragma('journal_mode = WAL')
      db.prepare("UPDATE pairs SET status = 'flagged' WHERE id = 'ISIC_0000004'").run()
      process.kill(process.pid, 'SIGKILL')`
      await new Promise((resolve) => spawn(process.execPath, ['-e', script]).on('exit', resolve))
      await expect(fsp.stat(`${db}-wal`)).resolves.toBeTruthy()
      await fsp.rm(`${db}-shm`, { force: true })
      setImmutable(dir, true)
      const ro = await reopen(dir)
      expect(ro.readOnlyReason).toBe('unwritable')
      expect(ro.pairState('ISIC_0000003').status).toBe('rejected')
      expect(ro.pairState('ISIC_0000004').status).toBe('flagged')
      expect(ro.notices.join()).toMatch(/snapshot/)
    },
  )
})

describe('a full disk', () => {
  it('refuses the save with disk-full, keeps the previous mask and state, leaves no temporary file', async () => {
    const ws = await fresh()
    const id = 'ISIC_0000001'
    const source = (await ws.readCurrentMask(id)).map
    const first = await ws.saveMask(id, resolveUncertain(source, 1, 10))
    const firstBytes = await fsp.readFile(first.file)
    const dir = ws.dir
    await closeAll()

    let failWrites = true
    const full: AtomicFs = {
      ...nodeAtomicFs,
      write: async (fh, data, offset, length) => {
        if (!failWrites) return nodeAtomicFs.write(fh, data, offset, length)
        // Half the bytes fit, then the disk is full.
        await nodeAtomicFs.write(fh, data, offset, Math.floor(length / 2))
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
      },
    }
    const ws2 = await reopen(dir, { fs: full })
    const err = await caught(ws2.saveMask(id, resolveUncertain(source, 0, 20)))
    expect(err.code).toBe('disk-full')
    expect(await fsp.readFile(first.file)).toEqual(firstBytes)
    expect(await fsp.readdir(path.join(dir, 'masks'))).toEqual([`${id}.png`])
    expect(ws2.events(id).length).toBe(1)
    expect(ws2.pairState(id).stats!.uncertain).toBe(first.stats.uncertain)

    failWrites = false
    const second = await ws2.saveMask(id, resolveUncertain(source, 0, 20))
    // Against the previous corrected mask: its 10 resolved pixels 1 → 0, and 10 more 255 → 0.
    expect(second.transitions).toEqual([
      { from: 1, to: 0, pixels: 10 },
      { from: 255, to: 0, pixels: 10 },
    ])
    await closeAll()
    const db = openSqlite(path.join(dir, 'workspace.sqlite'), { readonly: true })
    expect(db.prepare('SELECT count(*) FROM pending_saves').pluck().get()).toBe(0)
    db.close()
  })

  it('a save whose rename happened before a failure is completed, in the session or on reopening', async () => {
    const ws = await fresh()
    const dir = ws.dir
    await closeAll()
    let failDirSync = true
    const flaky: AtomicFs = {
      ...nodeAtomicFs,
      fsyncDir: async (d) => {
        if (failDirSync) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })
        return nodeAtomicFs.fsyncDir(d)
      },
    }
    const ws2 = await reopen(dir, { fs: flaky })
    const a = resolveUncertain((await ws2.readCurrentMask('ISIC_0000001')).map, 1, 7)
    expect((await caught(ws2.saveMask('ISIC_0000001', a))).code).toBe('io-error')
    failDirSync = false
    // The next change first completes the interrupted save.
    await ws2.setStatus('ISIC_0000003', 'accepted')
    const [saveEvent] = ws2.events('ISIC_0000001')
    expect(saveEvent).toMatchObject({
      kind: 'save',
      recovered: true,
      transitions: [{ from: 255, to: 1, pixels: 7 }],
    })
    expect(ws2.pairState('ISIC_0000001').status).toBe('corrected')

    failDirSync = true
    const b = resolveUncertain((await ws2.readCurrentMask('ISIC_0000002')).map, 0, 3)
    expect((await caught(ws2.saveMask('ISIC_0000002', b))).code).toBe('io-error')
    await closeAll()
    const ws3 = await reopen(dir)
    expect(ws3.events('ISIC_0000002')[0]).toMatchObject({ kind: 'save', recovered: true })
    expect(ws3.pairState('ISIC_0000002').status).toBe('corrected')
    expect(ws3.notices.join('\n')).toMatch(/ISIC_0000002: a mask save interrupted by a crash had completed/)
  })
})

describe('a second instance', () => {
  it('is refused with workspace-locked naming the holder, or opens read-only on request', async () => {
    const ws = await fresh()
    const err = await caught(Workspace.open(ws.dir))
    expect(err.code).toBe('workspace-locked')
    expect(err.message).toContain(`process ${process.pid}`)
    const ro = await reopen(ws.dir, { ifLocked: 'read-only' })
    expect(ro.readOnlyReason).toBe('locked')
    await ws.setStatus('ISIC_0000001', 'accepted')
    // The reader sees the writer's committed changes (WAL).
    expect(ro.pairState('ISIC_0000001').status).toBe('accepted')
    const dir = ws.dir
    await closeAll()
    const again = await reopen(dir)
    expect(again.readOnly).toBe(false)
  })

  it('the lock of a killed process is released by the OS: no stale lock', async () => {
    const ws = await fresh()
    const dir = ws.dir
    await closeAll()
    const lockFile = path.join(dir, 'workspace.lock')
    const script = `
      const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))})
      const db = new Database(${JSON.stringify(lockFile)}, { timeout: 0 })
      db.pragma('locking_mode = EXCLUSIVE'); db.pragma('journal_mode = OFF')
      db.exec('BEGIN EXCLUSIVE'); db.exec('CREATE TABLE IF NOT EXISTS held (n INTEGER)'); db.exec('COMMIT')
      process.stdout.write('locked\\n'); setInterval(() => {}, 1000)`
    const child = spawn(process.execPath, ['-e', script])
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
    expect((await caught(Workspace.open(dir))).code).toBe('workspace-locked')
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    const ws2 = await reopen(dir)
    expect(ws2.readOnly).toBe(false)
  })
})

describe('a damaged database', () => {
  it('is reported clearly; the masks stay usable; rebuild adopts them and salvages what it can', async () => {
    const ws = await fresh()
    const id = 'ISIC_0000002'
    const saved = await ws.saveMask(id, resolveUncertain((await ws.readCurrentMask(id)).map, 1, 9))
    await ws.setStatus('ISIC_0000004', 'rejected')
    const dir = ws.dir
    await closeAll()
    const maskBytes = await fsp.readFile(saved.file)
    const dbFile = path.join(dir, 'workspace.sqlite')
    const bytes = await fsp.readFile(dbFile)
    // Scribble over every page after the first (the header stays readable).
    for (let i = 4096; i < bytes.length; i += 97) bytes[i] = (bytes[i] + 113) & 0xff
    await fsp.writeFile(dbFile, bytes)

    const err = await caught(Workspace.open(dir))
    expect(err.code).toBe('workspace-corrupt')
    expect(err.message).toContain(path.join(dir, 'masks'))
    expect(err.message).toContain('--rebuild')
    expect(await fsp.readFile(saved.file)).toEqual(maskBytes)

    const { workspace, movedTo, salvaged } = await Workspace.rebuild(dir)
    open.push(workspace)
    expect(movedTo).toMatch(/workspace\.sqlite\.damaged-/)
    await expect(fsp.stat(movedTo!)).resolves.toBeTruthy()
    expect(salvaged.pairs).toBeGreaterThanOrEqual(0)
    const state = workspace.pairState(id)
    expect(state).toMatchObject({ status: 'corrected', corrected: true })
    expect(workspace.events(id)[0]).toMatchObject({
      kind: 'adopted',
      to: 'corrected',
      maskSha256: saved.sha256,
    })
    expect(Buffer.from((await workspace.readCurrentMask(id)).map.data)).toEqual(
      Buffer.from(resolveUncertain(drawMask(sources.specs[1]), 1, 9).data),
    )
  })

  it('rebuild keeps the salvaged events’ seq numbers; new events continue after them', async () => {
    const ws = await fresh()
    for (const id of ['ISIC_0000001', 'ISIC_0000002', 'ISIC_0000003']) await ws.setStatus(id, 'accepted')
    const before = ws.events().map((e) => [e.seq, e.id, e.at])
    const dir = ws.dir
    await closeAll()
    // The first event cannot be salvaged (a garbled row): the others must keep their numbers.
    const db = openSqlite(path.join(dir, 'workspace.sqlite'))
    db.exec(`DROP TRIGGER events_append_only_update;
      UPDATE events SET to_status = 'garbled' WHERE seq = (SELECT min(seq) FROM events);`)
    db.close()
    const { workspace, salvaged } = await Workspace.rebuild(dir)
    open.push(workspace)
    expect(salvaged.events).toBe(before.length - 1)
    expect(workspace.events().map((e) => [e.seq, e.id, e.at])).toEqual(before.slice(0, -1))
    await workspace.setStatus('ISIC_0000004', 'rejected')
    expect(workspace.events()[0].seq).toBeGreaterThan(before[0][0] as number)
  })

  it('a file that is not a database at all is also workspace-corrupt', async () => {
    const ws = await fresh()
    const dir = ws.dir
    await closeAll()
    await fsp.writeFile(path.join(dir, 'workspace.sqlite'), Buffer.alloc(8192, 0x5a))
    expect((await caught(Workspace.open(dir))).code).toBe('workspace-corrupt')
  })

  it('a database from a newer app is refused with workspace-version', async () => {
    const ws = await fresh()
    const dir = ws.dir
    await closeAll()
    const db = openSqlite(path.join(dir, 'workspace.sqlite'))
    db.pragma('user_version = 99')
    db.close()
    expect((await caught(Workspace.open(dir))).code).toBe('workspace-version')
  })
})

describe('reconciling masks/ on opening', () => {
  it('removes temporary files, adopts valid unknown masks, quarantines invalid ones, flags vanished ones', async () => {
    const ws = await fresh()
    const kept = await ws.saveMask(
      'ISIC_0000001',
      resolveUncertain((await ws.readCurrentMask('ISIC_0000001')).map, 0, 4),
    )
    const gone = await ws.saveMask('ISIC_0000003', (await ws.readCurrentMask('ISIC_0000003')).map)
    const dir = ws.dir
    await closeAll()
    const masks = path.join(dir, 'masks')
    await fsp.writeFile(path.join(masks, '.ISIC_0000001.png.0123456789ab.tmp'), 'half a png')
    await fsp.writeFile(path.join(masks, '.ISIC_0000005.png.ba9876543210.tmp'), Buffer.alloc(0))
    // A valid mask made elsewhere, and a mask of the wrong size.
    await fsp.writeFile(
      path.join(masks, 'ISIC_0000004.png'),
      encodeMaskPng(resolveUncertain(drawMask(sources.specs[3]), 1, 3), formatOf('grey')),
    )
    await fsp.writeFile(
      path.join(masks, 'ISIC_0000005.png'),
      encodeMaskPng(drawMask({ ...sources.specs[4], width: 10, height: 10 }), formatOf('grey')),
    )
    await fsp.rm(gone.file)

    const ws2 = await reopen(dir)
    const names = (await fsp.readdir(masks)).sort()
    expect(names).toEqual(['ISIC_0000001.png', 'ISIC_0000004.png'])
    expect(ws2.pairState('ISIC_0000001')).toMatchObject({ status: 'corrected' })
    expect(ws2.events('ISIC_0000001')[0].maskSha256).toBe(kept.sha256)
    expect(ws2.pairState('ISIC_0000004')).toMatchObject({ status: 'corrected', corrected: true })
    expect(ws2.events('ISIC_0000004')[0]).toMatchObject({ kind: 'adopted' })
    expect(ws2.pairState('ISIC_0000005')).toMatchObject({ status: 'unreviewed', corrected: false })
    const quarantined = await fsp.readdir(path.join(dir, 'cache', 'quarantine'))
    expect(quarantined).toHaveLength(1)
    expect(quarantined[0]).toMatch(/^ISIC_0000005\./)
    expect(ws2.pairState('ISIC_0000003')).toMatchObject({ status: 'flagged', corrected: false })
    expect(ws2.events('ISIC_0000003')[0]).toMatchObject({
      kind: 'mask-missing',
      from: 'corrected',
      to: 'flagged',
    })
    expect((await ws2.readCurrentMask('ISIC_0000003')).origin).toBe('source')
    expect(ws2.notices.join('\n')).toMatch(/removed 2 temporary file/)
  })

  it('a corrected mask whose source cannot be read at open is left as it is, not quarantined', async () => {
    const src = await makeSources(path.join(root, `src-folder-${n}`), { masksAs: 'folder' })
    const ws = await Workspace.create(path.join(root, `ws-${n++}`), {
      masks: src.masks,
      images: [src.images],
      curator: 'ana',
    })
    open.push(ws)
    const id = 'ISIC_0000002'
    const source = (await ws.readCurrentMask(id)).map
    const saved = await ws.saveMask(id, resolveUncertain(source, 1, 2))
    const dir = ws.dir
    await closeAll()
    // Edited outside the app (so the open checks it), while its source mask is away (a drive not
    // mounted, a folder being synced): the pair is not in the dataset this time.
    const edited = encodeMaskPng(resolveUncertain(source, 0, 3), formatOf('palette'))
    await fsp.writeFile(saved.file, edited)
    const sourceFile = path.join(src.masks, 'ISIC_WSM_labels', `${id}.png`)
    await fsp.rename(sourceFile, `${sourceFile}.away`)
    const ws2 = await reopen(dir)
    expect((await fsp.readFile(saved.file)).equals(edited)).toBe(true)
    expect(ws2.notices.join('\n')).toMatch(/was left as it is/)
    await expect(fsp.readdir(path.join(dir, 'cache', 'quarantine'))).rejects.toThrow()
    await closeAll()
    // The source is back: the edited file is recorded as the new version, nothing lost.
    await fsp.rename(`${sourceFile}.away`, sourceFile)
    const ws3 = await reopen(dir)
    expect(ws3.pairState(id)).toMatchObject({ status: 'corrected', corrected: true })
    expect(ws3.events(id)[0]).toMatchObject({ kind: 'mask-changed' })
  })

  /**
   * A workspace (closed) whose masks/ holds a curator's mask for ISIC_0000002 with no row (a
   * database restored from an older copy), while that pair's source cannot be read (a folder
   * mid-sync; `sourceBytes` puts it back): an open leaves the file as it is.
   */
  async function unrecordedWithSourceAway() {
    const src = await makeSources(path.join(root, `src-folder-${n}`), { masksAs: 'folder' })
    const ws = await Workspace.create(path.join(root, `ws-${n++}`), {
      masks: src.masks,
      images: [src.images],
      curator: 'ana',
    })
    open.push(ws)
    const id = 'ISIC_0000002'
    const source = (await ws.readCurrentMask(id)).map
    const dir = ws.dir
    await closeAll()
    const work = encodeMaskPng(resolveUncertain(source, 1, 4), formatOf('grey'))
    const unrecorded = path.join(dir, 'masks', `${id}.png`)
    await fsp.writeFile(unrecorded, work)
    const sourceFile = path.join(src.masks, 'ISIC_WSM_labels', `${id}.png`)
    const sourceBytes = await fsp.readFile(sourceFile)
    await fsp.writeFile(sourceFile, Buffer.alloc(200, 0x5a))
    return { id, source, dir, work, unrecorded, sourceFile, sourceBytes }
  }

  it('an unrecorded mask file left as it is at open is quarantined, not overwritten, by a later save', async () => {
    const { id, source, dir, work, unrecorded, sourceFile, sourceBytes } = await unrecordedWithSourceAway()
    const ws2 = await reopen(dir)
    expect(ws2.notices.join('\n')).toMatch(/was left as it is/)
    expect((await fsp.readFile(unrecorded)).equals(work)).toBe(true)
    // The source is readable again during the session: the editor shows it, and the curator saves.
    await fsp.writeFile(sourceFile, sourceBytes)
    expect((await ws2.readCurrentMask(id)).origin).toBe('source')
    const saved = await ws2.saveMask(id, resolveUncertain(source, 0, 6))
    expect(saved.state).toMatchObject({ status: 'corrected', corrected: true })
    // The unrecorded work was moved aside with a notice, byte for byte, before the save replaced it.
    const qdir = path.join(dir, 'cache', 'quarantine')
    const quarantined = await fsp.readdir(qdir)
    expect(quarantined).toHaveLength(1)
    expect(quarantined[0]).toMatch(new RegExp(`^${id}\\.`))
    expect((await fsp.readFile(path.join(qdir, quarantined[0]))).equals(work)).toBe(true)
    expect(ws2.notices.join('\n')).toContain(path.join(qdir, quarantined[0]))
  })

  it('a save over an unrecorded mask file that fails leaves the file in masks/, and nothing in quarantine (review 6b, finding 5)', async () => {
    const { id, source, dir, work, unrecorded, sourceFile, sourceBytes } = await unrecordedWithSourceAway()
    let failWrites = true
    const full: AtomicFs = {
      ...nodeAtomicFs,
      write: async (fh, data, offset, length) => {
        if (!failWrites) return nodeAtomicFs.write(fh, data, offset, length)
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
      },
    }
    const ws2 = await reopen(dir, { fs: full })
    expect((await fsp.readFile(unrecorded)).equals(work)).toBe(true)
    await fsp.writeFile(sourceFile, sourceBytes)
    // The save fails on a full disk: the curator's file is still in masks/, byte for byte.
    expect((await caught(ws2.saveMask(id, resolveUncertain(source, 0, 6)))).code).toBe('disk-full')
    expect((await fsp.readFile(unrecorded)).equals(work)).toBe(true)
    const qdir = path.join(dir, 'cache', 'quarantine')
    expect(await fsp.readdir(qdir).catch(() => [])).toEqual([])
    expect(ws2.notices.join('\n')).not.toMatch(/before saving over it/)
    // Once there is room, the save replaces it and the work is kept in quarantine, with the notice.
    failWrites = false
    const saved = await ws2.saveMask(id, resolveUncertain(source, 0, 6))
    expect(saved.state).toMatchObject({ status: 'corrected', corrected: true })
    const quarantined = await fsp.readdir(qdir)
    expect(quarantined).toHaveLength(1)
    expect((await fsp.readFile(path.join(qdir, quarantined[0]))).equals(work)).toBe(true)
    expect((await fsp.readFile(unrecorded)).equals(work)).toBe(false)
    expect(ws2.notices.join('\n')).toContain(path.join(qdir, quarantined[0]))
  })

  it('a file named masks in place of the folder is refused at open with io-error, saying so', async () => {
    const ws = await fresh()
    const dir = ws.dir
    await closeAll()
    await fsp.rm(path.join(dir, 'masks'), { recursive: true })
    await fsp.writeFile(path.join(dir, 'masks'), 'not a folder')
    const err = await caught(Workspace.open(dir))
    expect(err.code).toBe('io-error')
    expect(err.message).toMatch(/cannot create .*masks: EEXIST/)
    expect(await fsp.readFile(path.join(dir, 'masks'), 'utf8')).toBe('not a folder')
  })

  it('records a corrected mask edited outside the app', async () => {
    const ws = await fresh()
    const id = 'ISIC_0000005'
    const source = (await ws.readCurrentMask(id)).map
    await ws.saveMask(id, resolveUncertain(source, 1, 2))
    const dir = ws.dir
    await closeAll()
    await fsp.writeFile(
      path.join(dir, 'masks', `${id}.png`),
      encodeMaskPng(resolveUncertain(source, 0, 50), formatOf('palette')),
    )
    const ws2 = await reopen(dir)
    expect(ws2.events(id)[0]).toMatchObject({ kind: 'mask-changed', from: 'corrected', to: 'corrected' })
    expect(ws2.pairState(id).stats!.uncertain).toBe(source.data.filter((v) => v === 255).length - 50)
  })
})
