import { describe, expect, it } from 'vitest'
import {
  proposalPatch,
  proposalRunPatch,
  proposeResolution,
  resolutionTerms,
  UNSURE_BELOW,
} from '../../../../../shared/labels/assist/resolve'
import type { AssistImage, ResolveOptions } from '../../../../../shared/labels/assist/resolve'
import { resolveNearestLabel } from '../../../../../shared/labels/assist/baselines'
import { RESOLVE_PARAMS } from '../../../../../shared/labels/assist/params'
import { evaluate } from '../../../../../shared/labels/assist/evaluate'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { applyPatch } from '../../../../../shared/labels/patch'
import type { Patch } from '../../../../../shared/labels/patch'
import { synthesizePair } from '../../../../../electron/services/demo/synthesize'
import type { SyntheticPair } from '../../../../../electron/services/demo/synthesize'

const U = 255
/**
 * The image weighed in full, no abstention: the machinery the fit weighs (the shipped RESOLVE_PARAMS
 * may hold the image back entirely when the fit finds that safest).
 */
const IMAGE_ON = { ...RESOLVE_PARAMS, imageWeight: 1, abstainBelow: 0 }

/** Byte equality of two typed arrays (vitest's deep equality is slow on large ones). */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  )
}
const cache = new Map<string, SyntheticPair>()

function pair(width: number, height: number, seed: number): SyntheticPair {
  const key = `${width}x${height}:${seed}`
  let p = cache.get(key)
  if (!p) {
    p = synthesizePair({ id: key, width, height, seed })
    cache.set(key, p)
  }
  return p
}

function rgbImage(p: SyntheticPair): AssistImage {
  return { width: p.image.width, height: p.image.height, data: p.image.rgb, channels: 3 }
}

/** Every certain pixel unchanged, every uncertain pixel 0 or 1. */
function expectValidResolution(map: LabelMap, labels: Uint8Array): void {
  expect(labels.length).toBe(map.data.length)
  let changedCertain = 0
  let badUncertain = 0
  for (let i = 0; i < labels.length; i++) {
    const v = map.data[i]
    if (v === U) {
      if (labels[i] !== 0 && labels[i] !== 1) badUncertain++
    } else if (labels[i] !== v) changedCertain++
  }
  expect(changedCertain).toBe(0)
  expect(badUncertain).toBe(0)
}

