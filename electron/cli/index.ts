import { CodedError } from '../../shared/api/errors'
import { APP_VERSION } from '../appMeta'
import { demoCommand } from './commands/demo'
import { exportCommand } from './commands/export'
import { importMaskCommand } from './commands/importMask'
import { initCommand } from './commands/init'
import { metadataCommand } from './commands/metadata'
import { resolveCommand } from './commands/resolve'
import { reviewCommand } from './commands/review'
import { scanCommand } from './commands/scan'
import { serveCommand } from './commands/serve'
import { statsCommand } from './commands/stats'
import { triageCommand } from './commands/triage'
import { TEAM_USAGE, teamCommand } from './commands/team'
import { validateCommand } from './commands/validate'
import { verifyExportCommand } from './commands/verifyExport'
import { dropOutputOnEpipe, EXIT_USAGE, exitStatusOf, UsageError, type Command } from './util'

const USAGE = `wsm-curator ${APP_VERSION} — curate ISIC_WSM weak segmentation maps

Usage:
  wsm-curator demo <dir>
      Write the demo dataset (images/, ISIC_WSM_labels.zip, truth/) into <dir>.
  wsm-curator serve [--workspace <dir> | --demo | --masks <zip|dir> --images <zip|dir>…] [--port N] [--open]
      Serve the app and its API on 127.0.0.1 only. Prints a URL carrying the access token.
  wsm-curator init <workspace> --masks <zip|dir> --images <zip|dir> [--images …] [--curator NAME]
      Create a curation workspace for these sources (which are only ever read).
  wsm-curator init <workspace> --rebuild
      Rebuild a damaged workspace database; corrected masks in masks/ are kept and adopted.
  wsm-curator stats <workspace> [--json] [--no-scan] [--by <column>]
      Run or continue the mask statistics scan, then print review progress and statistics
      (--by: per value of a metadata column, its pairs, statuses and mean uncertain fraction).
  wsm-curator triage <workspace> [--json] [--top N] [--reason CODE]
      Pairs by triage score (how likely the mask is wrong), highest first, with the reasons; runs the
      missing statistics and scores first. --json: {"pairs":[{"id","score","reasons":[{"code","score"}]}],"elapsedMs"}.
  wsm-curator metadata <workspace> <csv>… [--json]
      Import ISIC metadata CSVs (archive export: isic_id,…,diagnosis,…; challenge ground truth:
      image_id,… or image,MEL,NV,…) keyed by their id column; only the workspace's pairs are kept.
      A repeated header name is imported as "name (2)"; odd values in a numeric column are reported.
  wsm-curator review <workspace> --set <status> (--ids <id,…|@file> | --uncertain-max <f> | --score-min <f> | --where <col=v,…>) [--from <status,…|any>] [--note TEXT] [--dry-run]
      Set the status of many pairs in one audited transaction (statuses: unreviewed, accepted,
      corrected, rejected, flagged, skipped). A fraction or --where filter selects unreviewed pairs
      unless --from. --where column=value[,value…] (repeatable, all must hold) filters by metadata;
      a comma inside a value is written \\, ("site=upper extremity\\, left"); a value no pair has is a warning.
  wsm-curator import-mask <workspace> <id> <png> [--note TEXT]
      Store a mask corrected elsewhere (checked size and values, atomic save); the pair becomes corrected.
  wsm-curator resolve <workspace> (--ids <id,…|@file> | --all) [--dry-run] [--truth <dir>] [--json] [--note TEXT]
      Resolve the uncertain pixels of each pair from its image (the editor's assisted resolution) and save
      the result (the pair becomes corrected; certain pixels never change). --all leaves accepted and
      rejected pairs alone; an --ids id that is not a pair stops everything (exit 2). --truth <dir> scores
      the result against 0/1 (or 0/255) truth masks, next to the nearest-certain-label baseline.
  wsm-curator export <workspace> --out <dir|file.zip> [--status <s,…|any>] [--uncertain-max F] [--score-max F] [--ids <id,…|@file>]
                     [--where <column=value,…>]… [--sample N [--seed S]] [--profile wsm|isic-challenge] [--uncertain-policy refuse|lesion|background] [--json]
      Export a curated subset (default: accepted and corrected pairs): images/ (bytes unchanged), masks/,
      manifest.csv/.json with SHA-256, export.json. isic-challenge masks hold 0 background / 255 LESION.
      --where as for review (\\, for a comma inside a value).
  wsm-curator verify-export <dir|zip> [--json]
      Re-check an export: every checksum, every mask's values (per its profile) and size; exit 1 on any mismatch.
  wsm-curator scan --masks <zip|dir> --images <zip|dir> [--images …] [--json] [--workers N] [--cache-dir <dir>]
      Pair masks and images by ISIC id, decode every mask on all cores, check it against its image's
      size; print counts and problems (exit 1 if any problem).
  wsm-curator validate <png|zip|dir>… [--json] [--workers N]
      Check masks alone (exact decode, values 0/1/255, challenge convention); exit 1 if any problem.
${TEAM_USAGE}
  wsm-curator --version | --help

Exit status: 0 success, 1 a problem in the data, 2 unusable arguments (a usage error or [bad-request]).
A reader that goes away (| head) ends nothing: the command finishes, its output is dropped.
`

/** Every command, by name. Each lives in commands/<name>.ts. */
const COMMANDS: Record<string, Command> = {
  demo: demoCommand,
  serve: serveCommand,
  init: initCommand,
  stats: statsCommand,
  triage: triageCommand,
  review: reviewCommand,
  'import-mask': importMaskCommand,
  metadata: metadataCommand,
  resolve: resolveCommand,
  export: exportCommand,
  'verify-export': verifyExportCommand,
  scan: scanCommand,
  validate: validateCommand,
  team: teamCommand,
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === '--version' || command === '-v') {
      process.stdout.write(`${APP_VERSION}\n`)
      return 0
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE)
      return command === undefined ? EXIT_USAGE : 0
    }
    const run = Object.prototype.hasOwnProperty.call(COMMANDS, command) ? COMMANDS[command] : undefined
    if (!run) throw new UsageError(`unknown command ${JSON.stringify(command)}`)
    return await run(rest)
  } catch (err) {
    const status = exitStatusOf(err)
    if (status === null) throw err
    const { message } = err as Error
    if (err instanceof CodedError) process.stderr.write(`wsm-curator: [${err.code}] ${message}\n`)
    else process.stderr.write(`wsm-curator: ${message}\n`)
    // An argument error names itself in one line; the 80-line usage is one --help away.
    if (status === EXIT_USAGE) process.stderr.write('see wsm-curator --help\n')
    return status
  }
}

dropOutputOnEpipe(process.stdout)
dropOutputOnEpipe(process.stderr)
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(
      `wsm-curator: internal error: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`,
    )
    process.exitCode = 70
  },
)
