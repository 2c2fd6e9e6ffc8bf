/**
 * The child of the metadata kill test: opens a workspace, prints `open`, imports one CSV, prints
 * `done` and closes. The test kills it with SIGKILL during the import. argv: <workspace> <csv>.
 */
import { Workspace } from '../../../../../../electron/services/workspace/workspace'

const [dir, file] = process.argv.slice(2)
const ws = await Workspace.open(dir, { curator: 'child' })
process.stdout.write('open\n')
await ws.importMetadata([file])
process.stdout.write('done\n')
await ws.close()
