import type { ApiHandlers, AppInfo } from '../../shared/api/contract'
import { CodedError } from '../../shared/api/errors'
import { APP_NAME, APP_VERSION } from '../appMeta'
import type { Dataset } from './dataset'

export interface ApiContext {
  host: AppInfo['host']
  /** The open dataset, if any. */
  dataset(): Dataset | undefined
}

/**
 * The main-process implementation of the contract. Plain Node: used by the Electron IPC adapter and
 * by the `serve` bridge alike. A call missing here is a compile error (ApiHandlers is derived from
 * the contract).
 */
export function createApiHandlers(ctx: ApiContext): ApiHandlers {
  const dataset = (): Dataset => {
    const d = ctx.dataset()
    if (!d) throw new CodedError('no-dataset', 'no dataset is open')
    return d
  }
  return {
    'app:info': async () => ({ name: APP_NAME, version: APP_VERSION, host: ctx.host }),
    'dataset:summary': async () => dataset().summary(),
    'pairs:page': async ({ offset, limit }) => dataset().page(offset, limit),
    'pairs:find': async ({ id }) => dataset().find(id),
    'pair:open': async ({ index }) => dataset().openPair(index),
  }
}
