// Prints one closing line over the unit and end-to-end reports: "tests: N passed, N failed, N skipped".
import { readFileSync } from 'node:fs'

function read(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return null
  }
}

let passed = 0
let failed = 0
let skipped = 0

const unit = read('test-results/unit-report.json')
if (unit) {
  passed += unit.numPassedTests
  failed += unit.numFailedTests
  skipped += unit.numPendingTests + (unit.numTodoTests ?? 0)
}
const e2e = read('test-results/e2e-report.json')
if (e2e) {
  passed += e2e.stats.expected
  failed += e2e.stats.unexpected + (e2e.stats.flaky ?? 0)
  skipped += e2e.stats.skipped
}
if (!unit || !e2e) {
  console.error('test summary: a report is missing (unit or e2e did not run)')
  failed += 1
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exitCode = failed > 0 ? 1 : 0
