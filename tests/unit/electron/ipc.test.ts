import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { ApiHandlers } from '../../../shared/api/contract'

// The real ipc.ts, with Electron's ipcMain replaced by a recorder of the registered handlers.
const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>()
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => unknown) => {
      handlers.set(channel, fn)
    },
  },
}))

const { registerApi, registerGrantChannel, IPC_CHANNEL, GRANT_CHANNEL } =
  await import('../../../electron/ipc')
const channels = await import('../../../electron/ipcChannels')

const appFrame = { url: 'wsm://app/index.html', parent: null }
const event = (senderFrame: unknown) => ({ senderFrame })

describe('the IPC handlers', () => {
  let granted: string[]
  beforeEach(() => {
    handlers.clear()
    granted = []
    // Any call the contract knows, answered without a workspace: enough to tell "refused" from "dispatched".
    registerApi({ 'workspace:recent': async () => ({ dirs: [] }) } as unknown as ApiHandlers)
    registerGrantChannel((p) => granted.push(p))
  })

  it('use the channel names the preload uses', () => {
    expect(IPC_CHANNEL).toBe(channels.IPC_CHANNEL)
    expect(GRANT_CHANNEL).toBe(channels.GRANT_CHANNEL)
    expect([...handlers.keys()].sort()).toEqual([channels.GRANT_CHANNEL, channels.IPC_CHANNEL].sort())
  })

  it('dispatch a call from the app window (its origin is "null", its protocol and host are the app)', async () => {
    const r = await handlers.get(IPC_CHANNEL)!(event(appFrame), 'workspace:recent', undefined)
    expect(r).toEqual({ ok: true, value: { dirs: [] } })
  })

  it.each([
    ['another wsm host', { url: 'wsm://evil/index.html', parent: null }],
    ['a look-alike host', { url: 'wsm://app.evil/index.html', parent: null }],
    ['a loopback page', { url: 'http://127.0.0.1:8080/', parent: null }],
    ['a file page', { url: 'file:///tmp/index.html', parent: null }],
    ['a subframe of the app', { url: 'wsm://app/index.html', parent: appFrame }],
    ['no frame', null],
  ])('refuse a call from %s', async (_what, frame) => {
    const r = await handlers.get(IPC_CHANNEL)!(event(frame), 'workspace:recent', undefined)
    expect(r).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
  })

  it('grant a dropped path only from the app window', async () => {
    expect(await handlers.get(GRANT_CHANNEL)!(event(appFrame), '/data/Données de test')).toBe(true)
    expect(await handlers.get(GRANT_CHANNEL)!(event({ url: 'wsm://evil/', parent: null }), '/etc')).toBe(
      false,
    )
    expect(await handlers.get(GRANT_CHANNEL)!(event(appFrame), 42)).toBe(false)
    expect(await handlers.get(GRANT_CHANNEL)!(event(appFrame), '')).toBe(false)
    expect(granted).toEqual(['/data/Données de test'])
  })
})
