/**
 * The evaluation set of the assisted resolution: synthetic dermoscopy pairs with known truth
 * (electron/services/demo/synthesize.ts), half of them made harder by post-processing here.
 *
 * Every pair from synthesizePair already has hairs (two crossing the lesion boundary), a ruler,
 * a dermoscope vignette, a band of varying width offset from the true boundary, stray uncertain
 * blobs, and about a third have a faint lesion. The images go through JPEG like the real ISIC
 * images ('plain': quality 90). 'hard' pairs add, in this order:
 *  - 2–4 thick hairs (up to 1.5× the default hair width of the method) across the true boundary;
 *  - an illumination gradient across the image (one side 20–40 % darker);
 *  - a defocus blur (Gaussian, σ 0.6–1.5 px at 750 px);
 *  - a harder JPEG (quality 60–85).
 * Deterministic: the same options give the same bytes.
 */
import sharp from 'sharp'
import { LABEL_LESION, LABEL_UNCERTAIN } from '../../shared/labels/codes'
import type { LabelMap } from '../../shared/labels/codes'
import type { AssistImage } from '../../shared/labels/assist/resolve'
import { mulberry32, randInt, uniform } from '../../electron/services/demo/prng'
import type { Rng } from '../../electron/services/demo/prng'
import { stampDisc, synthesizePair } from '../../electron/services/demo/synthesize'

export interface EvalPair {
  id: string
  /** 'plain' or 'hard', plus 'low-contrast' when the lesion and background means differ little. */
  tags: string[]
  image: AssistImage
  mask: LabelMap
  truth: LabelMap
}

export interface EvalSetOptions {
  /** Number of pairs (default 20); odd indices are 'hard'. */
  count?: number
  /** Seed of the first pair (default 9001; the method was tuned on other seeds). */
  seed?: number
  /** Sizes to cycle through (default ISIC-like sizes around 1000×750). */
  sizes?: readonly (readonly [number, number])[]
}

export const EVAL_SIZES: readonly (readonly [number, number])[] = [
  [1000, 750],
  [1024, 768],
  [1022, 767],
  [960, 720],
  [1200, 900],
  [767, 576],
]

/** Euclidean RGB distance between the lesion and background means in the band below which a pair is 'low-contrast'. */
const LOW_CONTRAST = 60

/** Draws one eval pair: the synthetic pair, post-processed when `hard`. */
export async function makeEvalPair(
  id: string,
  width: number,
  height: number,
  seed: number,
  hard: boolean,
): Promise<EvalPair> {
  const pair = synthesizePair({ id, width, height, seed })
  const rgb = pair.image.rgb
  const rng = mulberry32(seed ^ 0x0e7a15e7)
  const S = Math.min(width, height)
  let quality = 90
  let sigma = 0
  if (hard) {
    addCrossingHairs(rgb, pair.truth, rng, randInt(rng, 2, 4))
    addIllumination(rgb, width, height, rng)
    sigma = uniform(rng, 0.6, 1.5) * (S / 750)
    quality = randInt(rng, 60, 85)
  }
  let img = sharp(rgb, { raw: { width, height, channels: 3 } })
  if (sigma >= 0.3) img = img.blur(sigma)
  const jpeg = await img.jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer()
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true })
  if (info.channels !== 3) throw new Error(`eval JPEG decoded to ${info.channels} channels`)
  const image: AssistImage = {
    width,
    height,
    channels: 3,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  }
  const tags = [hard ? 'hard' : 'plain']
  if (bandContrast(image, pair.mask, pair.truth) < LOW_CONTRAST) tags.push('low-contrast')
  return { id, tags, image, mask: pair.mask, truth: pair.truth }
}

/** The evaluation set (see the file comment). */
export async function generateEvalSet(opts: EvalSetOptions = {}): Promise<EvalPair[]> {
  const count = opts.count ?? 20
  const seed = opts.seed ?? 9001
  const sizes = opts.sizes ?? EVAL_SIZES
  const out: EvalPair[] = []
  for (let i = 0; i < count; i++) {
    const [w, h] = sizes[i % sizes.length]
    out.push(await makeEvalPair(`eval_${String(i).padStart(3, '0')}`, w, h, seed + i, i % 2 === 1))
  }
  return out
}

