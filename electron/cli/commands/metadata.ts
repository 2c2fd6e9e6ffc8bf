import { parseArgs } from 'node:util'
import { Workspace } from '../../services/workspace/workspace'
import { UsageError } from '../util'

/**
 * `wsm-curator metadata <workspace> <csv>… [--json]`
 *
 * Imports ISIC metadata CSVs into the workspace, keyed by the id column each has (isic_id,
 * image_id, image or image_name): the archive's metadata export and the challenges' ground truth.
 * Only rows of pairs the workspace holds are kept; `--json` prints {rows, matched, unmatched,
 * columns}. A file with no id column, or not a CSV: exit 1 with its [code].
 */
export async function metadataCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  })
  if (positionals.length < 2)
    throw new UsageError('metadata takes a workspace folder and one or more CSV files')
  const [dir, ...files] = positionals
  const workspace = await Workspace.open(dir)
  try {
    const result = await workspace.importMetadata(files)
    // Reported, not refused: everything was imported (a repeated header name under a new name).
    for (const r of result.renamed ?? [])
      process.stderr.write(
        `wsm-curator: warning: ${r.file}: the header repeats ${JSON.stringify(r.column)}; that column is imported as ${JSON.stringify(r.as)}\n`,
      )
    for (const s of result.suspect ?? [])
      process.stderr.write(
        `wsm-curator: warning: ${s.file}: column ${JSON.stringify(s.column)} holds ${s.expected === 'number' ? 'numbers' : 'whole numbers ≥ 0'}` +
          ` but ${s.count} value${s.count === 1 ? ' is' : 's are'} not: ${s.examples.map((e) => JSON.stringify(e)).join(', ')}${s.count > s.examples.length ? ', …' : ''} (imported as text)\n`,
      )
    if (values.json) {
      process.stdout.write(JSON.stringify(result) + '\n')
      return 0
    }
    process.stdout.write(
      `read ${result.rows} rows from ${files.length} file${files.length === 1 ? '' : 's'}: ` +
        `${result.matched} matched pairs of the workspace, ${result.unmatched} did not\n` +
        `columns: ${result.columns.join(', ') || '(none)'}\n`,
    )
    return 0
  } finally {
    await workspace.close()
  }
}
