import type { ApiHandlers, AppInfo } from '../../shared/api/contract'
import { CodedError } from '../../shared/api/errors'
import { APP_NAME, APP_VERSION } from '../appMeta'
import type { CurationSession } from './session'

export interface ApiContext {
  host: AppInfo['host']
  /** The open curation session (a workspace and its queue), if any. */
  session(): CurationSession | undefined
}

/**
 * The main-process implementation of the contract. Plain Node: used by the Electron IPC adapter and
 * by the `serve` bridge alike. A call missing here is a compile error (ApiHandlers is derived from
 * the contract). Arguments arrive validated by dispatch().
 */
export function createApiHandlers(ctx: ApiContext): ApiHandlers {
  const session = (): CurationSession => {
    const s = ctx.session()
    if (!s) throw new CodedError('no-dataset', 'no workspace is open')
    return s
  }
  return {
    'app:info': async () => ({ name: APP_NAME, version: APP_VERSION, host: ctx.host }),
    'dataset:summary': async () => session().workspace.dataset.summary(),
    'workspace:info': async () => session().info(),
    'dataset:problems': async ({ offset, limit, code }) => session().problems(offset, limit, code),
    'queue:set': async (query) => session().setQueue({ ...query }),
    'queue:page': async ({ offset, limit }) => session().queuePage(offset, limit),
    'queue:find': async ({ id }) => session().queueFind(id),
    'pair:open': async ({ id, challenge }) => session().openPair(id, challenge),
    'pair:prefetch': async ({ ids }) => session().prefetch(ids),
    'pair:setStatus': async ({ id, status, note }) => session().setStatus(id, status, note),
    'pair:setNote': async ({ id, note }) => session().setNote(id, note),
    'pair:saveMask': async ({ id, width, height, data }) => session().saveMask(id, { width, height, data }),
    'ui:get': async () => session().workspace.uiState.all(),
    'ui:set': async ({ key, value }) => session().workspace.uiState.set(key, value),
  }
}
