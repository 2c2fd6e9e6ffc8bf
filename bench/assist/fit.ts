/**
 * Fits the parameters of the assisted resolution (shared/labels/assist/params.ts) on the real
 * development set, and reports held-out numbers: k-fold by image (fold = index of the sorted id mod
 * k). Per fold, the colour evidence (a logistic regression of lesion vs background on the band
 * cells' features) is fitted on the training images, the shrink factor of its image terms is chosen
 * on them, and the held-out images are scored. The final parameters are fitted on
 * all images and written to params.ts.
 *
 *   npx jiti bench/assist/fit.ts [--folds 4] [--long 1000] [--write]
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { decideGrid, EVIDENCE_FEATURES, GEOMETRY_FROM } from '../../shared/labels/assist/decide'
import { uncertainBox } from '../../shared/labels/assist/grid'
import { RESOLVE_PARAMS } from '../../shared/labels/assist/params'
import type { ResolveParams } from '../../shared/labels/assist/params'
import { workGrid } from '../../shared/labels/assist/resolve'
import { isicDevRoot, listIsicDev } from './isicDev'
import { formatSummary, loadDevCases, runCase, summarize } from './realEval'
import type { CaseResult, DevCase } from './realEval'

export interface Samples {
  x: Float32Array
  y: Uint8Array
  n: number
}

/** Colour features and truth of every `stride`-th band cell of the cases. */
export function collectSamples(cases: readonly DevCase[], params: ResolveParams, stride: number): Samples {
  const xs: number[] = []
  const ys: number[] = []
  for (const c of cases) {
    const { rect, count } = uncertainBox(c.map)
    if (count === 0) continue
    const { grid, hairCells, ringCells, unitCells } = workGrid(c.image, c.map, rect)
    const { s, rx0, ry0, cw } = grid
    const W = c.map.width
    let k = 0
    decideGrid(grid, params, hairCells, ringCells, unitCells, (cell, feat) => {
      if (k++ % stride !== 0) return
      const gy = Math.floor(cell / cw)
      const gx = cell - gy * cw
      const px = Math.min(W - 1, rx0 + gx * s + (s >> 1))
      const py = Math.min(c.map.height - 1, ry0 + gy * s + (s >> 1))
      for (let j = 0; j < EVIDENCE_FEATURES; j++) xs.push(feat[j])
      ys.push(c.truth.data[py * W + px])
    })
  }
  return { x: Float32Array.from(xs), y: Uint8Array.from(ys), n: ys.length }
}

/** Solves a·x = b (a: m×m row-major) by Gaussian elimination with partial pivoting. */
function solve(a: Float64Array, b: Float64Array, m: number): Float64Array {
  for (let col = 0; col < m; col++) {
    let piv = col
    for (let r = col + 1; r < m; r++) if (Math.abs(a[r * m + col]) > Math.abs(a[piv * m + col])) piv = r
    if (piv !== col) {
      for (let k = 0; k < m; k++) [a[col * m + k], a[piv * m + k]] = [a[piv * m + k], a[col * m + k]]
      ;[b[col], b[piv]] = [b[piv], b[col]]
    }
    const d = a[col * m + col] || 1e-12
    for (let r = col + 1; r < m; r++) {
      const q = a[r * m + col] / d
      if (q === 0) continue
      for (let k = col; k < m; k++) a[r * m + k] -= q * a[col * m + k]
      b[r] -= q * b[col]
    }
  }
  const x = new Float64Array(m)
  for (let r = m - 1; r >= 0; r--) {
    let v = b[r]
    for (let k = r + 1; k < m; k++) v -= a[r * m + k] * x[k]
    x[r] = v / (a[r * m + r] || 1e-12)
  }
  return x
}

