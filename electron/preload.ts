/**
 * The sandboxed preload: bundled into ONE CommonJS file that requires nothing but `electron`.
 * It exposes a single small global, `window.wsm`, whose only entry point refuses every call name
 * outside the contract. Raw ipcRenderer is never exposed.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { CALL_NAMES } from '../shared/api/contract'
import { GRANT_CHANNEL, IPC_CHANNEL } from './ipcChannels'

const allowed = new Set<string>(CALL_NAMES)

const api = {
  host: 'electron' as const,
  call(name: string, args: unknown): Promise<unknown> {
    if (!allowed.has(name)) {
      return Promise.resolve({ ok: false, error: { code: 'unknown-call', message: `unknown call ${name}` } })
    }
    return ipcRenderer.invoke(IPC_CHANNEL, name, args)
  },
  /**
   * The path of a file or folder the curator dropped on the window; '' for anything else. The
   * main process is told, so that path may then be opened.
   */
  async pathForDrop(file: File): Promise<string> {
    const p = webUtils.getPathForFile(file)
    if (!p) return ''
    await ipcRenderer.invoke(GRANT_CHANNEL, p)
    return p
  },
}

contextBridge.exposeInMainWorld('wsm', api)
