/**
 * Experiment (issue #12): can the image tell the LEVEL of the true edge across the uncertain band,
 * per stretch of the boundary? Band cells only (components touching both sides), 1000 px long side,
 * every family, 4 folds by image (as fit.ts); every choice is made on the training folds and scored
 * on the held-out one. Band cells are cached in the OS temp folder after the first run (~1–2 min).
 *
 *   npx jiti bench/assist/levelExp.ts             nearest, all-lesion, per-image oracle, and the
 *                                                 colour-step level per stretch (held out)
 *   … --oracles   adds the per-stretch oracles (tiles of 20, 40, 60 px)
 *   … --profile   mean colour position vs band coordinate t per family, and the truth's share
 *   … --regress   per-image level regressed on colour summaries (held-out R², accuracy)
 *   … --gradient  level at the steepest / outermost colour rise per stretch (held out)
 *   … --combo     the logistic features plus t − level (colour step, gradient) (held out)
 *
 * Result (2026-12, 44 images): the per-stretch oracle reaches ~97 % of band cells and the
 * per-image one ~95 %, but no estimate of the level from the image beats the nearest label on every
 * family held out; see edgeProfile.ts for why (the colour ramp is wider than the band).
 */
import os from 'node:os'
import path from 'node:path'
import { decideGrid, EVIDENCE_FEATURES } from '../../shared/labels/assist/decide'
import { nearestSite } from '../../shared/labels/assist/distance'
import { uncertainBox } from '../../shared/labels/assist/grid'
import { RESOLVE_PARAMS } from '../../shared/labels/assist/params'
import { workGrid } from '../../shared/labels/assist/resolve'
import { LABEL_LESION } from '../../shared/labels/codes'
import { fitLogistic } from './fit'
import { isicDevRoot, listIsicDev } from './isicDev'
import { loadDevCases } from './realEval'
import { FAMILIES } from './weakMaps'

interface Band {
  id: string
  fold: number
  family: string
  n: number
  t: Float32Array
  u: Float32Array
  lum: Float32Array
  feat: Float32Array
  y: Uint8Array
  /** nearest lesion site coordinates (cells) */
  sx: Float32Array
  sy: Float32Array
  cx: Float32Array
  cy: Float32Array
  core: number[]
  skin: number[]
  rgb: Float32Array
  ug: Float32Array
}

const F = EVIDENCE_FEATURES

const CACHE = path.join(os.tmpdir(), 'wsm-level-exp-bands.bin')
const KEYS = ['t', 'u', 'lum', 'feat', 'y', 'sx', 'sy', 'cx', 'cy', 'rgb'] as const

async function load(): Promise<Band[]> {
  const fs = await import('node:fs')
  if (fs.existsSync(CACHE)) {
    const buf = fs.readFileSync(CACHE)
    const meta = JSON.parse(fs.readFileSync(CACHE + '.json', 'utf8')) as {
      id: string
      fold: number
      family: string
      n: number
      core: number[]
      skin: number[]
    }[]
    let off = 0
    return meta.map((m) => {
      const b = { ...m } as unknown as Band
      for (const k of KEYS) {
        const len = k === 'feat' ? m.n * F : k === 'rgb' ? 3 * m.n : m.n
        if (k === 'y') {
          b.y = new Uint8Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + len))
          off += len
        } else {
          ;(b as unknown as Record<string, Float32Array>)[k] = new Float32Array(
            buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + 4 * len),
          )
          off += 4 * len
        }
      }
      return b
    })
  }
  const res = await load0()
  const parts: Buffer[] = []
  for (const b of res)
    for (const k of KEYS)
      parts.push(Buffer.from((b as unknown as Record<string, Float32Array | Uint8Array>)[k].buffer))
  fs.writeFileSync(CACHE, Buffer.concat(parts))
  fs.writeFileSync(
    CACHE + '.json',
    JSON.stringify(
      res.map((b) => ({ id: b.id, fold: b.fold, family: b.family, n: b.n, core: b.core, skin: b.skin })),
    ),
  )
  return res
}

