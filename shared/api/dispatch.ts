import { contract, isCallName, type ApiHandlers, type CallName } from './contract'
import { toApiError } from './errors'
import { fail, ok, type Result } from './result'
import { SchemaError } from './schema'

/**
 * The one entry point both adapters (Electron IPC and the HTTP bridge) use: the name is checked
 * against the contract, the arguments against the call's schema, and whatever the handler throws
 * comes back as an error with a stable code. Never throws.
 */
export async function dispatch(
  handlers: ApiHandlers,
  name: unknown,
  rawArgs: unknown,
): Promise<Result<unknown>> {
  if (!isCallName(name))
    return fail({ code: 'unknown-call', message: `unknown call ${JSON.stringify(name)}` })
  let args: unknown
  try {
    args = contract[name].args.parse(rawArgs)
  } catch (err) {
    const message = err instanceof SchemaError ? err.message : String(err)
    return fail({ code: 'bad-request', message: `${name}: ${message}` })
  }
  try {
    const handler = handlers[name] as (a: unknown) => Promise<unknown>
    return ok(await handler(args))
  } catch (err) {
    return fail(toApiError(err))
  }
}

export type { CallName }
