/**
 * Timings of the label tools on a 6000×4000 map, for `npm run bench` (the `labels` group; same shape
 * as bench/index.ts's Metric). Only pure TypeScript from shared/labels, so the same numbers could be
 * taken in the renderer or a worker. Each metric comes with a floor measured in the same
 * run: the cost of just writing the same pixels with Uint8Array.fill, so the ratio says what the
 * tool's bookkeeping (patch, runs, rules) costs on top.
 */
import { type LabelMap } from '../shared/labels/codes'
import { History } from '../shared/labels/history'
import { applyPatch, patchBytes, type Patch, type Point } from '../shared/labels/patch'
import { paintBrush } from '../shared/labels/tools/brush'
import { floodFill } from '../shared/labels/tools/fill'
import { fillPolygon } from '../shared/labels/tools/polygon'
import { resolveUncertain } from '../shared/labels/tools/resolve'

export interface LabelBenchMetric {
  name: string
  value: number
  unit: string
  floor?: number
  ratio?: number
  note?: string
}

const WIDTH = 6000
const HEIGHT = 4000

/** A weak-mask-like map: uncertain, with a lesion disc and a background ring of certain pixels. */
export function benchMap(width = WIDTH, height = HEIGHT): LabelMap {
  const data = new Uint8Array(width * height).fill(255)
  const cx = width / 2
  const cy = height / 2
  const r = Math.min(width, height) * 0.3
  for (let y = 0; y < height; y++) {
    const dy = y + 0.5 - cy
    const h2 = r * r - dy * dy
    if (h2 >= 0) {
      const h = Math.sqrt(h2)
      data.fill(
        1,
        y * width + Math.max(0, Math.ceil(cx - h)),
        y * width + Math.min(width, Math.floor(cx + h)),
      )
    }
    // A certain background band along the top and bottom.
    if (y < height * 0.1 || y >= height * 0.9) data.fill(0, y * width, (y + 1) * width)
  }
  return { width, height, data }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** A wavy stroke across the map: `count` pointer positions `step` px apart. */
function strokePath(count: number, step: number): Point[] {
  const pts: Point[] = []
  let x = 300.3
  let y = 500.7
  for (let i = 0; i < count; i++) {
    pts.push({ x, y })
    const a = Math.sin(i / 40) * 0.9 + 0.4
    x += Math.cos(a) * step
    y += Math.sin(a) * step
    if (x > WIDTH - 300 || y > HEIGHT - 300) {
      x = 300.3 + (i % 7) * 13
      y = 500.7 + (i % 5) * 17
    }
  }
  return pts
}

/**
 * Per-segment time of a brush stroke (paintBrush + applyPatch + History.stage), for each diameter,
 * with segments `step` px long (a fast pointer move at 1:1 zoom), and the stroke's commit time.
 */
export function benchBrush(
  diameters: number[] = [8, 32, 64, 128],
  step = 12,
  segments = 400,
): LabelBenchMetric[] {
  const base = benchMap()
  const path = strokePath(segments + 1, step)
  const metrics: LabelBenchMetric[] = []
  for (const d of diameters) {
    const times: number[] = []
    const floors: number[] = []
    const commits: number[] = []
    let stepBytes = 0
    let dense = 0
    for (let run = 0; run < 5; run++) {
      const map = { ...base, data: base.data.slice() }
      const history = new History()
      const opts = { diameter: d, label: 1 as const, onlyUncertain: run % 2 === 1 }
      history.beginStroke()
      let t = performance.now()
      for (let i = 0; i < segments; i++) {
        const patch = paintBrush(map, { from: path[i], to: path[i + 1] }, opts)
        if (patch) {
          applyPatch(map, patch, 'redo')
          history.stage(patch)
        }
      }
      times.push((performance.now() - t) / segments)
      t = performance.now()
      const step = history.commitStroke()
      commits.push(performance.now() - t)
      if (step) {
        stepBytes = patchBytes(step)
        dense = 2 * step.rect.width * step.rect.height
      }
      // Floor: write d-wide spans over the rows each segment covers, with no bookkeeping at all.
      t = performance.now()
      for (let i = 0; i < segments; i++) {
        const a = path[i]
        const b = path[i + 1]
        const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - d / 2))
        const y1 = Math.min(HEIGHT - 1, Math.ceil(Math.max(a.y, b.y) + d / 2))
        for (let y = y0; y <= y1; y++) {
          const x = Math.floor(a.x + ((b.x - a.x) * (y - y0)) / Math.max(1, y1 - y0) - d / 2)
          const x0 = Math.max(0, x)
          map.data.fill(2, y * WIDTH + x0, y * WIDTH + Math.min(WIDTH, x + d))
        }
      }
      floors.push((performance.now() - t) / segments)
    }
    const value = median(times) * 1000
    const floor = median(floors) * 1000
    metrics.push({
      name: `brush_segment_d${d}_us`,
      value,
      unit: 'µs',
      floor,
      ratio: value / floor,
      note: `${step}-px segments on ${WIDTH}×${HEIGHT}, incl. apply + stage; floor = Uint8Array.fill of d-wide spans`,
    })
    metrics.push({
      name: `brush_commit_d${d}_ms`,
      value: median(commits),
      unit: 'ms',
      note: `merge ${segments} segments into one undo step: ${kib(stepBytes)} as runs vs ${kib(dense)} dense over its rect`,
    })
  }
  return metrics
}