describe('proposeResolution', () => {
  const cases: [string, ResolveOptions][] = [
    ['full resolution', {}],
    ['cells of 2', { scale: 2 }],
    ['cells of 3', { scale: 3 }],
    ['image ignored', { imageWeight: 0 }],
  ]
  for (const [name, opts] of cases) {
    it(`never changes a certain pixel and writes only 0/1 over 255 (${name})`, () => {
      const p = pair(320, 240, 21)
      const before = p.mask.data.slice()
      const { labels, stats, rect } = proposeResolution(rgbImage(p), p.mask, opts)
      expect(sameBytes(p.mask.data, before)).toBe(true)
      expectValidResolution(p.mask, labels)
      expect(stats.toLesion + stats.toBackground).toBe(stats.uncertain)
      expect(stats.toLesion).toBe(
        labels.reduce((n, v, i) => n + (p.mask.data[i] === U && v === 1 ? 1 : 0), 0),
      )
      expect(stats.scale).toBe(opts.scale ?? 1)
      // One confidence per pixel of rect: 255 on certain pixels; the unsure count is theirs below 128.
      const conf = proposeResolution(rgbImage(p), p.mask, opts).confidence
      expect(conf.length).toBe(rect.width * rect.height)
      let unsure = 0
      for (let y = 0; y < rect.height; y++) {
        for (let x = 0; x < rect.width; x++) {
          const v = p.mask.data[(rect.y + y) * 320 + rect.x + x]
          const c = conf[y * rect.width + x]
          if (v !== U) expect(c).toBe(255)
          else if (c < UNSURE_BELOW) unsure++
        }
      }
      expect(stats.unsure).toBe(unsure)
      // rect bounds the uncertain pixels exactly.
      let x0 = Infinity
      let y0 = Infinity
      let x1 = -1
      let y1 = -1
      p.mask.data.forEach((v, i) => {
        if (v !== U) return
        const x = i % 320
        const y = Math.floor(i / 320)
        x0 = Math.min(x0, x)
        y0 = Math.min(y0, y)
        x1 = Math.max(x1, x)
        y1 = Math.max(y1, y)
      })
      expect(rect).toEqual({ x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 })
    })
  }

  it('is deterministic', () => {
    const p = pair(320, 240, 22)
    for (const opts of [{}, { scale: 2 }]) {
      const a = proposeResolution(rgbImage(p), p.mask, opts)
      const b = proposeResolution(rgbImage(p), p.mask, opts)
      expect(sameBytes(a.labels, b.labels)).toBe(true)
    }
  })

  it('reads RGBA and Uint8ClampedArray images like RGB', () => {
    const p = pair(256, 192, 23)
    const { rgb } = p.image
    const n = 256 * 192
    const rgba = new Uint8ClampedArray(n * 4)
    for (let i = 0; i < n; i++) {
      rgba[4 * i] = rgb[3 * i]
      rgba[4 * i + 1] = rgb[3 * i + 1]
      rgba[4 * i + 2] = rgb[3 * i + 2]
      rgba[4 * i + 3] = (i * 7) & 255 // alpha is ignored
    }
    for (const opts of [{}, { scale: 2 }]) {
      const a = proposeResolution(rgbImage(p), p.mask, opts)
      const b = proposeResolution({ width: 256, height: 192, data: rgba, channels: 4 }, p.mask, opts)
      expect(sameBytes(b.labels, a.labels)).toBe(true)
    }
  })

  /** Maps full of equidistant pixels: blocky (upscaled) bands, noise, one-sided and stray regions. */
  function tieMaps(): [string, LabelMap][] {
    const maps: [string, LabelMap][] = []
    let seed = 7
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0
      return seed / 2 ** 32
    }
    for (const block of [1, 2, 4, 5]) {
      const W = 97
      const H = 71
      const data = new Uint8Array(W * H)
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const bx = Math.floor(x / block)
          const by = Math.floor(y / block)
          const r = Math.hypot(bx * block - 48, by * block - 35)
          // A ring band 3–12 px wide around a lesion disc, with random uncertain specks on both sides.
          const v = r < 18 ? 1 : r < 22 + ((bx * 7 + by * 3) % 9) ? U : 0
          data[y * W + x] = rand() < 0.03 ? U : v
        }
      }
      maps.push([`blocks of ${block}`, { width: W, height: H, data }])
    }
    const noise = new Uint8Array(60 * 40)
    for (let i = 0; i < noise.length; i++) noise[i] = rand() < 0.6 ? U : rand() < 0.5 ? 1 : 0
    maps.push(['noise', { width: 60, height: 40, data: noise }])
    const oneSide = new Uint8Array(50 * 30).fill(U)
    oneSide.fill(1, 0, 50)
    maps.push(['lesion only', { width: 50, height: 30, data: oneSide }])
    maps.push(['nothing certain', { width: 20, height: 10, data: new Uint8Array(200).fill(U) }])
    return maps
  }

  /** A dark disc on skin, so that the image would pull the answer if it were weighed. */
  function discImage(map: LabelMap): AssistImage {
    const { width: W, height: H } = map
    const data = new Uint8Array(W * H * 3)
    for (let i = 0; i < W * H; i++) {
      const y = Math.floor(i / W)
      const dark = Math.hypot(i - y * W - W / 2, y - H / 2) < 15
      data.set(dark ? [80, 40, 30] : [225, 180, 160], 3 * i)
    }
    return { width: W, height: H, data, channels: 3 }
  }

  it('with the image weight 0, is exactly the nearest certain label, ties included', () => {
    for (const [name, map] of tieMaps()) {
      const nearest = resolveNearestLabel(map)
      for (const opts of [{}, { scale: 2 }, { scale: 3 }] as ResolveOptions[]) {
        const geo = proposeResolution(discImage(map), map, { ...opts, imageWeight: 0 }).labels
        expect(sameBytes(geo, nearest), `${name} ${JSON.stringify(opts)}`).toBe(true)
      }
      // Abstaining everywhere is the nearest label too, whatever the image says.
      const abstain = proposeResolution(discImage(map), map, {}, { ...RESOLVE_PARAMS, abstainBelow: 1.01 })
      expect(sameBytes(abstain.labels, nearest), `${name} abstaining`).toBe(true)
    }
    const p = pair(320, 240, 11)
    const nearest = resolveNearestLabel(p.mask)
    for (const opts of [{}, { scale: 2 }] as ResolveOptions[]) {
      const geo = proposeResolution(rgbImage(p), p.mask, { ...opts, imageWeight: 0 }).labels
      expect(sameBytes(geo, nearest), `synthetic ${JSON.stringify(opts)}`).toBe(true)
    }
    // …and the image does change it when weighed (the equality above is not vacuous).
    const withImage = proposeResolution(rgbImage(p), p.mask, {}, IMAGE_ON).labels
    expect(sameBytes(withImage, nearest)).toBe(false)
  })

  it('with the image weight 0, is exactly the nearest certain label beyond the full-geometry size too', () => {
    // fullGeometryMaxPixels: 0 sends every coarse grid down the path of regions too large for two
    // full-resolution transforms (over 13 Mpx by default), where the cells' terms are interpolated.
    const big = { fullGeometryMaxPixels: 0 }
    const p = pair(320, 240, 11)
    const maps: [string, LabelMap, AssistImage][] = [
      ...tieMaps().map(([name, map]): [string, LabelMap, AssistImage] => [name, map, discImage(map)]),
      ['synthetic', p.mask, rgbImage(p)],
    ]
    for (const [name, map, image] of maps) {
      const nearest = resolveNearestLabel(map)
      for (const scale of [2, 3, 5]) {
        const geo = proposeResolution(image, map, { ...big, scale, imageWeight: 0 })
        expect(sameBytes(geo.labels, nearest), `${name} cells of ${scale}`).toBe(true)
        expect(geo.stats.scale).toBe(scale)
        // The shipped parameters (image weight 0) give the same.
        const shipped = proposeResolution(
          image,
          map,
          { ...big, scale },
          { ...RESOLVE_PARAMS, imageWeight: 0 },
        )
        expect(sameBytes(shipped.labels, nearest), `${name} cells of ${scale}, weight 0 in params`).toBe(true)
      }
    }
    // The image still pulls there when weighed (the equality above is not vacuous)…
    const withImage = proposeResolution(rgbImage(p), p.mask, { ...big, scale: 2 }, IMAGE_ON).labels
    expect(sameBytes(withImage, resolveNearestLabel(p.mask))).toBe(false)
    // …and the confidence still says where the band's middle is: sure near the sides, unsure between.
    const geo = proposeResolution(rgbImage(p), p.mask, { ...big, scale: 2, imageWeight: 0 })
    expect(geo.stats.unsure).toBeGreaterThan(0)
    expect(geo.stats.unsure).toBeLessThan(geo.stats.uncertain)
  })

  /**
   * 40×30: left part dark (lesion colour), right part bright (skin), the colour edge at x = 13; the
   * certain frame says lesion on the left edge (x < 4) and background on the right (x ≥ 36), the
   * middle is uncertain, so the band's geometric midpoint is at x = 19.5.
   */
  function colourEdgeCase(): { W: number; H: number; image: AssistImage; map: LabelMap } {
    const W = 40
    const H = 30
    const data = new Uint8Array(W * H * 3)
    const mask = new Uint8Array(W * H).fill(U)
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = y * W + x
        data.set(x < 13 ? [90, 50, 40] : [220, 170, 150], 3 * i)
        if (x < 4) mask[i] = 1
        else if (x >= W - 4) mask[i] = 0
      }
    }
    return {
      W,
      H,
      image: { width: W, height: H, data, channels: 3 },
      map: { width: W, height: H, data: mask },
    }
  }

  it('beyond the full-geometry size, the image moves the edge only as far as it is weighed', () => {
    // The map and image of the next test, on a coarse grid down the large-region path.
    const { H, image, map } = colourEdgeCase()
    const opts = { scale: 2, fullGeometryMaxPixels: 0 }
    const lesion = (labels: Uint8Array): number => labels.reduce((n, v) => n + v, 0)
    const geometric = proposeResolution(image, map, { ...opts, imageWeight: 0 }, IMAGE_ON)
    expect(lesion(geometric.labels)).toBe(20 * H)
    const full = proposeResolution(image, map, opts, IMAGE_ON)
    expect(lesion(full.labels)).toBeLessThan(20 * H)
    const half = proposeResolution(image, map, { ...opts, imageWeight: 0.5 }, IMAGE_ON)
    expect(lesion(half.labels)).toBeLessThanOrEqual(20 * H)
    expect(lesion(half.labels)).toBeGreaterThanOrEqual(lesion(full.labels))
  })

  it('does not fall below the nearest-label baseline on synthetic pairs (quality guard)', () => {
    for (const [seed, opts] of [
      [11, {}],
      [12, { scale: 2 }],
    ] as const) {
      const p = pair(400, 300, seed)
      const method = evaluate(proposeResolution(rgbImage(p), p.mask, opts).labels, p.truth, p.mask)
      const nearest = evaluate(resolveNearestLabel(p.mask), p.truth, p.mask)
      expect(method.accuracy, `seed ${seed}`).toBeGreaterThan(nearest.accuracy - 0.01)
    }
  })

  it('follows the image: the edge moves from the geometric midpoint towards the colour edge', () => {
    // Left part dark (lesion colour), right part bright (skin); the certain frame says lesion on the
    // left edge and background on the right edge; the middle is uncertain and the colour edge at
    // x = 13, while the band's geometric midpoint is at x = 19.5.
    const { W, H, image, map } = colourEdgeCase()
    const withImage = proposeResolution(image, map, {}, IMAGE_ON)
    const geometric = proposeResolution(image, map, { imageWeight: 0 }, IMAGE_ON)
    const lesionIn = (labels: Uint8Array, y: number): number =>
      labels.subarray(y * W, (y + 1) * W).reduce((n, v) => n + v, 0)
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (x < 13) expect(withImage.labels[y * W + x], `(${x}, ${y})`).toBe(1)
        if (x >= 20) expect(withImage.labels[y * W + x], `(${x}, ${y})`).toBe(0)
      }
      expect(lesionIn(geometric.labels, y)).toBe(20)
      expect(lesionIn(withImage.labels, y)).toBeLessThan(20)
    }
    // Near the decided edge the proposal is unsure; far from it, sure.
    expect(withImage.stats.unsure).toBeGreaterThan(0)
    expect(withImage.confidence[15 * withImage.rect.width + 4]).toBeGreaterThanOrEqual(UNSURE_BELOW)
  })

  /**
   * A lesion square, an uncertain blob over a dark spot (a satellite lesion), one over plain skin,
   * and with `band` an uncertain band around the square too (band cells as well as stray blobs).
   */
  function strayCase(band = true): [LabelMap, AssistImage] {
    const W = 120
    const H = 80
    const data = new Uint8Array(W * H * 3)
    const mask = new Uint8Array(W * H)
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = y * W + x
        const inLesion = x >= 10 && x < 40 && y >= 20 && y < 50
        const spot = (x - 62) ** 2 + (y - 20) ** 2 < 25
        data.set(inLesion || spot ? [90, 55, 45] : [215, 165, 145], 3 * i)
        if (inLesion) mask[i] = 1
        if ((x - 62) ** 2 + (y - 20) ** 2 < 64 || (x - 90) ** 2 + (y - 60) ** 2 < 64) mask[i] = U
        else if (band && !inLesion && x >= 6 && x < 44 && y >= 16 && y < 54) mask[i] = U
      }
    }
    return [
      { width: W, height: H, data: mask },
      { width: W, height: H, data, channels: 3 },
    ]
  }

  it('with the image weight 0, skips the image terms and still gives the full computation byte for byte', () => {
    const p = pair(320, 240, 11)
    const [strayMap, strayImage] = strayCase()
    const cases: [string, LabelMap, AssistImage][] = [
      ...tieMaps().map(([name, map]): [string, LabelMap, AssistImage] => [name, map, discImage(map)]),
      ['synthetic', p.mask, rgbImage(p)],
      ['stray blobs', strayMap, strayImage],
    ]
    // fullGeometryMaxPixels: 0 sends the coarse grids down the path of regions over 13 Mpx.
    const variants: ResolveOptions[] = [
      {},
      { scale: 2 },
      { scale: 3 },
      { scale: 2, fullGeometryMaxPixels: 0 },
      { scale: 3, fullGeometryMaxPixels: 0 },
      { scale: 5, fullGeometryMaxPixels: 0 },
    ]
    const shipped = { ...RESOLVE_PARAMS, imageWeight: 0 }
    let unsure = 0
    for (const [name, map, image] of cases) {
      for (const opts of variants) {
        const tag = `${name} ${JSON.stringify(opts)}`
        const full = proposeResolution(image, map, { ...opts, imageTerms: 'always' }, shipped)
        for (const fast of [
          proposeResolution(image, map, opts, shipped),
          proposeResolution(image, map, { ...opts, imageWeight: 0 }, IMAGE_ON),
        ]) {
          expect(sameBytes(fast.labels, full.labels), `${tag} labels`).toBe(true)
          expect(sameBytes(fast.confidence, full.confidence), `${tag} confidence`).toBe(true)
          expect(sameBytes(fast.decision, full.decision), `${tag} decision`).toBe(true)
          expect({ ...fast.stats, ms: null }, tag).toEqual({ ...full.stats, ms: null })
        }
        unsure += full.stats.unsure
      }
    }
    // Not vacuous: the confidence varies (unsure pixels exist), the fast path did skip the image's
    // log-odds (0 on the band, where the full terms hold the colour evidence), and a lesion-coloured
    // stray blob is still unsure at weight 0 (its colour is read either way).
    expect(unsure).toBeGreaterThan(0)
    const fullTerms = resolutionTerms(rgbImage(p), p.mask, {}, shipped)
    const fastTerms = resolutionTerms(rgbImage(p), p.mask, {}, shipped, true)
    expect(fullTerms.zImage.some((z) => z !== 0)).toBe(true)
    expect(fastTerms.zImage.every((z) => z === 0)).toBe(true)
    expect(sameBytes(fastTerms.zGeo, fullTerms.zGeo)).toBe(true)
    const stray = proposeResolution(strayImage, strayMap, {}, shipped)
    const at = (x: number, y: number): number => (y - stray.rect.y) * stray.rect.width + (x - stray.rect.x)
    expect(stray.confidence[at(62, 20)]).toBe(0)
    expect(stray.confidence[at(90, 60)]).toBeGreaterThanOrEqual(UNSURE_BELOW)
  })

  it('resolves a stray blob on the skin by its colour', () => {
    // Background everywhere but a certain lesion square; two uncertain blobs away from it, one over a
    // dark spot (a satellite lesion) and one over plain skin.
    const [map, image] = strayCase(false)
    const W = map.width
    const { labels } = proposeResolution(image, map, {}, IMAGE_ON)
    expect(labels[20 * W + 62]).toBe(1)
    expect(labels[60 * W + 90]).toBe(0)
    expect(labels[20 * W + 69]).toBe(0)
  })

  it('copies a map without uncertain pixels and returns an empty rect', () => {
    const p = pair(128, 96, 24)
    const map = { width: 128, height: 96, data: p.truth.data.slice() }
    const out = proposeResolution(rgbImage(p), map)
    expect(sameBytes(out.labels, map.data)).toBe(true)
    expect(out.labels).not.toBe(map.data)
    expect(out.rect).toEqual({ x: 0, y: 0, width: 0, height: 0 })
    expect(out.stats.uncertain).toBe(0)
  })

  it('copes with a map that is all uncertain or has no lesion', () => {
    const p = pair(128, 96, 25)
    const all = { width: 128, height: 96, data: new Uint8Array(128 * 96).fill(U) }
    expectValidResolution(all, proposeResolution(rgbImage(p), all).labels)
    const noLesion = { width: 128, height: 96, data: p.mask.data.map((v) => (v === 1 ? U : v)) }
    expectValidResolution(noLesion, proposeResolution(rgbImage(p), noLesion).labels)
  })

  it('falls back on the defaults for nonsensical options', () => {
    const p = pair(160, 120, 29)
    const a = proposeResolution(rgbImage(p), p.mask)
    const b = proposeResolution(rgbImage(p), p.mask, {
      scale: Number.NaN,
      imageWeight: -1,
      hairWidth: Infinity,
      ringWidth: 0,
      maxWorkPixels: 0,
    })
    expect(b.stats.scale).toBe(1)
    expect(sameBytes(a.labels, b.labels)).toBe(true)
  })

  it('rejects an image that does not match the map', () => {
    const p = pair(128, 96, 26)
    expect(() => proposeResolution({ ...rgbImage(p), width: 127 }, p.mask)).toThrow(RangeError)
    expect(() => proposeResolution({ ...rgbImage(p), data: p.image.rgb.subarray(1) }, p.mask)).toThrow(
      RangeError,
    )
  })
})

