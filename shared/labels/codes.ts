/**
 * Label codes of the ISIC_WSM weak segmentation maps. These three values are the only ones a
 * mask may hold, on disk and in memory; every writer checks them.
 */
export const LABEL_BACKGROUND = 0
export const LABEL_LESION = 1
export const LABEL_UNCERTAIN = 255

export type Label = typeof LABEL_BACKGROUND | typeof LABEL_LESION | typeof LABEL_UNCERTAIN

export const LABELS: readonly Label[] = [LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN]

export const LABEL_NAMES: Record<Label, string> = {
  [LABEL_BACKGROUND]: 'background',
  [LABEL_LESION]: 'lesion',
  [LABEL_UNCERTAIN]: 'uncertain',
}

/** True for 0, 1 and 255. */
export function isLabel(value: number): value is Label {
  return value === LABEL_BACKGROUND || value === LABEL_LESION || value === LABEL_UNCERTAIN
}

/** One mask in memory: row-major, one byte per pixel, values in {0, 1, 255}. */
export interface LabelMap {
  width: number
  height: number
  data: Uint8Array
}

/** Pixel counts per label plus the count of any other value (which makes the map invalid). */
export interface LabelCounts {
  background: number
  lesion: number
  uncertain: number
  invalid: number
}

/** Counts labels with a 256-bin histogram: one pass, no branches per pixel. */
export function countLabels(data: Uint8Array): LabelCounts {
  const hist = new Uint32Array(256)
  for (let i = 0; i < data.length; i++) hist[data[i]]++
  const background = hist[LABEL_BACKGROUND]
  const lesion = hist[LABEL_LESION]
  const uncertain = hist[LABEL_UNCERTAIN]
  return { background, lesion, uncertain, invalid: data.length - background - lesion - uncertain }
}

/** Index of the first value outside {0, 1, 255}, or -1 when every value is a label. */
export function findInvalidLabel(data: Uint8Array): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v !== LABEL_BACKGROUND && v !== LABEL_LESION && v !== LABEL_UNCERTAIN) return i
  }
  return -1
}
