/**
 * Small JSON values the UI restores when the workspace reopens (last pair, filter, sort…). In a
 * read-only workspace they are kept in memory only.
 */
import { CodedError } from '../../../shared/api/errors'
import { UI_VALUE_MAX } from './rows'
import type { WorkspaceStore } from './store'
import type { UiState } from './types'

const SQL = {
  get: `SELECT value FROM ui_state WHERE key = ?`,
  all: `SELECT key, value FROM ui_state`,
  remove: `DELETE FROM ui_state WHERE key = ?`,
  put: `INSERT OR REPLACE INTO ui_state (key, value) VALUES (?, ?)`,
} as const

export function uiStateOf(store: WorkspaceStore, state: { readOnly(): boolean; closed(): boolean }): UiState {
  const memory = new Map<string, string>()
  return {
    get(key: string): unknown {
      const raw = memory.get(key) ?? (store.statement(SQL.get, 'pluck').get(key) as string | undefined)
      return raw === undefined ? undefined : (JSON.parse(raw) as unknown)
    },
    set(key: string, value: unknown): void {
      if (typeof key !== 'string' || key === '' || key.length > 200)
        throw new CodedError('bad-request', 'bad UI state key')
      if (state.closed()) throw new CodedError('bad-request', 'the workspace is closed')
      const raw = value === undefined || value === null ? undefined : JSON.stringify(value)
      if (raw !== undefined && raw.length > UI_VALUE_MAX) {
        throw new CodedError('bad-request', `UI state values are limited to ${UI_VALUE_MAX} bytes of JSON`)
      }
      if (state.readOnly()) {
        if (raw === undefined) memory.delete(key)
        else memory.set(key, raw)
        return
      }
      store.write('store UI state', () => {
        if (raw === undefined) store.statement(SQL.remove).run(key)
        else store.statement(SQL.put).run(key, raw)
      })
    },
    all(): Record<string, unknown> {
      const out: Record<string, unknown> = {}
      for (const r of store.statement(SQL.all).all() as { key: string; value: string }[]) {
        out[r.key] = JSON.parse(r.value)
      }
      for (const [k, v] of memory) out[k] = JSON.parse(v)
      return out
    },
  }
}