/** L2-regularised logistic regression by Newton's method: weights per feature and a bias. */
export function fitLogistic(s: Samples, l2 = 1e-3, iters = 25): { weights: number[]; bias: number } {
  const F = EVIDENCE_FEATURES
  const m = F + 1
  const w = new Float64Array(m)
  const row = new Float64Array(m)
  for (let it = 0; it < iters; it++) {
    const h = new Float64Array(m * m)
    const g = new Float64Array(m)
    for (let i = 0; i < s.n; i++) {
      for (let j = 0; j < F; j++) row[j] = s.x[i * F + j]
      row[F] = 1
      let z = 0
      for (let j = 0; j < m; j++) z += w[j] * row[j]
      const p = 1 / (1 + Math.exp(-z))
      const r = p - s.y[i]
      const q = Math.max(1e-6, p * (1 - p))
      for (let j = 0; j < m; j++) {
        g[j] += r * row[j]
        for (let k = 0; k <= j; k++) h[j * m + k] += q * row[j] * row[k]
      }
    }
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < j; k++) h[k * m + j] = h[j * m + k]
      h[j * m + j] += l2 * s.n
      g[j] += l2 * s.n * w[j]
    }
    const step = solve(h, g, m)
    let change = 0
    for (let j = 0; j < m; j++) {
      w[j] -= step[j]
      change = Math.max(change, Math.abs(step[j]))
    }
    if (change < 1e-6) break
  }
  return {
    weights: Array.from(w.subarray(0, F), (v) => Math.round(v * 1e4) / 1e4),
    bias: Math.round(w[F] * 1e4) / 1e4,
  }
}

/** Pixel-pooled accuracy of the method on the cases with these parameters. */
function accuracy(cases: readonly DevCase[], params: ResolveParams): number {
  let u = 0
  let ok = 0
  for (const c of cases) {
    const r = runCase(c, params, true)
    u += r.scores.method.uncertain
    ok += r.scores.method.correct
  }
  return ok / Math.max(1, u)
}

/** Shrink factors of the image terms tried per fold (0 = the geometry alone, 1 = as fitted). */
const SHRINK = [0, 0.5, 1]

/** The parameters with the image terms scaled by k. */
function shrink(p: ResolveParams, k: number): ResolveParams {
  return { ...p, weights: p.weights.map((w, j) => (j < GEOMETRY_FROM ? Math.round(w * k * 1e4) / 1e4 : w)) }
}

/**
 * Fits everything on `train`: the logistic weights on every 7th band cell, then the shrink factor
 * of the image terms that scores best on a quarter of the training cases.
 */
export function fitParams(train: readonly DevCase[], log: (s: string) => void): ResolveParams {
  const samples = collectSamples(train, RESOLVE_PARAMS, 7)
  const lr = fitLogistic(samples)
  log(`  logistic on ${samples.n} cells: w=${JSON.stringify(lr.weights)} b=${lr.bias}`)
  const fitted: ResolveParams = { ...RESOLVE_PARAMS, ...lr }
  const sub = train.filter((_, i) => i % 4 === 0)
  let best = fitted
  let bestAcc = -1
  for (const k of SHRINK) {
    const p = shrink(fitted, k)
    const a = accuracy(sub, p)
    log(`  image weight ${k} → ${(100 * a).toFixed(2)} % on ${sub.length} training cases`)
    if (a > bestAcc) {
      bestAcc = a
      best = p
    }
  }
  return best
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const arg = (name: string, def: number): number => {
    const i = args.indexOf(name)
    return i >= 0 ? Number(args[i + 1]) : def
  }
  const folds = arg('--folds', 4)
  const longSide = arg('--long', 1000)
  const repo = path.resolve(import.meta.dirname, '..', '..')
  const root = isicDevRoot(repo)
  const ids = await listIsicDev(root)
  if (ids.length === 0) throw new Error(`no development pairs in ${root}`)
  const log = (s: string): void => void process.stderr.write(s + '\n')
  const cases = await loadDevCases(root, ids, longSide)
  const foldOf = (id: string): number => ids.indexOf(id) % folds
  const held: CaseResult[] = []
  for (let k = 0; k < folds; k++) {
    log(`fold ${k + 1}/${folds}`)
    const params = fitParams(
      cases.filter((c) => foldOf(c.id) !== k),
      log,
    )
    for (const c of cases) if (foldOf(c.id) === k) held.push(runCase(c, params))
  }
  process.stdout.write(`held-out (${folds} folds by image, ${longSide} px long side):\n`)
  process.stdout.write(formatSummary(summarize(held)) + '\n')
  if (args.includes('--write')) {
    log('final fit on all images')
    const params = fitParams(cases, log)
    const file = path.join(repo, 'shared', 'labels', 'assist', 'params.ts')
    const text = await fsp.readFile(file, 'utf8')
    const start = text.indexOf('export const RESOLVE_PARAMS')
    await fsp.writeFile(
      file,
      text.slice(0, start) +
        `export const RESOLVE_PARAMS: ResolveParams = ${JSON.stringify(params, null, 2)}\n`,
    )
    log(`wrote ${file}`)
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  await main()
}
