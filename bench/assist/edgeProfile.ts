/**
 * Diagnostic of the real development set (issue #12): how the colour changes across the TRUE lesion
 * boundary, against the width of the weak maps' uncertain band. Per image, at `--long` px (default
 * 1000), the mean colour of the pixels at signed distance d from the true boundary (−30…30 px),
 * projected on the axis far skin (d −40…−90) → lesion core (d > 40), 0 = skin, 1 = core. Reports the
 * 20 %–80 % rise of that profile (where the colour changes) and its value at d = 0 (where the
 * annotator drew the edge).
 *
 *   npx jiti bench/assist/edgeProfile.ts [--long 1000]
 */
import path from 'node:path'
import { isicDevRoot, listIsicDev, loadIsicPair } from './isicDev'
import { signedDistance } from './weakMaps'

const R = 30

export interface EdgeProfile {
  id: string
  /** Profile at d = −R…R (index d + R), 0 = far skin, 1 = lesion core; NaN where no pixel. */
  profile: number[]
  /** First d where the profile reaches 0.2 / 0.8 (NaN when it does not within ±R). */
  rise20: number
  rise80: number
}

/** The colour profile across the true boundary of one image (rgb, 3 bytes per pixel). */
export function edgeProfile(id: string, rgb: Uint8Array, sd: Float32Array): EdgeProfile {
  const n = sd.length
  const sum = new Float64Array(2 * R + 1)
  const cnt = new Float64Array(2 * R + 1)
  const skin = [0, 0, 0, 0]
  const core = [0, 0, 0, 0]
  for (let i = 0; i < n; i++) {
    const d = sd[i]
    const acc = d < -R - 10 && d > -R - 60 ? skin : d > R + 10 ? core : null
    if (acc === null) continue
    for (let c = 0; c < 3; c++) acc[c] += rgb[3 * i + c]
    acc[3]++
  }
  const s = [skin[0] / skin[3], skin[1] / skin[3], skin[2] / skin[3]]
  const a = [core[0] / core[3] - s[0], core[1] / core[3] - s[1], core[2] / core[3] - s[2]]
  const aa = a[0] * a[0] + a[1] * a[1] + a[2] * a[2] + 1e-9
  for (let i = 0; i < n; i++) {
    const d = Math.round(sd[i])
    if (d < -R || d > R) continue
    const u =
      ((rgb[3 * i] - s[0]) * a[0] + (rgb[3 * i + 1] - s[1]) * a[1] + (rgb[3 * i + 2] - s[2]) * a[2]) / aa
    sum[d + R] += u
    cnt[d + R]++
  }
  const profile = Array.from(sum, (v, k) => (cnt[k] > 0 ? v / cnt[k] : NaN))
  const cross = (th: number): number => {
    for (let k = 0; k < profile.length; k++) if (profile[k] >= th) return k - R
    return NaN
  }
  return { id, profile, rise20: cross(0.2), rise80: cross(0.8) }
}

function quantiles(v: number[]): string {
  const f = v.filter(Number.isFinite).sort((p, q) => p - q)
  if (f.length === 0) return 'n/a'
  const q = (p: number): string => f[Math.min(f.length - 1, Math.floor(p * f.length))].toFixed(2)
  return `q10 ${q(0.1)} q25 ${q(0.25)} median ${q(0.5)} q75 ${q(0.75)} q90 ${q(0.9)} (${f.length} images)`
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const i = args.indexOf('--long')
  const longSide = i >= 0 ? Number(args[i + 1]) : 1000
  const root = isicDevRoot(path.resolve(import.meta.dirname, '..', '..'))
  const ids = await listIsicDev(root)
  if (ids.length === 0) throw new Error(`no development pairs in ${root}`)
  const out = (s: string): void => void process.stdout.write(s + '\n')
  const rises: number[] = []
  const atEdge: number[] = []
  for (const id of ids) {
    const p = await loadIsicPair(root, id, longSide)
    const e = edgeProfile(id, p.image.data as Uint8Array, signedDistance(p.truth))
    const show = [-20, -10, -5, 0, 5, 10, 20].map((d) => e.profile[d + R].toFixed(2)).join(' ')
    out(`${id} u(d=-20,-10,-5,0,5,10,20) ${show}  20–80 % rise ${e.rise20}..${e.rise80} px`)
    // A rise that does not reach 80 % within R counts as R + 1 beyond its start (a lower bound).
    rises.push(Number.isFinite(e.rise80) ? e.rise80 - e.rise20 : R + 1 - e.rise20)
    atEdge.push(e.profile[R])
  }
  out(`20–80 % colour rise across the true edge, px at ${longSide}: ${quantiles(rises)}`)
  out(`colour position at the true edge (0 skin, 1 core): ${quantiles(atEdge)}`)
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  await main()
}
