// Runs Electronegativity (Doyensec's Electron security linter) over the main-process sources and
// the renderer's HTML, offline (the Electron version is given, so it does not fetch release lists),
// and fails on any HIGH or MEDIUM finding not explained in build/electronegativity-accepted.json.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, cpSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'

const require = createRequire(import.meta.url)
const root = path.resolve(import.meta.dirname, '..')
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version
const accepted = JSON.parse(readFileSync(path.join(root, 'build/electronegativity-accepted.json'), 'utf8'))

// One input folder with what ships: the main-process sources and the renderer page.
const work = mkdtempSync(path.join(os.tmpdir(), 'wsm-eneg-'))
const input = path.join(work, 'app')
mkdirSync(input)
cpSync(path.join(root, 'electron'), path.join(input, 'electron'), { recursive: true })
cpSync(path.join(root, 'renderer/index.html'), path.join(input, 'index.html'))
const csv = path.join(work, 'findings.csv')
try {
  execFileSync(
    process.execPath,
    [
      require.resolve('@doyensec/electronegativity/dist/index.js'),
      '-i',
      input,
      '-r',
      '-v',
      'false',
      '-e',
      electronVersion,
      '-o',
      csv,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1)
  const findings = rows.map((line) => {
    const cells = line
      .match(/("([^"]|"")*"|[^,]*)(,|$)/g)
      .map((c) => c.replace(/,$/, '').replace(/^"|"$/g, ''))
    return { check: cells[0], severity: cells[1], file: cells[3], location: cells[4] }
  })
  const serious = findings.filter((f) => f.severity === 'HIGH' || f.severity === 'MEDIUM')
  const unexplained = serious.filter(
    (f) => !accepted.some((a) => a.check === f.check && (a.file ?? f.file) === f.file),
  )
  for (const f of serious) {
    const a = accepted.find((x) => x.check === f.check && (x.file ?? f.file) === f.file)
    console.log(
      `${a ? 'explained ' : 'FINDING   '} ${f.severity.padEnd(6)} ${f.check} ${f.file}:${f.location}${a ? ` — ${a.why}` : ''}`,
    )
  }
  console.log(
    `electronegativity: ${findings.length} findings, ${serious.length} high/medium, ${unexplained.length} unexplained`,
  )
  process.exitCode = unexplained.length > 0 ? 1 : 0
} finally {
  rmSync(work, { recursive: true, force: true })
}
