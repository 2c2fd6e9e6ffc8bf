import { describe, expect, it } from 'vitest'
import type { OpenedPair } from '../../../../shared/api/contract'
import type { Result } from '../../../../shared/api/result'
import type { PreparedView } from '../../../../renderer/src/editor/editorView'
import { ReadAhead, type ReadyPair } from '../../../../renderer/src/editor/readAhead'
import type { EditorViewPort } from '../../../../renderer/src/editor/viewPort'

/** A promise settled from outside, to let a request be in flight while the test acts. */
function deferred<T>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** Lets every settled promise run its continuations. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0))

function opened(id: string): OpenedPair {
  return {
    id,
    image: { name: `${id}.jpg`, mime: 'image/jpeg', bytes: new TextEncoder().encode(`bytes of ${id}`) },
    mask: { width: 2, height: 1, data: new Uint8Array([255, 1]), origin: 'source' },
    counts: { background: 0, lesion: 1, uncertain: 1, invalid: 0 },
    state: {} as OpenedPair['state'],
    converted: false,
    base: '',
  }
}

interface FakeImage {
  of: string
  closed: boolean
}

/**
 * A fake API (requests held until answered), decoder and view: everything the read-ahead touches,
 * with a record of what was opened, closed and given back.
 */
function world(opts: { decodeFails?: boolean; noView?: boolean } = {}) {
  const requests = new Map<string, { resolve(r: Result<OpenedPair>): void }>()
  const openedIds: string[] = []
  const closed: string[] = []
  const released: string[] = []
  const port: EditorViewPort = {
    labelsChanged: () => {},
    prepare: async () => ({ lod: 0.5, lowImage: null }) as PreparedView,
    release: () => released.push('view'),
  }
  const readAhead = new ReadAhead({
    open: (id) => {
      openedIds.push(id)
      const d = deferred<Result<OpenedPair>>()
      requests.set(id, d)
      return d.promise
    },
    view: () => (opts.noView ? null : port),
    decode: async (blob) => {
      if (opts.decodeFails) throw new Error('undecodable')
      return { of: await blob.text(), closed: false } as unknown as ImageBitmap
    },
    close: (image) => {
      const i = image as unknown as FakeImage
      i.closed = true
      closed.push(i.of)
    },
  })
  const answer = async (id: string, ok = true): Promise<void> => {
    requests
      .get(id)!
      .resolve(
        ok ? { ok: true, value: opened(id) } : { ok: false, error: { code: 'io-error', message: 'gone' } },
      )
    await settle()
  }
  return { readAhead, openedIds, closed, released, answer }
}

describe('ReadAhead', () => {
  it('opens the next pair once, decodes it and prepares its view; taken by id, once', async () => {
    const w = world()
    w.readAhead.start('ISIC_1')
    w.readAhead.start('ISIC_1')
    expect(w.openedIds).toEqual(['ISIC_1'])
    expect(w.readAhead.take('ISIC_2')).toBeNull()
    expect(w.readAhead.id).toBe('ISIC_1')
    const taken = w.readAhead.take('ISIC_1')
    expect(taken).not.toBeNull()
    // Taken while still in flight: the taker waits for it.
    await w.answer('ISIC_1')
    const ready = (await taken) as ReadyPair
    expect(ready.pair.id).toBe('ISIC_1')
    expect((ready.image as unknown as FakeImage).of).toBe('bytes of ISIC_1')
    expect(await ready.blob.text()).toBe('bytes of ISIC_1')
    expect(ready.view).toMatchObject({ lod: 0.5 })
    expect(w.readAhead.take('ISIC_1')).toBeNull()
    expect(w.closed).toEqual([])
  })

  it('a pair this window writes to is dropped: never served, its image and view given back', async () => {
    const w = world()
    w.readAhead.start('ISIC_1')
    await w.answer('ISIC_1')
    w.readAhead.drop('ISIC_2') // a write to another pair leaves it
    expect(w.readAhead.id).toBe('ISIC_1')
    w.readAhead.drop('ISIC_1')
    await settle()
    expect(w.readAhead.take('ISIC_1')).toBeNull()
    expect(w.closed).toEqual(['bytes of ISIC_1'])
    expect(w.released).toEqual(['view'])
  })

  it('dropped while in flight, the late answer is never served and what it made is given back', async () => {
    const w = world()
    w.readAhead.start('ISIC_1')
    w.readAhead.drop() // another workspace opens
    expect(w.readAhead.id).toBeNull()
    await w.answer('ISIC_1')
    expect(w.readAhead.take('ISIC_1')).toBeNull()
    // The answer came after the drop: nothing was decoded, nothing is held.
    expect(w.closed).toEqual([])
    // Read ahead again: a fresh request, not the stale one.
    w.readAhead.start('ISIC_1')
    expect(w.openedIds).toEqual(['ISIC_1', 'ISIC_1'])
  })

  it('reading another pair ahead drops the one before', async () => {
    const w = world()
    w.readAhead.start('ISIC_1')
    await w.answer('ISIC_1')
    w.readAhead.start('ISIC_2')
    await settle()
    expect(w.closed).toEqual(['bytes of ISIC_1'])
    expect(w.readAhead.take('ISIC_1')).toBeNull()
    const taken = w.readAhead.take('ISIC_2')
    await w.answer('ISIC_2')
    expect((await taken)?.pair.id).toBe('ISIC_2')
  })

  it('a pair that cannot be opened or decoded comes to nothing (it is then opened as usual)', async () => {
    const failing = world()
    failing.readAhead.start('ISIC_1')
    const taken = failing.readAhead.take('ISIC_1')
    await failing.answer('ISIC_1', false)
    expect(await taken).toBeNull()

    const undecodable = world({ decodeFails: true })
    undecodable.readAhead.start('ISIC_1')
    const t2 = undecodable.readAhead.take('ISIC_1')
    await undecodable.answer('ISIC_1')
    expect(await t2).toBeNull()
    // The view made for it is given back.
    expect(undecodable.released).toEqual(['view'])
  })

  it('without a view on screen the pair is read ahead without a prepared view', async () => {
    const w = world({ noView: true })
    w.readAhead.start('ISIC_1')
    const taken = w.readAhead.take('ISIC_1')
    await w.answer('ISIC_1')
    expect((await taken)?.view).toBeNull()
  })

  it('release gives back a taken pair that will not be shown', async () => {
    const w = world()
    w.readAhead.start('ISIC_1')
    const taken = w.readAhead.take('ISIC_1')
    await w.answer('ISIC_1')
    w.readAhead.release((await taken) as ReadyPair)
    expect(w.closed).toEqual(['bytes of ISIC_1'])
    expect(w.released).toEqual(['view'])
  })
})

describe('ReadAhead.prepareView (a pair opened directly, issue: 12 Mpx opens blocking the page)', () => {
  it("prepares the view's part of a pair; given back through releaseView, once", async () => {
    const w = world()
    const view = await w.readAhead.prepareView({ width: 2, height: 1, data: new Uint8Array(2) }, new Blob([]))
    expect(view).toEqual({ lod: 0.5, lowImage: null })
    w.readAhead.releaseView(view!)
    w.readAhead.releaseView(view!)
    expect(w.released).toEqual(['view'])
  })

  it('gives null without a view on screen', async () => {
    const w = world({ noView: true })
    expect(
      await w.readAhead.prepareView({ width: 2, height: 1, data: new Uint8Array(2) }, new Blob([])),
    ).toBeNull()
  })
})
