import { vi } from 'vitest'
import { CodedError } from '../../shared/api/errors'
import { exitStatusOf } from '../../electron/cli/util'

export interface CommandRun {
  code: number
  out: string
  err: string
}

/**
 * Runs a CLI command function in process, capturing what it prints. With `mapErrors`, errors become
 * exit codes the way the CLI's main() maps them (usage 2, data problem 1); otherwise they propagate.
 */
export async function runCommand(
  command: (args: string[]) => Promise<number>,
  args: string[],
  opts: { mapErrors?: boolean } = {},
): Promise<CommandRun> {
  let out = ''
  let err = ''
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk)
    return true
  })
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk)
    return true
  })
  try {
    return { code: await command(args), out, err }
  } catch (error) {
    const code = opts.mapErrors ? exitStatusOf(error) : null
    if (code === null) throw error
    const message =
      error instanceof CodedError ? `[${error.code}] ${(error as Error).message}` : (error as Error).message
    return { code, out, err: err + message }
  } finally {
    o.mockRestore()
    e.mockRestore()
  }
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function thrown(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected an error')
}
