import { ipcMain } from 'electron'
import type { ApiHandlers } from '../shared/api/contract'
import { dispatch } from '../shared/api/dispatch'
import { fail } from '../shared/api/result'
import { isTrustedFrame } from './appOrigin'
import { GRANT_CHANNEL, IPC_CHANNEL } from './ipcChannels'

export { isTrustedFrame } from './appOrigin'
export { GRANT_CHANNEL, IPC_CHANNEL } from './ipcChannels'

/**
 * Registers the API: sender check (the app's own top frame; `devUrl` is the dev server's origin in
 * `npm run dev`, null otherwise), argument validation against the contract, errors as data.
 */
export function registerApi(handlers: ApiHandlers, devUrl: string | null = null): void {
  ipcMain.handle(IPC_CHANNEL, async (event, name: unknown, args: unknown) => {
    if (!isTrustedFrame(event.senderFrame, devUrl)) {
      return fail({ code: 'unauthorized', message: 'IPC from a frame that is not the app' })
    }
    return dispatch(handlers, name, args)
  })
}

/**
 * Drag and drop: the preload resolves a dropped File to its path (webUtils.getPathForFile, which
 * gives nothing for files made up by script) and reports it here; the path becomes an allowed root.
 */
export function registerGrantChannel(grant: (p: string) => void, devUrl: string | null = null): void {
  ipcMain.handle(GRANT_CHANNEL, (event, p: unknown) => {
    if (
      !isTrustedFrame(event.senderFrame, devUrl) ||
      typeof p !== 'string' ||
      p.length === 0 ||
      p.length > 4096
    )
      return false
    grant(p)
    return true
  })
}
