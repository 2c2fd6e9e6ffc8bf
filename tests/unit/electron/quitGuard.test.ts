import { describe, expect, it, vi } from 'vitest'
import { createQuitGuard, installQuitGuard, QUIT_CLOSE_TIMEOUT_MS } from '../../../electron/quitGuard'

function quitEvent() {
  const e = { prevented: false, preventDefault: () => void (e.prevented = true) }
  return e
}

describe('createQuitGuard (will-quit)', () => {
  it('holds the quit until the workspace is closed, then quits once more and lets that pass', async () => {
    const steps: string[] = []
    let finishClose!: () => void
    const guard = createQuitGuard({
      close: () =>
        new Promise<void>((resolve) => {
          steps.push('close started')
          finishClose = () => {
            steps.push('closed')
            resolve()
          }
        }),
      quit: () => steps.push('quit again'),
    })
    const first = quitEvent()
    guard(first)
    expect(first.prevented).toBe(true)
    // A second quit while closing (Cmd+Q twice) is held too and starts nothing new.
    const meanwhile = quitEvent()
    guard(meanwhile)
    expect(meanwhile.prevented).toBe(true)
    expect(steps).toEqual(['close started'])
    finishClose()
    await new Promise((r) => setTimeout(r, 0))
    expect(steps).toEqual(['close started', 'closed', 'quit again'])
    const last = quitEvent()
    guard(last)
    expect(last.prevented).toBe(false)
  })

  it('quits even when closing fails, and says why', async () => {
    const logged: unknown[] = []
    let quits = 0
    const guard = createQuitGuard({
      close: () => Promise.reject(new Error('disk gone')),
      quit: () => quits++,
      log: (_m, err) => logged.push(err),
    })
    guard(quitEvent())
    await new Promise((r) => setTimeout(r, 0))
    expect(quits).toBe(1)
    expect(String(logged[0])).toContain('disk gone')
  })

  it('quits at once (after one turn) when nothing is open, and survives a close that throws', async () => {
    let quits = 0
    const guard = createQuitGuard({ close: () => undefined, quit: () => quits++ })
    guard(quitEvent())
    await new Promise((r) => setTimeout(r, 0))
    expect(quits).toBe(1)
    const throwing = createQuitGuard({
      close: () => {
        throw new Error('sync')
      },
      quit: () => quits++,
    })
    throwing(quitEvent())
    await new Promise((r) => setTimeout(r, 0))
    expect(quits).toBe(2)
  })
})

/**
 * A stub of Electron's quit sequence (electron.d.ts, app.quit): `before-quit`, then every window is
 * asked to close (one may refuse: beforeunload → "Unsaved changes" → Stay), and only when all
 * closed, `will-quit`; unless a handler prevents it, the app exits.
 */
class FakeApp {
  windows: { refuses: boolean }[] = [{ refuses: false }]
  willQuit: ((event: { preventDefault(): void }) => void)[] = []
  quits = 0
  exited = false
  on(event: 'will-quit', listener: (event: { preventDefault(): void }) => void) {
    expect(event).toBe('will-quit')
    this.willQuit.push(listener)
    return this
  }
  quit() {
    this.quits++
    if (this.quits > 5) throw new Error('quit loop')
    this.windows = this.windows.filter((w) => w.refuses)
    if (this.windows.length > 0) return // a window refused: the quit is cancelled
    const e = quitEvent()
    for (const l of this.willQuit) l(e)
    if (!e.prevented) this.exited = true
  }
}

describe('installQuitGuard (will-quit, after every window closed)', () => {
  function setup(close: () => Promise<void> | undefined) {
    const app = new FakeApp()
    const logged: unknown[] = []
    installQuitGuard(app, { close, quit: () => app.quit(), log: (_m, err) => logged.push(err) })
    return { app, logged }
  }

  it('a window that refuses to close (unsaved changes, Stay) leaves the workspace open', async () => {
    let closes = 0
    const { app } = setup(() => {
      closes++
      return Promise.resolve()
    })
    app.windows = [{ refuses: true }]
    app.quit()
    await new Promise((r) => setTimeout(r, 0))
    expect(closes).toBe(0)
    expect(app.exited).toBe(false)
    // The curator saves, then quits again: now the workspace closes before the exit.
    app.windows[0].refuses = false
    app.quit()
    expect(closes).toBe(1)
    expect(app.exited).toBe(false)
    await new Promise((r) => setTimeout(r, 0))
    expect(app.exited).toBe(true)
    expect(app.quits).toBe(3) // the refused quit, the held one, the one that passed: no loop
  })

  it('once the windows are closed, the workspace closes before the app exits', async () => {
    const steps: string[] = []
    let finish!: () => void
    const { app } = setup(
      () =>
        new Promise<void>((resolve) => {
          steps.push(`close (exited: ${app.exited}, windows: ${app.windows.length})`)
          finish = resolve
        }),
    )
    app.quit()
    expect(app.exited).toBe(false)
    finish()
    await new Promise((r) => setTimeout(r, 0))
    expect(steps).toEqual(['close (exited: false, windows: 0)'])
    expect(app.exited).toBe(true)
    expect(app.quits).toBe(2)
  })

  it('a close that never finishes is logged and the app quits after the timeout', async () => {
    vi.useFakeTimers()
    try {
      const { app, logged } = setup(() => new Promise<void>(() => undefined))
      app.quit()
      await vi.advanceTimersByTimeAsync(QUIT_CLOSE_TIMEOUT_MS - 1)
      expect(app.exited).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      expect(app.exited).toBe(true)
      expect(String(logged[0])).toContain('did not close within')
      expect(app.quits).toBe(2)
    } finally {
      vi.useRealTimers()
    }
  })
})
