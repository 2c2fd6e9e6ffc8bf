import { promises as fsp } from 'node:fs'
import { parseArgs } from 'node:util'
import { CodedError } from '../../../shared/api/errors'
import { formatTransitions } from '../../../shared/workspace/review'
import { readLabelMap } from '../../services/mask/labelMap'
import { Workspace } from '../../services/workspace/workspace'
import { UsageError } from '../util'

/** `wsm-curator import-mask <workspace> <id> <png> [--note TEXT] [--curator NAME]` */
export async function importMaskCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { note: { type: 'string' }, curator: { type: 'string' } },
  })
  if (positionals.length !== 3)
    throw new UsageError('import-mask takes a workspace, an ISIC id and a PNG file')
  const [dir, id, png] = positionals
  let bytes: Buffer
  try {
    bytes = await fsp.readFile(png)
  } catch (err) {
    throw new CodedError('io-error', `cannot read ${png}: ${(err as NodeJS.ErrnoException).code ?? err}`, png)
  }
  // Any greyscale or palette PNG holding 0, 1, 255 only; it is re-encoded in the source's format.
  const { map } = readLabelMap(bytes, png)
  const workspace = await Workspace.open(dir, { curator: values.curator })
  try {
    const before = workspace.pairState(id).status
    const saved = await workspace.saveMask(id, map, { note: values.note })
    process.stdout.write(
      `${id}: ${before} → corrected; wrote ${saved.file} (${saved.bytes} bytes)\n` +
        `  changed pixels: ${formatTransitions(saved.transitions)}\n`,
    )
  } finally {
    await workspace.close()
  }
  return 0
}