/** Distance between the mean colours of the true lesion and the true background inside the band. */
export function bandContrast(image: AssistImage, mask: LabelMap, truth: LabelMap): number {
  const sums = [0, 0, 0, 0, 0, 0]
  const counts = [0, 0]
  const C = image.channels
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] !== LABEL_UNCERTAIN) continue
    const k = truth.data[i] === LABEL_LESION ? 0 : 1
    counts[k]++
    for (let c = 0; c < 3; c++) sums[3 * k + c] += image.data[i * C + c]
  }
  if (counts[0] === 0 || counts[1] === 0) return 0
  let d2 = 0
  for (let c = 0; c < 3; c++) {
    const d = sums[c] / counts[0] - sums[3 + c] / counts[1]
    d2 += d * d
  }
  return Math.sqrt(d2)
}

/**
 * `n` thick dark hairs, each a gently curved stroke centred on a random point of the true
 * boundary, 2–6 px wide at 750 px (the method's default hair width there is 4.5 px).
 */
function addCrossingHairs(rgb: Uint8Array, truth: LabelMap, rng: Rng, n: number): void {
  const { width: W, height: H, data } = truth
  const S = Math.min(W, H)
  const boundary: number[] = []
  for (let y = 0; y < H; y++) {
    for (let x = 0; x + 1 < W; x++) {
      const i = y * W + x
      if (data[i] !== data[i + 1]) boundary.push(i)
    }
  }
  if (boundary.length === 0) return
  const cov = new Float32Array(W * H)
  for (let h = 0; h < n; h++) {
    const b = boundary[Math.floor(rng() * boundary.length)]
    const mx = (b % W) + 1
    const my = Math.floor(b / W) + 0.5
    const dir = uniform(rng, 0, 2 * Math.PI)
    const ux = Math.cos(dir)
    const uy = Math.sin(dir)
    const len = S * uniform(rng, 0.15, 0.4)
    const bend = len * uniform(rng, -0.2, 0.2)
    const radius = (uniform(rng, 2, 6) * (S / 750)) / 2
    const alpha = uniform(rng, 0.75, 0.95)
    const colour = [uniform(rng, 25, 60), uniform(rng, 18, 42), uniform(rng, 14, 32)]
    cov.fill(0)
    const steps = Math.ceil((len * 1.3) / 0.5)
    for (let i = 0; i <= steps; i++) {
      const u = i / steps
      const t = u - 0.5
      const px = mx + ux * len * t - uy * bend * (1 - 4 * t * t)
      const py = my + uy * len * t + ux * bend * (1 - 4 * t * t)
      const taper = Math.min(1, 6 * u, 6 * (1 - u))
      stampDisc(cov, W, H, px, py, Math.max(0.4, radius * taper), alpha)
    }
    for (let i = 0; i < cov.length; i++) {
      const a = cov[i]
      if (a === 0) continue
      for (let c = 0; c < 3; c++)
        rgb[3 * i + c] = Math.round(rgb[3 * i + c] + (colour[c] - rgb[3 * i + c]) * a)
    }
  }
}

/** Multiplies the image by a linear ramp: 1 on one side, 1 − g (g in 0.2–0.4) on the other. */
function addIllumination(rgb: Uint8Array, W: number, H: number, rng: Rng): void {
  const g = uniform(rng, 0.2, 0.4)
  const angle = uniform(rng, 0, 2 * Math.PI)
  const ux = Math.cos(angle)
  const uy = Math.sin(angle)
  // Projections of the corners, to normalise the ramp to [0, 1].
  const proj = [0, W * ux, H * uy, W * ux + H * uy]
  const lo = Math.min(...proj)
  const span = Math.max(...proj) - lo
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const f = 1 - (g * ((x + 0.5) * ux + (y + 0.5) * uy - lo)) / span
      const i = 3 * (y * W + x)
      rgb[i] = Math.round(rgb[i] * f)
      rgb[i + 1] = Math.round(rgb[i + 1] * f)
      rgb[i + 2] = Math.round(rgb[i + 2] * f)
    }
  }
}
