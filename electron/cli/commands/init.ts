import { parseArgs } from 'node:util'
import { isChallengeConvention } from '../../../shared/labels/analysis'
import { readLabelMapAsync } from '../../services/mask/labelMap'
import { Workspace } from '../../services/workspace/workspace'
import { UsageError } from '../util'

/**
 * `wsm-curator init <workspace> --masks <zip|dir> --images <zip|dir> [--images …] [--curator NAME]`
 * `wsm-curator init <workspace> --rebuild`
 */
export async function initCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      masks: { type: 'string' },
      images: { type: 'string', multiple: true },
      curator: { type: 'string' },
      rebuild: { type: 'boolean' },
    },
  })
  if (positionals.length !== 1) throw new UsageError('init takes one workspace folder')
  const dir = positionals[0]
  if (values.rebuild) {
    if (values.masks !== undefined || values.images !== undefined)
      throw new UsageError('--rebuild takes the sources from the workspace: no --masks or --images')
    const { workspace, movedTo, salvaged } = await Workspace.rebuild(dir, { curator: values.curator })
    try {
      const p = workspace.progress()
      process.stdout.write(
        `rebuilt the database of ${workspace.dir}\n` +
          (movedTo ? `  the damaged database is kept as ${movedTo}\n` : '') +
          `  salvaged ${salvaged.pairs} pair states and ${salvaged.events} events; ${p.byStatus.corrected} corrected masks\n`,
      )
      for (const n of workspace.notices) process.stdout.write(`  ${n}\n`)
    } finally {
      await workspace.close()
    }
    return 0
  }
  if (values.masks === undefined) throw new UsageError('init needs --masks <zip|dir>')
  if (!values.images?.length) throw new UsageError('init needs at least one --images <zip|dir>')
  const workspace = await Workspace.create(dir, {
    masks: values.masks,
    images: values.images,
    curator: values.curator,
  })
  try {
    const summary = workspace.dataset.summary()
    process.stdout.write(
      `created the workspace ${workspace.dir}: ${summary.pairCount} pairs, curator ${workspace.curator}\n` +
        `  masks:  ${summary.masksSource}\n` +
        summary.imageSources.map((s) => `  images: ${s}\n`).join('') +
        (summary.masksWithoutImage ? `  ${summary.masksWithoutImage} masks have no image\n` : '') +
        (await challengeNote(workspace)) +
        `next: wsm-curator stats ${dir}   (computes the mask statistics)\n`,
    )
  } finally {
    await workspace.close()
  }
  return 0
}

/** Masks looked at when a workspace is created, spread over the dataset. */
const SAMPLE_MASKS = 5

/**
 * A warning when the masks look like ISIC challenge masks (0 background / 255 lesion) rather than
 * weak maps: a few masks spread over the dataset are decoded (never the whole set). Empty otherwise.
 */
async function challengeNote(workspace: Workspace): Promise<string> {
  const n = workspace.dataset.size
  const count = Math.min(n, SAMPLE_MASKS)
  const picks = Array.from({ length: count }, (_, k) => Math.floor((k * n) / count))
  let challenge = 0
  for (const i of picks) {
    // The source mask alone: its convention does not depend on its image (which may be unreadable).
    try {
      const { bytes, file } = await workspace.dataset.readMaskBytes(i)
      const read = await readLabelMapAsync(bytes, file)
      if (isChallengeConvention(read.map, read.counts)) challenge++
    } catch {
      // An unreadable mask is not a challenge mask; the scan reports it with its code.
    }
  }
  if (challenge === 0) return ''
  return (
    `  warning: ${challenge} of ${picks.length} masks looked at are ISIC challenge masks (0 background / 255 lesion), ` +
    'not weak maps (0/1/255): the editor offers to convert each one, resolve and review rules leave them out\n'
  )
}
