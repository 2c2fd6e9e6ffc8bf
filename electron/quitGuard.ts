/**
 * Quitting waits for the workspace to close: Electron's `before-quit` handlers are synchronous, so
 * the first quit is held back (`preventDefault`), the close is awaited (queued writes flushed, the
 * SQLite lock released), and then the app quits again; that second `before-quit` passes. A close
 * that fails is logged and the app quits anyway (saves are atomic, so nothing half-written stays).
 * No `electron` import: tests drive it with a stub event.
 */
export interface QuitGuardDeps {
  /** Closes what is open; resolves when it is safe to exit. Undefined when nothing is open. */
  close: () => Promise<void> | undefined
  /** Asks the app to quit again (app.quit), after the close. */
  quit: () => void
  log?: (message: string, err: unknown) => void
}

export function createQuitGuard(deps: QuitGuardDeps): (event: { preventDefault(): void }) => void {
  let state: 'open' | 'closing' | 'closed' = 'open'
  return (event) => {
    if (state === 'closed') return
    event.preventDefault()
    if (state === 'closing') return
    state = 'closing'
    let closing: Promise<void> | undefined
    try {
      closing = deps.close()
    } catch (err) {
      closing = Promise.reject(err)
    }
    void Promise.resolve(closing)
      .catch((err: unknown) => deps.log?.('could not close the workspace on quit:', err))
      .finally(() => {
        state = 'closed'
        deps.quit()
      })
  }
}