describe('proposalPatch', () => {
  it('holds the rect before and after; applying it gives the proposal', () => {
    const p = pair(200, 150, 27)
    const prop = proposeResolution(rgbImage(p), p.mask)
    const patch = proposalPatch(p.mask, prop)
    const { x, y, width, height } = patch.rect
    expect(patch.before.length).toBe(width * height)
    const applied = p.mask.data.slice()
    for (let r = 0; r < height; r++) {
      const row = (y + r) * 200 + x
      expect(
        sameBytes(patch.before.subarray(r * width, (r + 1) * width), p.mask.data.subarray(row, row + width)),
      ).toBe(true)
      applied.set(patch.after.subarray(r * width, (r + 1) * width), row)
    }
    expect(sameBytes(applied, prop.labels)).toBe(true)
  })
})

describe('proposalRunPatch', () => {
  it('lists exactly the uncertain pixels as row runs, 255 before and the proposal after', () => {
    const p = pair(200, 150, 28)
    const prop = proposeResolution(rgbImage(p), p.mask)
    const patch = proposalRunPatch(p.mask, prop)
    expect(patch.width).toBe(200)
    expect(patch.rect).toEqual(prop.rect)
    const applied = p.mask.data.slice()
    let k = 0
    let last = -1
    for (let r = 0; r < patch.runs.length; r += 2) {
      const start = patch.runs[r]
      const len = patch.runs[r + 1]
      expect(start).toBeGreaterThan(last)
      expect(Math.floor(start / 200)).toBe(Math.floor((start + len - 1) / 200))
      for (let i = start; i < start + len; i++) {
        expect(p.mask.data[i]).toBe(255)
        expect(patch.before[k]).toBe(255)
        applied[i] = patch.after[k++]
      }
      last = start + len - 1
    }
    expect(k).toBe(prop.stats.uncertain)
    expect(patch.before.length).toBe(k)
    // unsure flags follow the runs: as many as the proposal counts.
    expect(patch.unsure.length).toBe(k)
    expect(patch.unsure.reduce((n, v) => n + v, 0)).toBe(prop.stats.unsure)
    expect(sameBytes(applied, prop.labels)).toBe(true)
  })

  it('is an editor Patch: applyPatch redoes it into the proposal and undoes it back', () => {
    const p = pair(200, 150, 30)
    const prop = proposeResolution(rgbImage(p), p.mask)
    const patch: Patch = proposalRunPatch(p.mask, prop)
    const map = { width: 200, height: 150, data: p.mask.data.slice() }
    expect(applyPatch(map, patch, 'redo')).toEqual(prop.rect)
    expect(sameBytes(map.data, prop.labels)).toBe(true)
    applyPatch(map, patch, 'undo')
    expect(sameBytes(map.data, p.mask.data)).toBe(true)
  })
})
