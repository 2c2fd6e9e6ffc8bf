#!/usr/bin/env node
// The CLI runs the built bundle (plain Node, no Electron). `npm install` builds it (prepare).
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url))
if (!existsSync(cli)) {
  process.stderr.write('wsm-curator: not built yet; run `npm run build` in the project folder\n')
  process.exit(2)
}
await import(pathToFileURL(cli).href)
