import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import path from 'node:path'
import { format } from 'node:util'

/**
 * Main-process log: everything written to console.* also goes to `<userData>/logs/main.log`
 * (appended, one timestamped line per call), so a curator can send it with a bug report.
 */
export function startFileLog(userData: string): WriteStream {
  const dir = path.join(userData, 'logs')
  mkdirSync(dir, { recursive: true })
  const out = createWriteStream(path.join(dir, 'main.log'), { flags: 'a' })
  for (const level of ['log', 'info', 'warn', 'error'] as const) {
    const original = console[level].bind(console)
    console[level] = (...args: unknown[]) => {
      out.write(`${new Date().toISOString()} ${level.toUpperCase()} ${format(...args)}\n`)
      original(...args)
    }
  }
  process.on('uncaughtException', (err) => console.error('uncaught exception:', err))
  process.on('unhandledRejection', (err) => console.error('unhandled rejection:', err))
  return out
}
