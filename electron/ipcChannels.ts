/**
 * The IPC channel names, in one place for both ends: the preload (bundled into its one CommonJS
 * file) and the main process's handlers (ipc.ts). Nothing else may be imported here, so the
 * sandboxed preload keeps requiring only `electron`.
 */

/** The one API channel; the call name travels as the first argument and is checked by dispatch(). */
export const IPC_CHANNEL = 'wsm:call'

/** The preload reports paths of files the curator dropped on the window (drag and drop). */
export const GRANT_CHANNEL = 'wsm:dropped'
