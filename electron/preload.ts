/**
 * The sandboxed preload: bundled into ONE CommonJS file that requires nothing but `electron`.
 * It exposes a single small global, `window.wsm`, whose only entry point refuses every call name
 * outside the contract. Raw ipcRenderer is never exposed.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { CALL_NAMES } from '../shared/api/contract'

const IPC_CHANNEL = 'wsm:call'
const allowed = new Set<string>(CALL_NAMES)

const api = {
  host: 'electron' as const,
  call(name: string, args: unknown): Promise<unknown> {
    if (!allowed.has(name)) {
      return Promise.resolve({ ok: false, error: { code: 'unknown-call', message: `unknown call ${name}` } })
    }
    return ipcRenderer.invoke(IPC_CHANNEL, name, args)
  },
}

contextBridge.exposeInMainWorld('wsm', api)