async function load0(): Promise<Band[]> {
  const repo = path.resolve(import.meta.dirname, '..', '..')
  const root = isicDevRoot(repo)
  const ids = await listIsicDev(root)
  const out: Band[] = []
  for (const id of ids) {
    const cases = await loadDevCases(root, [id], 1000)
    for (const c of cases) {
      const { rect, count } = uncertainBox(c.map)
      if (count === 0) continue
      const { grid, hairCells, ringCells, unitCells } = workGrid(c.image, c.map, rect)
      const { s, rx0, ry0, cw, ch, lab } = grid
      const siteL = new Uint8Array(cw * ch)
      for (let i = 0; i < siteL.length; i++) siteL[i] = lab[i] === LABEL_LESION ? 1 : 0
      const nl = nearestSite(cw, ch, siteL)
      const W = c.map.width
      const rows: number[][] = []
      decideGrid(grid, RESOLVE_PARAMS, hairCells, ringCells, unitCells, (cell, feat, t) => {
        const gy = Math.floor(cell / cw)
        const gx = cell - gy * cw
        const px = Math.min(W - 1, rx0 + gx * s + (s >> 1))
        const py = Math.min(c.map.height - 1, ry0 + gy * s + (s >> 1))
        const q = nl[cell]
        const qy = Math.floor(q / cw)
        rows.push([
          t,
          ...feat,
          c.truth.data[py * W + px],
          q - qy * cw,
          qy,
          gx,
          gy,
          grid.r[cell] + grid.g[cell] + grid.b[cell],
          grid.r[cell],
          grid.g[cell],
          grid.b[cell],
        ])
      })
      const n = rows.length
      // global colours: mean of certain lesion cells / certain background cells of the grid
      const gl = [0, 0, 0, 0]
      const gb = [0, 0, 0, 0]
      for (let i = 0; i < lab.length; i++) {
        const a = lab[i] === LABEL_LESION ? gl : lab[i] === 0 ? gb : null
        if (!a) continue
        a[0] += grid.r[i]
        a[1] += grid.g[i]
        a[2] += grid.b[i]
        a[3]++
      }
      const b: Band = {
        core: [gl[0] / gl[3], gl[1] / gl[3], gl[2] / gl[3]],
        skin: [gb[0] / gb[3], gb[1] / gb[3], gb[2] / gb[3]],
        rgb: new Float32Array(3 * n),
        ug: new Float32Array(0),
        id,
        fold: ids.indexOf(id) % 4,
        family: c.family,
        n,
        t: new Float32Array(n),
        u: new Float32Array(n),
        lum: new Float32Array(n),
        feat: new Float32Array(n * F),
        y: new Uint8Array(n),
        sx: new Float32Array(n),
        sy: new Float32Array(n),
        cx: new Float32Array(n),
        cy: new Float32Array(n),
      }
      rows.forEach((r, i) => {
        b.t[i] = r[0]
        b.u[i] = r[1]
        for (let j = 0; j < F; j++) b.feat[i * F + j] = r[1 + j]
        b.y[i] = r[1 + F]
        b.sx[i] = r[2 + F]
        b.sy[i] = r[3 + F]
        b.cx[i] = r[4 + F]
        b.cy[i] = r[5 + F]
        b.lum[i] = r[6 + F]
        b.rgb[3 * i] = r[7 + F]
        b.rgb[3 * i + 1] = r[8 + F]
        b.rgb[3 * i + 2] = r[9 + F]
      })
      out.push(b)
    }
    process.stderr.write('.')
  }
  process.stderr.write('\n')
  return out
}

const LEVELS = Array.from({ length: 19 }, (_, i) => 0.05 * (i + 1))