/** Flood fill of a large region (the whole uncertain area around a 1200-px lesion disc), and resolve. */
export function benchFill(): LabelBenchMetric[] {
  const base = benchMap()
  const times: number[] = []
  const resolves: number[] = []
  const floors: number[] = []
  let pixels = 0
  for (let run = 0; run < 5; run++) {
    const map = { ...base, data: base.data.slice() }
    let t = performance.now()
    const patch = floodFill(map, { seed: { x: 10, y: HEIGHT / 2 } }, { label: 0, onlyUncertain: true })
    times.push(performance.now() - t)
    pixels = patch?.before.length ?? 0
    t = performance.now()
    resolveUncertain(map, { label: 0 })
    resolves.push(performance.now() - t)
    t = performance.now()
    map.data.fill(3, 0, pixels)
    floors.push(performance.now() - t)
  }
  const value = median(times)
  const floor = median(floors)
  return [
    {
      name: 'fill_large_ms',
      value,
      unit: 'ms',
      floor,
      ratio: value / floor,
      note: `${(pixels / 1e6).toFixed(1)} Mpx region on ${WIDTH}×${HEIGHT}; floor = Uint8Array.fill of as many bytes`,
    },
    {
      name: 'resolve_uncertain_ms',
      value: median(resolves),
      unit: 'ms',
      floor,
      ratio: median(resolves) / floor,
      note: `the same ${(pixels / 1e6).toFixed(1)} Mpx of 255 → 0 as one patch`,
    },
  ]
}

/** Undo and redo of a full-map step (the worst case the history holds). */
export function benchUndo(): LabelBenchMetric[] {
  const map = benchMap()
  const history = new History()
  const patch = resolveUncertain(map, { label: 1 }) as Patch
  applyPatch(map, patch, 'redo')
  history.record(patch)
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const t = performance.now()
    history.undo(map)
    history.redo(map)
    times.push((performance.now() - t) / 2)
  }
  return [
    {
      name: 'undo_full_map_ms',
      value: median(times),
      unit: 'ms',
      note: `${(patch.before.length / 1e6).toFixed(1)} Mpx step, ${kib(patchBytes(patch))}`,
    },
  ]
}

/**
 * Patch size of one corner-to-corner d=32 stroke, and the time of a 2000-point lasso over most of
 * the map: why patches are runs, not a dense before/after over the rectangle.
 */
export function benchPatchSize(): LabelBenchMetric[] {
  const map = benchMap()
  const stroke = paintBrush(
    map,
    { from: { x: 0, y: 0 }, to: { x: WIDTH, y: HEIGHT } },
    { diameter: 32, label: 1, onlyUncertain: false },
  ) as Patch
  const dense = 2 * stroke.rect.width * stroke.rect.height
  const lasso: Point[] = []
  for (let i = 0; i < 2000; i++) {
    const a = (i / 2000) * 2 * Math.PI
    const r = 1800 + 150 * Math.sin(a * 17)
    lasso.push({ x: WIDTH / 2 + r * Math.cos(a) * 1.4, y: HEIGHT / 2 + r * Math.sin(a) })
  }
  const times: number[] = []
  let pixels = 0
  for (let run = 0; run < 5; run++) {
    const t = performance.now()
    pixels = fillPolygon(map, { points: lasso }, { label: 1, onlyUncertain: true })?.before.length ?? 0
    times.push(performance.now() - t)
  }
  return [
    {
      name: 'stroke_patch_kib',
      value: patchBytes(stroke) / 1024,
      unit: 'KiB',
      note: `d=32 corner to corner: ${(stroke.before.length / 1e6).toFixed(2)} Mpx changed; dense over its rect: ${kib(dense)}`,
    },
    {
      name: 'lasso_fill_ms',
      value: median(times),
      unit: 'ms',
      note: `2000 points, ${(pixels / 1e6).toFixed(1)} Mpx changed (onlyUncertain)`,
    },
  ]
}

/** Every label benchmark. */
export function benchLabels(): LabelBenchMetric[] {
  return [...benchBrush(), ...benchFill(), ...benchUndo(), ...benchPatchSize()]
}

function kib(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`
}
