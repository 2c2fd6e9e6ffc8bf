import { parseArgs } from 'node:util'
import { generateDemoDataset } from '../../services/demo/demoDataset'
import { UsageError } from '../util'

/** `wsm-curator demo <dir>` */
export async function demoCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} })
  if (positionals.length !== 1) throw new UsageError('demo takes one directory')
  const started = performance.now()
  const info = await generateDemoDataset(positionals[0])
  process.stdout.write(
    `wrote ${info.ids.length} demo pairs in ${Math.round(performance.now() - started)} ms\n` +
      `  masks:  ${info.masksZip}\n  images: ${info.imagesDir}\n  truth:  ${info.truthDir}\n`,
  )
  return 0
}
