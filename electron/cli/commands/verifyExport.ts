import { promises as fsp } from 'node:fs'
import { parseArgs } from 'node:util'
import { verifyExport } from '../../services/export'
import { EXIT_OK, EXIT_PROBLEM, progressBar, UsageError } from '../util'

/**
 * `wsm-curator verify-export <dir|zip> [--json]`: re-checks an export from its own files (see
 * services/export/verify.ts). Exit 0 when everything matches, 1 on any problem (each one printed
 * with its code and the file), 2 for unusable arguments.
 */
export async function verifyExportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  })
  if (positionals.length !== 1) throw new UsageError('verify-export takes one export folder or zip')
  const target = positionals[0]
  let st
  try {
    st = await fsp.stat(target)
  } catch {
    throw new UsageError(`${target}: no such folder or file`)
  }
  if (!st.isDirectory() && !st.isFile()) throw new UsageError(`${target} is neither a folder nor a zip file`)

  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  let bar: ReturnType<typeof progressBar> | undefined
  try {
    const report = await verifyExport(target, {
      signal: controller.signal,
      onProgress: (p) => {
        bar ??= progressBar('verifying', p.total)
        bar.tick(p.done)
      },
    })
    bar?.done()
    if (values.json) process.stdout.write(JSON.stringify(report) + '\n')
    else {
      const lines: string[] = []
      if (report.ok) {
        lines.push(
          `${report.target}: ${report.checked} pairs (profile ${report.profile}) — every checksum, mask value and size matches`,
        )
      } else {
        lines.push(
          `${report.target}: ${report.problems.length} problem(s) in ${report.pairs} pairs` +
            (report.profile ? ` (profile ${report.profile})` : ''),
        )
        for (const p of report.problems) lines.push(`[${p.code}] ${p.message}`)
      }
      process.stdout.write(lines.join('\n') + '\n')
    }
    return report.ok ? EXIT_OK : EXIT_PROBLEM
  } finally {
    process.removeListener('SIGINT', stop)
  }
}
