/**
 * Fitting a chart's category labels (x axis) and value labels (y axis) to the room they have, as
 * pure functions of a text measure (the canvas's measureText in the chart; a fixed width per
 * character in tests). Labels that fit their slot stay level; otherwise they are rotated and, past
 * `maxPx`, ellipsized, so neighbours never run together ("challenge-conventionmask-colour", qa7
 * #14c). The value axis is as wide as its widest label ("40,000" was clipped at a fixed 44 px).
 */

export interface CategoryAxisFit {
  /** The label per category, ellipsized where needed. */
  labels: string[]
  /** Degrees off horizontal (uPlot's axis `rotate`: positive runs the text down-left from its tick). */
  rotate: number
  /** The axis's height in CSS pixels (values, gap and ticks). */
  size: number
}

export interface AxisMetrics {
  /** The font's size in CSS pixels. */
  fontPx: number
  /** Tick length plus the gap between ticks and labels, in CSS pixels. */
  padPx: number
}

/** The angle rotated labels take. */
export const ROTATED_DEG = 35
/** Room left between two level labels, in CSS pixels. */
const SPACING_PX = 6

/** `label`, or its longest prefix with '…' that measures at most `maxPx` (at least one character). */
export function ellipsize(label: string, measure: (s: string) => number, maxPx: number): string {
  if (measure(label) <= maxPx) return label
  let lo = 1
  let hi = label.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (measure(`${label.slice(0, mid)}…`) <= maxPx) lo = mid
    else hi = mid - 1
  }
  return `${label.slice(0, lo)}…`
}

/**
 * The category axis for `labels` when each shown label has `slotPx` of width: level when the
 * widest fits with some room, else rotated by ROTATED_DEG with every label at most `maxPx` long.
 */
export function fitCategoryLabels(
  labels: readonly string[],
  measure: (s: string) => number,
  slotPx: number,
  maxPx: number,
  m: AxisMetrics,
): CategoryAxisFit {
  const widest = Math.max(0, ...labels.map(measure))
  if (widest + SPACING_PX <= slotPx)
    return { labels: [...labels], rotate: 0, size: Math.ceil(m.fontPx * 1.4 + m.padPx) }
  const fitted = labels.map((l) => ellipsize(l, measure, maxPx))
  const longest = Math.max(0, ...fitted.map(measure))
  const a = (ROTATED_DEG * Math.PI) / 180
  const height = longest * Math.sin(a) + m.fontPx * Math.cos(a)
  return { labels: fitted, rotate: ROTATED_DEG, size: Math.ceil(height + m.padPx + 2) }
}

/** The value axis's width in CSS pixels: its widest label, the ticks and gap, and a margin. */
export function valueAxisSize(
  values: readonly string[] | null,
  measure: (s: string) => number,
  m: AxisMetrics,
): number {
  const widest = Math.max(0, ...(values ?? []).map(measure))
  return Math.ceil(widest + m.padPx + 4)
}
