/** Shared pieces of the CLI: argument errors, exit codes, progress on a terminal. */
import { CodedError } from '../../shared/api/errors'

/** Exit codes: 0 success, 1 a problem in the data, 2 unusable arguments. */
export const EXIT_OK = 0
export const EXIT_PROBLEM = 1
export const EXIT_USAGE = 2

/** Unusable arguments: printed as one line and a pointer to --help, exit status 2. */
export class UsageError extends Error {}

/**
 * The exit status of an error a command threw: unusable arguments (a UsageError, node's parseArgs
 * errors, or a service's `bad-request`, which is how services refuse an argument: a bad --db URL,
 * --batch, --status, profile…) are 2, as the help says; any other coded error is a problem in the
 * data or the environment, 1. Anything else is not the CLI's to map (null).
 */
export function exitStatusOf(err: unknown): number | null {
  const isParseError =
    err instanceof TypeError && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
  if (err instanceof UsageError || isParseError) return EXIT_USAGE
  if (err instanceof CodedError) return err.code === 'bad-request' ? EXIT_USAGE : EXIT_PROBLEM
  return null
}

/**
 * A reader that goes away (`wsm-curator … | head -2`) is not a crash: from the first EPIPE on, what
 * the command writes to that stream is dropped, and the command finishes its work (a review's
 * transaction, an export) and exits with its own status, instead of dying in the middle of it on
 * an unhandled 'error' event with a stack trace. Other stream errors stay errors.
 */
export function dropOutputOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    stream.write = (() => true) as typeof stream.write
  })
}

/** A command: takes its own arguments, returns the exit status. */
export type Command = (args: string[]) => Promise<number>

/**
 * A progress bar on stderr, drawn only when stderr is a terminal (never in pipes, logs or JSON
 * output), at most ~10 times a second.
 */
export function progressBar(label: string, total: number): { tick(done: number): void; done(): void } {
  const tty = process.stderr.isTTY === true
  let last = 0
  const draw = (done: number) => {
    const width = 30
    const frac = total > 0 ? Math.min(1, done / total) : 1
    const filled = Math.round(frac * width)
    process.stderr.write(
      `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} (${(frac * 100).toFixed(0)}%)`,
    )
  }
  return {
    tick(done: number) {
      if (!tty) return
      const now = Date.now()
      if (now - last < 100 && done < total) return
      last = now
      draw(done)
    },
    done() {
      if (!tty) return
      draw(total)
      process.stderr.write('\n')
    },
  }
}

/** Reads `--ids a,b,c` or `--ids @file` (one id per line or comma-separated). */
export async function readIdList(value: string): Promise<string[]> {
  let text = value
  if (value.startsWith('@')) {
    const { readFile } = await import('node:fs/promises')
    try {
      text = await readFile(value.slice(1), 'utf8')
    } catch {
      throw new UsageError(`cannot read the id list ${value.slice(1)}`)
    }
  }
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}
