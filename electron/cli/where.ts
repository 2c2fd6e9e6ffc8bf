/**
 * `--where column=value[,value…]` (repeatable): metadata conditions for export, review and stats.
 * A value holding a comma writes it `\,` (and a backslash `\\`): ISIC values such as
 * `anatom_site_general=upper extremity\, left`.
 */
import { CodedError } from '../../shared/api/errors'
import type { MetadataCondition } from '../../shared/workspace/dashboard'
import type { Workspace } from '../services/workspace/workspace'
import { UsageError } from './util'

/** Splits at the commas not escaped by a backslash; `\,` is a comma, `\\` a backslash, values trimmed. */
export function splitValues(text: string): string[] {
  const out: string[] = []
  let cur = ''
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    const next = text[i + 1]
    if (ch === '\\' && (next === ',' || next === '\\')) {
      cur += next
      i++
    } else if (ch === ',') {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out.map((v) => v.trim()).filter((v) => v !== '')
}

/** Parses the --where options (split at the first '='; values at unescaped commas, trimmed). */
export function parseWhere(options: readonly string[] | undefined): MetadataCondition[] | undefined {
  if (options === undefined || options.length === 0) return undefined
  return options.map((opt) => {
    const eq = opt.indexOf('=')
    const column = eq < 0 ? '' : opt.slice(0, eq).trim()
    const values = eq < 0 ? [] : splitValues(opt.slice(eq + 1))
    if (column === '' || values.length === 0)
      throw new UsageError(`--where takes column=value[,value…] (got ${JSON.stringify(opt)})`)
    return { column, values }
  })
}

/**
 * An unknown column is an unusable argument (exit 2) naming it and the option (`flag`: --where, or
 * --by for stats). A value no pair has in its column is a warning on stderr naming it (a typo, or a
 * value with a comma not written `\,`), not an error: the selection is simply empty of it.
 */
export function checkWhere(
  workspace: Workspace,
  conditions: readonly MetadataCondition[] | undefined,
  flag = '--where',
): void {
  try {
    workspace.checkMetadataConditions(conditions)
  } catch (err) {
    if (err instanceof CodedError && err.code === 'metadata-unknown-column') {
      const known = workspace.metadataColumns().map((c) => c.name)
      throw new UsageError(
        `${flag}: ${err.message}; known columns: ${known.length ? known.join(', ') : '(none imported)'}`,
      )
    }
    throw err
  }
  for (const c of conditions ?? []) {
    if (c.values.length === 0) continue
    const have = new Set(workspace.metadataValues(c.column).map((v) => v.value))
    const missing = c.values.filter((v) => !have.has(v))
    for (const v of missing) {
      // Several values: perhaps one value with a comma, split (qa7 #8).
      const hint = c.values.length > 1 ? ' (a comma inside a value is written \\,)' : ''
      process.stderr.write(
        `wsm-curator: warning: ${flag} ${c.column}: no pair has the value ${JSON.stringify(v)}${hint}\n`,
      )
    }
  }
}
