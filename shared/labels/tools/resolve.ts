/**
 * "Resolve all remaining uncertain": every 255 in the map becomes lesion or background, as one
 * patch (one undo step) whose rectangle is the bounding box of the 255s.
 */
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN, type Label, type LabelMap } from '../codes'
import { PatchBuilder, type Patch } from '../patch'
import { ByteRuns } from '../scan'
import { checkMap } from './paint'

/** A label other than uncertain. */
export type CertainLabel = Exclude<Label, typeof LABEL_UNCERTAIN>

export interface ResolveOptions {
  label: CertainLabel
}

/** Turns every 255 into opts.label; null when the map holds no 255. */
export function resolveUncertain(map: LabelMap, opts: ResolveOptions): Patch | null {
  if (opts.label !== LABEL_BACKGROUND && opts.label !== LABEL_LESION) {
    throw new RangeError(`resolve label must be 0 or 1, got ${opts.label}`)
  }
  checkMap(map)
  const { width, height, data } = map
  const runs = new ByteRuns(data)
  // First the runs (indexOf is a native scan: it skips the certain pixels fast), then the patch with
  // buffers of the exact size, so the builder neither grows nor copies tens of megabytes.
  let found = new Uint32Array(1024)
  let count = 0
  let pixels = 0
  let i = data.indexOf(LABEL_UNCERTAIN)
  while (i !== -1) {
    const y = Math.floor(i / width)
    const j = runs.end(i + 1, (y + 1) * width, LABEL_UNCERTAIN)
    if (count + 2 > found.length) {
      const grown = new Uint32Array(found.length * 2)
      grown.set(found)
      found = grown
    }
    found[count++] = i
    found[count++] = j - i
    pixels += j - i
    i = data.indexOf(LABEL_UNCERTAIN, j)
  }
  if (pixels === 0) return null
  const builder = new PatchBuilder(width, height, pixels)
  for (let k = 0; k < count; k += 2) {
    const y = Math.floor(found[k] / width)
    builder.add(found[k] - y * width, y, found[k + 1])
  }
  builder.before.fill(LABEL_UNCERTAIN)
  builder.after.fill(opts.label)
  return builder.finish()
}
