import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The shape issue #16 set for the code, held by a test so it does not drift back: no product
 * source file (electron/, shared/, renderer/src/) over 800 lines, no CLI command file over 250
 * (the commands parse arguments and print; the work is in services/). That nothing of the product
 * imports the benchmarks or the tests is the linter's rule (eslint.config.mjs).
 */
const root = path.resolve(__dirname, '../../..')

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const d of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, d.name)
    if (d.isDirectory()) out.push(...sourceFiles(rel))
    else if (/\.(ts|vue|mts|mjs)$/.test(d.name) && !d.name.endsWith('.d.ts')) out.push(rel)
  }
  return out
}

function lineCount(rel: string): number {
  const text = readFileSync(path.join(root, rel), 'utf8')
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
}

function over(files: string[], limit: number): string[] {
  return files.filter((f) => lineCount(f) > limit).map((f) => `${f}: ${lineCount(f)} lines`)
}

describe('code shape (issue #16)', () => {
  it('no product source file is over 800 lines', () => {
    const files = ['electron', 'shared', 'renderer/src'].flatMap(sourceFiles)
    expect(files.length).toBeGreaterThan(50)
    expect(over(files, 800)).toEqual([])
  })

  it('no CLI command file is over 250 lines', () => {
    const files = sourceFiles('electron/cli/commands')
    expect(files.length).toBeGreaterThan(10)
    expect(over(files, 250)).toEqual([])
  })
})