/** Tile index per cell for tile size T (cells), by nearest lesion site. */
/** The image's oracle level: the one of LEVELS with the most right answers (ties: the first). */
function bestImageLevel(b: Band): number {
  let bl = 0.5
  let bo = -1
  for (const l of LEVELS) {
    let c = 0
    for (let i = 0; i < b.n; i++) if ((b.t[i] > l ? 1 : 0) === b.y[i]) c++
    if (c > bo) {
      bo = c
      bl = l
    }
  }
  return bl
}

/**
 * Gauss-Jordan elimination with partial pivoting, in place, on the m x (m+1)
 * augmented rows `a` = [A | v]: afterwards row p holds only its pivot a[p][p]
 * and the right-hand side a[p][m], so x[p] = a[p][m] / a[p][p].
 */
function gaussJordan(a: number[][], m: number): void {
  for (let c = 0; c < m; c++) {
    let piv = c
    for (let r = c + 1; r < m; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r
    ;[a[c], a[piv]] = [a[piv], a[c]]
    for (let r = 0; r < m; r++) {
      if (r === c) continue
      const f = a[r][c] / a[c][c]
      for (let q = c; q <= m; q++) a[r][q] -= f * a[c][q]
    }
  }
}

function tiles(b: Band, T: number): { tile: Int32Array; keys: number[]; tx: number[]; ty: number[] } {
  const map = new Map<number, number>()
  const tile = new Int32Array(b.n)
  const tx: number[] = []
  const ty: number[] = []
  for (let i = 0; i < b.n; i++) {
    const a = Math.floor(b.sx[i] / T)
    const c = Math.floor(b.sy[i] / T)
    const key = a * 100000 + c
    let k = map.get(key)
    if (k === undefined) {
      k = map.size
      map.set(key, k)
      tx.push(a)
      ty.push(c)
    }
    tile[i] = k
  }
  return { tile, keys: [...map.keys()], tx, ty }
}

/** per tile, per level: costs computed by cost(i, level) summed */
function perTileBest(
  b: Band,
  tl: ReturnType<typeof tiles>,
  score: (i: number, lvl: number) => number,
): { best: Float32Array; sep: Float32Array; cnt: Int32Array; costs: Float32Array } {
  const K = tl.tx.length
  const L = LEVELS.length
  const costs = new Float32Array(K * L)
  const cnt = new Int32Array(K)
  for (let i = 0; i < b.n; i++) {
    const k = tl.tile[i]
    cnt[k]++
    for (let l = 0; l < L; l++) costs[k * L + l] += score(i, LEVELS[l])
  }
  const best = new Float32Array(K)
  const sep = new Float32Array(K)
  for (let k = 0; k < K; k++) {
    let bl = 9
    let bc = Infinity
    let wc = -Infinity
    for (let l = 0; l < L; l++) {
      const c = costs[k * L + l]
      if (c < bc) {
        bc = c
        bl = l
      }
      if (c > wc) wc = c
    }
    best[k] = LEVELS[bl]
    sep[k] = cnt[k] > 0 ? (costs[k * L + 9] - bc) / cnt[k] : 0
  }
  return { best, sep, cnt, costs }
}

function smoothTiles(
  tl: ReturnType<typeof tiles>,
  v: Float32Array,
  w: Float32Array,
  r: number,
): Float32Array {
  // weighted mean over tiles within r (chebyshev), including itself
  const K = tl.tx.length
  const out = new Float32Array(K)
  for (let k = 0; k < K; k++) {
    let s = 0
    let ws = 0
    for (let j = 0; j < K; j++) {
      if (Math.abs(tl.tx[j] - tl.tx[k]) > r || Math.abs(tl.ty[j] - tl.ty[k]) > r) continue
      s += v[j] * w[j]
      ws += w[j]
    }
    out[k] = ws > 0 ? s / ws : v[k]
  }
  return out
}

type Pred = (b: Band) => Uint8Array

function score(
  bands: Band[],
  pred: Pred,
): { pooled: number; fam: Record<string, number>; worst: number; nn: Record<string, number> } {
  const fam: Record<string, [number, number]> = {}
  const nnf: Record<string, [number, number]> = {}
  let ok = 0
  let tot = 0
  let worst = 1
  for (const b of bands) {
    const p = pred(b)
    let c = 0
    let cn = 0
    for (let i = 0; i < b.n; i++) {
      if (p[i] === b.y[i]) c++
      if ((b.t[i] > 0.5 ? 1 : 0) === b.y[i]) cn++
    }
    ok += c
    tot += b.n
    fam[b.family] ??= [0, 0]
    fam[b.family][0] += c
    fam[b.family][1] += b.n
    nnf[b.family] ??= [0, 0]
    nnf[b.family][0] += cn
    nnf[b.family][1] += b.n
    if (b.n > 0) worst = Math.min(worst, c / b.n)
  }
  return {
    pooled: ok / tot,
    fam: Object.fromEntries(Object.entries(fam).map(([k, v]) => [k, v[0] / v[1]])),
    nn: Object.fromEntries(Object.entries(nnf).map(([k, v]) => [k, v[0] / v[1]])),
    worst,
  }
}

function row(name: string, s: ReturnType<typeof score>): string {
  const p = (v: number): string => (100 * v).toFixed(1)
  return `${name.padEnd(28)} ${p(s.pooled)} | ${FAMILIES.map((f) => `${f.slice(0, 5)} ${p(s.fam[f])}`).join(' ')} | worst ${p(s.worst)}`
}

/** Pred from a per-cell level array. */
function byLevel(b: Band, lvl: (i: number) => number): Uint8Array {
  const p = new Uint8Array(b.n)
  for (let i = 0; i < b.n; i++) p[i] = b.t[i] > lvl(i) ? 1 : 0
  return p
}

interface Cfg {
  T: number
  theta: number
  prior: number
  alpha: number
  r: number
  mode: 'step' | 'profile'
  field: 'u' | 'ug'
}

function addUg(b: Band): void {
  const d = [b.core[0] - b.skin[0], b.core[1] - b.skin[1], b.core[2] - b.skin[2]]
  const dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + 1e-6
  b.ug = new Float32Array(b.n)
  for (let i = 0; i < b.n; i++)
    b.ug[i] =
      ((b.rgb[3 * i] - b.skin[0]) * d[0] +
        (b.rgb[3 * i + 1] - b.skin[1]) * d[1] +
        (b.rgb[3 * i + 2] - b.skin[2]) * d[2]) /
      dd
}

/** Colour-step level per tile, smoothed and shrunk. */
function stepLevels(b: Band, cfg: Cfg, cache: Map<string, unknown>): Float32Array {
  const key = `${b.id}/${b.family}/${cfg.T}/${cfg.theta}/${cfg.mode}/${cfg.field}`
  let hit = cache.get(key) as
    { tl: ReturnType<typeof tiles>; best: Float32Array; sep: Float32Array; cnt: Int32Array } | undefined
  if (!hit) {
    const tl = tiles(b, cfg.T)
    const th = cfg.theta
    const u = cfg.field === 'u' ? b.u : b.ug
    const r =
      cfg.mode === 'step'
        ? perTileBest(b, tl, (i, l) => (b.t[i] < l ? (u[i] > th ? 1 : 0) : u[i] < th ? 1 : 0))
        : perTileBest(b, tl, (i, l) => (b.t[i] < l ? Math.max(0, u[i] - th) : Math.max(0, th - u[i])))
    hit = { tl, best: r.best, sep: r.sep, cnt: r.cnt }
    cache.set(key, hit)
  }
  const { tl, best, cnt } = hit
  const w = Float32Array.from(cnt, (c) => c)
  const sm = cfg.r > 0 ? smoothTiles(tl, best, w, cfg.r) : best
  const lv = new Float32Array(b.n)
  for (let i = 0; i < b.n; i++) lv[i] = cfg.prior + cfg.alpha * (sm[tl.tile[i]] - cfg.prior)
  return lv
}

async function main(): Promise<void> {
  const t0 = performance.now()
  const bands = await load()
  for (const b of bands) addUg(b)
  process.stderr.write(`loaded ${bands.length} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
  const out = (s: string): void => void process.stdout.write(s + '\n')
  if (process.argv.includes('--regress')) {
    // per image: oracle level vs features; linear regression held out by fold; then predicted level
    const X: number[][] = []
    const Y: number[] = []
    for (const b of bands) {
      const bl = bestImageLevel(b)
      const lo = [0, 0]
      const hi = [0, 0]
      const mid = [0, 0]
      let su = 0
      for (let i = 0; i < b.n; i++) {
        const v = Math.max(-0.5, Math.min(1.5, b.ug[i]))
        su += v
        const a = b.t[i] < 0.3 ? lo : b.t[i] > 0.7 ? hi : mid
        a[0] += v
        a[1]++
      }
      const c = Math.hypot(b.core[0] - b.skin[0], b.core[1] - b.skin[1], b.core[2] - b.skin[2]) / 100
      X.push([
        1,
        su / Math.max(1, b.n),
        lo[0] / Math.max(1, lo[1]),
        hi[0] / Math.max(1, hi[1]),
        mid[0] / Math.max(1, mid[1]),
        c,
      ])
      Y.push(bl)
    }
    const m = X[0].length
    const pred = new Float64Array(bands.length)
    for (let k = 0; k < 4; k++) {
      const A = new Float64Array(m * m)
      const v = new Float64Array(m)
      bands.forEach((b, j) => {
        if (b.fold === k) return
        for (let p = 0; p < m; p++) {
          v[p] += X[j][p] * Y[j]
          for (let q = 0; q < m; q++) A[p * m + q] += X[j][p] * X[j][q]
        }
      })
      for (let p = 0; p < m; p++) A[p * m + p] += 1e-3
      // solve by simple Gauss
      const a = Array.from({ length: m }, (_, p) => [...A.slice(p * m, p * m + m), v[p]])
      gaussJordan(a, m)
      const w = a.map((r, p) => r[m] / r[p])
      out(`fold ${k} w=${w.map((x) => x.toFixed(3)).join(',')}`)
      bands.forEach((b, j) => {
        if (b.fold === k) pred[j] = X[j].reduce((s2, x, p) => s2 + x * w[p], 0)
      })
    }
    let sse = 0
    let sst = 0
    const my = Y.reduce((s2, y) => s2 + y, 0) / Y.length
    Y.forEach((y, j) => {
      sse += (y - pred[j]) ** 2
      sst += (y - my) ** 2
    })
    out(`held-out R2 of per-image level: ${(1 - sse / sst).toFixed(3)}`)
    for (const alpha of [0.25, 0.5, 0.75, 1]) {
      const idx = new Map(bands.map((b, j) => [b, j]))
      out(
        row(
          `pred image level a=${alpha}`,
          score(bands, (b) =>
            byLevel(b, () => 0.5 + alpha * (Math.max(0.05, Math.min(0.95, pred[idx.get(b)!])) - 0.5)),
          ),
        ),
      )
    }
    return
  }
  if (process.argv.includes('--gradient')) {
    // per tile: mean ug in NB t-bins; level = centre of the steepest rise (or outermost rise above frac·max)
    const NB = 6
    const levelOf = (b: Band, T: number, frac: number, r: number): Float32Array => {
      const tl = tiles(b, T)
      const K = tl.tx.length
      const su = new Float64Array(K * NB)
      const sn = new Float64Array(K * NB)
      for (let i = 0; i < b.n; i++) {
        const k = tl.tile[i] * NB + Math.min(NB - 1, Math.floor(b.t[i] * NB))
        su[k] += b.ug[i]
        sn[k]++
      }
      const lvl = new Float32Array(K)
      const w = new Float32Array(K)
      for (let k = 0; k < K; k++) {
        const prof: number[] = []
        for (let j = 0; j < NB; j++) prof.push(sn[k * NB + j] > 0 ? su[k * NB + j] / sn[k * NB + j] : NaN)
        let mx = -Infinity
        for (let j = 0; j + 1 < NB; j++) if (prof[j + 1] - prof[j] > mx) mx = prof[j + 1] - prof[j]
        let at = 0.5
        if (Number.isFinite(mx) && mx > 0) {
          for (let j = 0; j + 1 < NB; j++) {
            if (prof[j + 1] - prof[j] >= frac * mx) {
              at = (j + 1) / NB
              break
            }
          }
        }
        lvl[k] = at
        w[k] = sn.slice(k * NB, k * NB + NB).reduce((a, c) => a + c, 0)
      }
      const sm = r > 0 ? smoothTiles(tl, lvl, w, r) : lvl
      return Float32Array.from(tl.tile, (k) => sm[k])
    }
    const cache2 = new Map<string, Float32Array>()
    const cfgs: { T: number; frac: number; r: number; alpha: number }[] = []
    for (const T of [40, 80])
      for (const frac of [0.5, 0.8, 1])
        for (const r of [0, 1, 100]) for (const alpha of [0, 0.25, 0.5, 1]) cfgs.push({ T, frac, r, alpha })
    const get = (b: Band, c: { T: number; frac: number; r: number }): Float32Array => {
      const key = `${b.id}/${b.family}/${c.T}/${c.frac}/${c.r}`
      let v = cache2.get(key)
      if (!v) cache2.set(key, (v = levelOf(b, c.T, c.frac, c.r)))
      return v
    }
    for (const c of cfgs.filter((c) => c.alpha === 1))
      out(
        row(
          `grad all ${c.T}/${c.frac}/${c.r}`,
          score(bands, (b) => {
            const lv = get(b, c)
            return byLevel(b, (i) => lv[i])
          }),
        ),
      )
    const held = new Map<Band, Uint8Array>()
    for (let k = 0; k < 4; k++) {
      let best = cfgs[0]
      let ba = -1
      for (const c of cfgs) {
        const a = score(
          bands.filter((b) => b.fold !== k),
          (b) => {
            const lv = get(b, c)
            return byLevel(b, (i) => 0.5 + c.alpha * (lv[i] - 0.5))
          },
        ).pooled
        if (a > ba) {
          ba = a
          best = c
        }
      }
      out(`fold ${k}: ${JSON.stringify(best)}`)
      for (const b of bands.filter((bb) => bb.fold === k)) {
        const lv = get(b, best)
        held.set(
          b,
          byLevel(b, (i) => 0.5 + best.alpha * (lv[i] - 0.5)),
        )
      }
    }
    out(
      row(
        'held-out gradient level',
        score(bands, (b) => held.get(b)!),
      ),
    )
    return
  }
  if (process.argv.includes('--combo')) {
    const lvC = new Map<Band, Float32Array>()
    const lvG = new Map<Band, Float32Array>()
    for (const b of bands) {
      lvC.set(
        b,
        stepLevels(
          b,
          { T: 80, theta: 0.25, prior: 0.5, alpha: 1, r: 100, mode: 'profile', field: 'ug' },
          new Map(),
        ),
      )
      // gradient level: T=80 frac .8 r=100 (per image), recomputed inline
      const NB = 6
      const su = new Float64Array(NB)
      const sn = new Float64Array(NB)
      for (let i = 0; i < b.n; i++) {
        const k = Math.min(NB - 1, Math.floor(b.t[i] * NB))
        su[k] += b.ug[i]
        sn[k]++
      }
      const prof = Array.from(su, (v, k) => (sn[k] > 0 ? v / sn[k] : 0))
      let mx = 0
      for (let j = 0; j + 1 < NB; j++) mx = Math.max(mx, prof[j + 1] - prof[j])
      let at = 0.5
      for (let j = 0; j + 1 < NB && mx > 0; j++)
        if (prof[j + 1] - prof[j] >= 0.8 * mx) {
          at = (j + 1) / NB
          break
        }
      lvG.set(b, new Float32Array(b.n).fill(at))
    }
    const G = F + 4
    const fx = (b: Band, i: number, o: Float64Array): void => {
      for (let j = 0; j < F; j++) o[j] = b.feat[i * F + j]
      o[F] = b.t[i] - lvC.get(b)![i]
      o[F + 1] = b.t[i] - lvG.get(b)![i]
      o[F + 2] = Math.max(-1, Math.min(2, b.ug[i]))
      o[F + 3] = 1
    }
    for (const kImg of [0.5, 1]) {
      const held = new Map<Band, Uint8Array>()
      for (let k = 0; k < 4; k++) {
        const w = new Float64Array(G)
        const o = new Float64Array(G)
        const tr = bands.filter((b) => b.fold !== k)
        for (let it = 0; it < 15; it++) {
          const H = new Float64Array(G * G)
          const g = new Float64Array(G)
          let N = 0
          for (const b of tr)
            for (let i = 0; i < b.n; i += 7) {
              fx(b, i, o)
              let z = 0
              for (let j = 0; j < G; j++) z += w[j] * o[j]
              const pz = 1 / (1 + Math.exp(-z))
              const q = Math.max(1e-6, pz * (1 - pz))
              for (let j = 0; j < G; j++) {
                g[j] += (pz - b.y[i]) * o[j]
                for (let l = 0; l < G; l++) H[j * G + l] += q * o[j] * o[l]
              }
              N++
            }
          for (let j = 0; j < G; j++) {
            H[j * G + j] += 1e-3 * N
            g[j] += 1e-3 * N * w[j]
          }
          const a = Array.from({ length: G }, (_, r) => [...H.slice(r * G, r * G + G), g[r]])
          gaussJordan(a, G)
          for (let j = 0; j < G; j++) w[j] -= a[j][G] / a[j][j]
        }
        if (kImg === 1) out(`fold ${k} w=${Array.from(w, (v) => v.toFixed(2)).join(',')}`)
        for (const b of bands.filter((bb) => bb.fold === k)) {
          const p = new Uint8Array(b.n)
          for (let i = 0; i < b.n; i++) {
            fx(b, i, o)
            let z = 0
            for (let j = 0; j < G; j++) z += w[j] * o[j] * (j === 9 || j === 10 || j === G - 1 ? 1 : kImg)
            p[i] = z > 0 ? 1 : 0
          }
          held.set(b, p)
        }
      }
      out(
        row(
          `held-out combo k=${kImg}`,
          score(bands, (b) => held.get(b)!),
        ),
      )
    }
    return
  }
  if (process.argv.includes('--profile')) {
    // mean u and mean lum (relative) per t bin per family, and truth fraction
    for (const f of FAMILIES) {
      const su = new Float64Array(10)
      const sy = new Float64Array(10)
      const sn = new Float64Array(10)
      for (const b of bands) {
        if (b.family !== f) continue
        for (let i = 0; i < b.n; i++) {
          const k = Math.min(9, Math.floor(b.t[i] * 10))
          const d = [b.core[0] - b.skin[0], b.core[1] - b.skin[1], b.core[2] - b.skin[2]]
          const dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
          su[k] +=
            ((b.rgb[3 * i] - b.skin[0]) * d[0] +
              (b.rgb[3 * i + 1] - b.skin[1]) * d[1] +
              (b.rgb[3 * i + 2] - b.skin[2]) * d[2]) /
            dd
          sy[k] += b.y[i]
          sn[k]++
        }
      }
      out(
        `${f.padEnd(9)} u: ${[...su].map((v, k) => (v / sn[k]).toFixed(2)).join(' ')}   y: ${[...sy].map((v, k) => (v / sn[k]).toFixed(2)).join(' ')}`,
      )
    }
    return
  }
  out(
    row(
      'nearest',
      score(bands, (b) => byLevel(b, () => 0.5)),
    ),
  )
  out(
    row(
      'all-lesion',
      score(bands, (b) => new Uint8Array(b.n).fill(1)),
    ),
  )
  // Oracles
  const oracleImg = (b: Band): Uint8Array => {
    const bl = bestImageLevel(b)
    return byLevel(b, () => bl)
  }
  out(row('oracle per image', score(bands, oracleImg)))
  for (const T of process.argv.includes('--oracles') ? [20, 40, 60] : []) {
    out(
      row(
        `oracle per tile T=${T}`,
        score(bands, (b) => {
          const tl = tiles(b, T)
          const r = perTileBest(b, tl, (i, l) => ((b.t[i] > l ? 1 : 0) === b.y[i] ? 0 : 1))
          return byLevel(b, (i) => r.best[tl.tile[i]])
        }),
      ),
    )
  }
  // Held-out: per fold, choose cfg maximising training band accuracy from a grid.
  const cache = new Map<string, unknown>()
  const grid: Cfg[] = []
  for (const mode of ['step', 'profile'] as const)
    for (const T of [40, 80])
      for (const theta of [0.15, 0.2, 0.25, 0.3, 0.35])
        for (const prior of [0.5])
          for (const alpha of [0.25, 0.5, 0.75, 1])
            for (const r of [0, 1, 2, 100]) grid.push({ T, theta, prior, alpha, r, mode, field: 'ug' })
  const held: { b: Band; p: Uint8Array }[] = []
  for (let k = 0; k < 4; k++) {
    const train = bands.filter((b) => b.fold !== k)
    let best = grid[0]
    let bestAcc = -1
    for (const cfg of grid) {
      const a = score(train, (b) => {
        const lv = stepLevels(b, cfg, cache)
        return byLevel(b, (i) => lv[i])
      }).pooled
      if (a > bestAcc) {
        bestAcc = a
        best = cfg
      }
    }
    out(`fold ${k}: ${JSON.stringify(best)} train ${(100 * bestAcc).toFixed(2)}`)
    for (const b of bands.filter((bb) => bb.fold === k)) {
      const lv = stepLevels(b, best, cache)
      held.push({ b, p: byLevel(b, (i) => lv[i]) })
    }
  }
  const m = new Map(held.map((h) => [h.b, h.p]))
  out(
    row(
      'held-out colour level',
      score(bands, (b) => m.get(b)!),
    ),
  )
  // Baseline logistic per fold (the existing method's features) for reference.
  const heldL = new Map<Band, Uint8Array>()
  for (let k = 0; k < 4; k++) {
    const train = bands.filter((b) => b.fold !== k)
    const xs: number[] = []
    const ys: number[] = []
    for (const b of train)
      for (let i = 0; i < b.n; i += 7) {
        for (let j = 0; j < F; j++) xs.push(b.feat[i * F + j])
        ys.push(b.y[i])
      }
    const lr = fitLogistic({ x: Float32Array.from(xs), y: Uint8Array.from(ys), n: ys.length })
    for (const b of bands.filter((bb) => bb.fold === k)) {
      const p = new Uint8Array(b.n)
      for (let i = 0; i < b.n; i++) {
        let z = lr.bias
        for (let j = 0; j < F; j++) z += lr.weights[j] * b.feat[i * F + j] * (j < 9 ? 0.5 : 1)
        p[i] = z > 0 ? 1 : 0
      }
      heldL.set(b, p)
    }
  }
  out(
    row(
      'held-out logistic (k=.5)',
      score(bands, (b) => heldL.get(b)!),
    ),
  )
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  await main()
}
