import { describe, expect, it } from 'vitest'
import { createQuitGuard } from '../../../electron/quitGuard'

function quitEvent() {
  const e = { prevented: false, preventDefault: () => void (e.prevented = true) }
  return e
}

describe('createQuitGuard (before-quit)', () => {
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
