/** `--where column=value[,value…]` (repeatable): metadata conditions for export, review and stats. */
import { CodedError } from '../../shared/api/errors'
import type { MetadataCondition } from '../../shared/workspace/dashboard'
import type { Workspace } from '../services/workspace/workspace'
import { UsageError } from './util'

/** Parses the --where options (split at the first '='; values at commas, trimmed). */
export function parseWhere(options: readonly string[] | undefined): MetadataCondition[] | undefined {
  if (options === undefined || options.length === 0) return undefined
  return options.map((opt) => {
    const eq = opt.indexOf('=')
    const column = eq < 0 ? '' : opt.slice(0, eq).trim()
    const values =
      eq < 0
        ? []
        : opt
            .slice(eq + 1)
            .split(',')
            .map((v) => v.trim())
            .filter((v) => v !== '')
    if (column === '' || values.length === 0)
      throw new UsageError(`--where takes column=value[,value…] (got ${JSON.stringify(opt)})`)
    return { column, values }
  })
}

/** An unknown column is an unusable argument (exit 2) naming it. */
export function checkWhere(workspace: Workspace, conditions: readonly MetadataCondition[] | undefined): void {
  try {
    workspace.checkMetadataConditions(conditions)
  } catch (err) {
    if (err instanceof CodedError && err.code === 'metadata-unknown-column') {
      const known = workspace.metadataColumns().map((c) => c.name)
      throw new UsageError(
        `--where: ${err.message}; known columns: ${known.length ? known.join(', ') : '(none imported)'}`,
      )
    }
    throw err
  }
}
