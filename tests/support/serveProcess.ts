import { spawn, type ChildProcess } from 'node:child_process'

/** A running `wsm-curator serve`, started as a user starts it (see spawnServe). */
export interface ServeChild {
  /** The URL it printed, token in the fragment. */
  url: string
  origin: string
  token: string
  child: ChildProcess
  /** Stops it with SIGINT, like Ctrl-C, and waits for it to exit. */
  stop(): Promise<void>
}

/**
 * Runs `node <bin> serve <args…>` (the package's bin, as a user would) and waits for the URL it
 * prints; rejects with its output if it exits first or prints none within `timeoutMs`. Used by the
 * editor benchmarks and the end-to-end tests.
 */
export async function spawnServe(
  bin: string,
  cwd: string,
  args: string[],
  timeoutMs = 120_000,
): Promise<ServeChild> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve printed no URL in time:\n${out}\n${err}`)),
      timeoutMs,
    )
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[0])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code}:\n${out}\n${err}`))
    })
  })
  const parsed = new URL(url)
  return {
    url,
    origin: parsed.origin,
    token: new URLSearchParams(parsed.hash.slice(1)).get('token') ?? '',
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGINT')
      }),
  }
}
