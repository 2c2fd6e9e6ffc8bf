/**
 * Quitting closes the workspace only once every window has closed. Electron's `app.quit()` emits
 * `before-quit`, then closes the windows (each may refuse: the renderer's `beforeunload` asks
 * "Unsaved changes", and Stay cancels the quit), and only when all of them closed emits
 * `will-quit`. So the guard listens on `will-quit`: a cancelled quit never reaches it and the
 * workspace stays open for the next save. `will-quit` handlers are synchronous, so the first one is
 * held back (`preventDefault`), the close is awaited (queued writes flushed, the SQLite lock
 * released), and the app quits again; with no window left, that second `will-quit` passes.
 * A close that fails, or does not finish within `timeoutMs`, is logged and the app quits anyway
 * (saves are atomic, so nothing half-written stays). No `electron` import: tests drive it with stubs.
 */
export interface QuitGuardDeps {
  /** Closes what is open; resolves when it is safe to exit. Undefined when nothing is open. */
  close: () => Promise<void> | undefined
  /** Asks the app to quit again (app.quit), after the close. */
  quit: () => void
  log?: (message: string, err: unknown) => void
  /** How long a close may take before the app quits without it (default 10 s). */
  timeoutMs?: number
}

export const QUIT_CLOSE_TIMEOUT_MS = 10_000

/** The `will-quit` handler. */
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
    const timeoutMs = deps.timeoutMs ?? QUIT_CLOSE_TIMEOUT_MS
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<void>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the workspace did not close within ${timeoutMs} ms`)),
        timeoutMs,
      )
    })
    void Promise.race([Promise.resolve(closing), timedOut])
      .catch((err: unknown) => deps.log?.('could not close the workspace on quit:', err))
      .finally(() => {
        clearTimeout(timer)
        state = 'closed'
        deps.quit()
      })
  }
}

/** Installs the guard on the app's `will-quit` (after every window closed, never before). */
export function installQuitGuard(
  app: { on(event: 'will-quit', listener: (event: { preventDefault(): void }) => void): unknown },
  deps: QuitGuardDeps,
): void {
  app.on('will-quit', createQuitGuard(deps))
}
