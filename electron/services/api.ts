import path from 'node:path'
import type { ApiHandlers, AppInfo, CallArgs, WorkspaceInfo } from '../../shared/api/contract'
import { CodedError } from '../../shared/api/errors'
import { APP_NAME, APP_VERSION } from '../appMeta'
import { CurationSession } from './session'
import { createTeamHandlers } from './team/appBridge'
import { Workspace } from './workspace/workspace'

/** What a native dialog is for: derived from the contract, so the two cannot drift. */
export type PickPurpose = CallArgs<'dialog:pick'>['purpose']

/** What the host (the Electron main process or the `serve` bridge) provides the handlers. */
export interface ApiContext {
  host: AppInfo['host']
  /** The open curation session (a workspace and its queue), if any. */
  session(): CurationSession | undefined
  /** Replaces the session (after closing the old one). */
  setSession(session: CurationSession): void
  /**
   * Whether the renderer may name this path. Electron allows only roots the curator opened
   * (dialogs, drag and drop, the recent list); `serve` trusts its token holder, the local user.
   */
  allowPath(p: string): boolean
  /** A native dialog; absent where there is none (a browser). */
  pick?(purpose: PickPurpose): Promise<string | null>
  recent(): Promise<string[]>
  addRecent(dir: string): Promise<void>
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
  const allowed = (p: string): string => {
    const abs = path.resolve(p)
    if (!ctx.allowPath(abs)) {
      throw new CodedError(
        'forbidden-path',
        `${abs} was not opened by the curator (use a dialog or drag and drop)`,
        abs,
      )
    }
    return abs
  }
  const switchTo = async (open: () => Promise<Workspace>): Promise<WorkspaceInfo> => {
    const workspace = await open()
    const next = new CurationSession(workspace)
    const previous = ctx.session()
    ctx.setSession(next)
    await previous?.close()
    await ctx.addRecent(workspace.dir)
    return next.info()
  }
  return {
    'app:info': async () => ({ name: APP_NAME, version: APP_VERSION, host: ctx.host }),
    'dataset:summary': async () => session().workspace.dataset.summary(),
    'workspace:info': async () => session().info(),
    'workspace:recent': async () => ({ dirs: await ctx.recent() }),
    'workspace:open': async ({ dir }) => {
      const abs = allowed(dir)
      if (ctx.session()?.workspace.dir === abs) return session().info()
      return switchTo(() => Workspace.open(abs, { ifLocked: 'read-only' }))
    },
    'workspace:create': async ({ dir, masks, images, curator }) => {
      const target = allowed(dir)
      const sources = { masks: allowed(masks), images: images.map(allowed) }
      return switchTo(() => Workspace.create(target, { ...sources, ...(curator ? { curator } : {}) }))
    },
    'dialog:pick': async ({ purpose }) => {
      if (!ctx.pick) throw new CodedError('unsupported', 'no native dialogs here: type the path')
      return { path: await ctx.pick(purpose) }
    },
    'export:plan': async (sel) => session().exportPlan(sel),
    'export:start': async ({ selection, out }) => session().exportStart(selection, allowed(out)),
    'export:status': async () => session().exportStatus(),
    'export:cancel': async () => session().exportCancel(),
    'dataset:problems': async ({ offset, limit, code }) => session().problems(offset, limit, code),
    'queue:set': async (query) => session().setQueue({ ...query }),
    'queue:page': async ({ offset, limit }) => session().queuePage(offset, limit),
    'queue:find': async ({ id }) => session().queueFind(id),
    'pair:open': async ({ id, challenge }) => session().openPair(id, challenge),
    'pair:prefetch': async ({ ids }) => session().prefetch(ids),
    'pair:version': async ({ id, mask }) => session().pairVersion(id, mask === true),
    'pair:thumbnail': async ({ id }) => session().thumbnail(id),
    'pair:triage': async ({ id }) => session().pairTriage(id),
    'pair:setStatus': async ({ id, status, note, base }) => session().setStatus(id, status, note, base),
    'pair:setNote': async ({ id, note }) => session().setNote(id, note),
    'pair:saveMask': async ({ id, width, height, data, base }) =>
      session().saveMask(id, { width, height, data }, base),
    'dashboard:data': async () => session().workspace.dashboard(),
    'metadata:columns': async () => ({ columns: session().workspace.metadataColumns() }),
    // Capped: a column like lesion_id has tens of thousands of values (the filter lets one be typed).
    'metadata:values': async ({ column }) => session().workspace.metadataTopValues(column, 200),
    'metadata:import': async ({ files }) => {
      if (files.length === 0) throw new CodedError('bad-request', 'name at least one CSV file')
      const paths = files.map(allowed)
      return session().workspace.importMetadata(paths)
    },
    'ui:get': async () => session().workspace.uiState.all(),
    'ui:set': async ({ key, value }) => session().workspace.uiState.set(key, value),
    ...createTeamHandlers(() => session().workspace),
  }
}
