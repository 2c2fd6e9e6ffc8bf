import { ipcMain, type WebFrameMain } from 'electron'
import type { ApiHandlers } from '../shared/api/contract'
import { dispatch } from '../shared/api/dispatch'
import { fail } from '../shared/api/result'
import { APP_ORIGIN } from './windowOptions'

/** The one IPC channel; the call name travels as the first argument and is checked by dispatch(). */
export const IPC_CHANNEL = 'wsm:call'

/** Only the app's own top frame, loaded from the app scheme, may call the API. */
export function isTrustedFrame(frame: WebFrameMain | null): boolean {
  if (!frame || frame.parent !== null) return false
  try {
    return new URL(frame.url).origin === APP_ORIGIN
  } catch {
    return false
  }
}

/** Registers the API: sender check, argument validation against the contract, errors as data. */
export function registerApi(handlers: ApiHandlers): void {
  ipcMain.handle(IPC_CHANNEL, async (event, name: unknown, args: unknown) => {
    if (!isTrustedFrame(event.senderFrame)) {
      return fail({ code: 'unauthorized', message: 'IPC from a frame that is not the app' })
    }
    return dispatch(handlers, name, args)
  })
}

/** The preload reports paths of files the curator dropped on the window (drag and drop). */
export const GRANT_CHANNEL = 'wsm:dropped'

/**
 * Drag and drop: the preload resolves a dropped File to its path (webUtils.getPathForFile, which
 * gives nothing for files made up by script) and reports it here; the path becomes an allowed root.
 */
export function registerGrantChannel(grant: (p: string) => void): void {
  ipcMain.handle(GRANT_CHANNEL, (event, p: unknown) => {
    if (!isTrustedFrame(event.senderFrame) || typeof p !== 'string' || p.length === 0 || p.length > 4096)
      return false
    grant(p)
    return true
  })
}
