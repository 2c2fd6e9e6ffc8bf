import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { QueueQuery } from '../../../../shared/api/contract'

/**
 * The queue store against a fake server whose `queue:set` answers are released by hand, in any
 * order (qa7 #15: at 43,885 pairs an answer takes about a second, and the list and count showed
 * the previous filter's result meanwhile, as if it were the new one). Queries go out one at a time.
 */
const server = vi.hoisted(() => {
  const waiting: { query: Record<string, unknown>; go: () => void }[] = []
  return {
    waiting,
    async call(name: string, args: unknown): Promise<unknown> {
      if (name === 'queue:set') {
        const query = args as Record<string, unknown>
        await new Promise<void>((go) => waiting.push({ query, go }))
        // The total names the query: 10 pairs per status letter, 99 without a status.
        const status = (query.status as string[] | undefined)?.[0]
        return { ok: true, value: { total: status ? status.length * 10 : 99 } }
      }
      return { ok: true, value: undefined }
    },
  }
})

vi.mock('../../../../renderer/src/api', () => ({ api: { call: server.call } }))
vi.mock('../../../../renderer/src/thumbnails', () => ({ invalidateThumbnail: () => {} }))

const { useQueueStore } = await import('../../../../renderer/src/stores/queue')

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0))
}
const query = (status?: string): QueueQuery =>
  status ? { sort: 'id', order: 'asc', status: [status as 'flagged'] } : { sort: 'id', order: 'asc' }

beforeEach(() => {
  server.waiting.length = 0
  setActivePinia(createPinia())
})

describe('queue store: a new query in flight (qa7 #15)', () => {
  it('is busy from the ask to the answer; the old total is kept but marked busy, never shown as the new one', async () => {
    const queue = useQueueStore()
    const first = queue.setQuery(query())
    await flush()
    server.waiting.shift()!.go()
    expect(await first).toBe(true)
    expect([queue.total, queue.busy]).toEqual([99, false])

    const second = queue.setQuery(query('flagged'))
    await flush()
    expect(queue.busy).toBe(true)
    expect(queue.query.status).toBeUndefined()
    server.waiting.shift()!.go()
    expect(await second).toBe(true)
    expect([queue.total, queue.busy, queue.query.status]).toEqual([70, false, ['flagged']])
  })

  it('sends one query at a time, newest last; a query superseded before its turn is never sent', async () => {
    const queue = useQueueStore()
    const first = queue.setQuery(query('rejected'))
    await flush()
    const second = queue.setQuery(query('accepted'))
    const third = queue.setQuery(query('flagged'))
    await flush()
    // Only the first is out: the main process's snapshot follows the order asked, whatever the transport.
    expect(server.waiting.map((w) => w.query.status)).toEqual([['rejected']])
    server.waiting.shift()!.go()
    expect(await first).toBe(false)
    expect(await second).toBe(false)
    await flush()
    expect(server.waiting.map((w) => w.query.status)).toEqual([['flagged']])
    expect([queue.total, queue.busy]).toEqual([0, true])
    const generation = queue.generation
    server.waiting.shift()!.go()
    expect(await third).toBe(true)
    expect([queue.total, queue.busy, queue.query.status, queue.generation]).toEqual([
      70,
      false,
      ['flagged'],
      generation + 1,
    ])
  })

  it('stays busy while a newer query is still unanswered, though an older one landed', async () => {
    const queue = useQueueStore()
    const older = queue.setQuery(query('rejected'))
    await flush()
    const newer = queue.setQuery(query('flagged'))
    await flush()
    server.waiting.shift()!.go()
    expect(await older).toBe(false)
    expect(queue.busy).toBe(true)
    expect(queue.total).toBe(0)
    server.waiting.shift()!.go()
    expect(await newer).toBe(true)
    expect([queue.total, queue.busy]).toEqual([70, false])
  })
})
