/**
 * A save's PNG encoded and checked on the worker thread: the bytes encodeMaskPng gives, a check that
 * answers as maskPngEquals does, and the same results when the worker goes away in the middle.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { encodeMaskPng, vocPalette, type MaskPngFormat } from '../../../../../electron/services/mask/maskPng'
import {
  encodeCheckedOffThread,
  pngCheckFaults,
  pngCheckWorkerRunning,
  stopPngCheckWorker,
} from '../../../../../electron/services/mask/pngCheck'

/** A disc of lesion with an uncertain ring, on background. */
function discMap(width: number, height: number): LabelMap {
  const data = new Uint8Array(width * height)
  const r = Math.min(width, height) / 3
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - width / 2, y - height / 2)
      data[y * width + x] = d < r ? 1 : d < r + 4 ? 255 : 0
    }
  }
  return { width, height, data }
}

const FORMATS: MaskPngFormat[] = [
  { colorType: 0, bitDepth: 8, interlaced: false },
  { colorType: 3, bitDepth: 8, interlaced: false, palette: vocPalette() },
  // Promoted to 8 bits (255 does not fit in 2).
  { colorType: 0, bitDepth: 2, interlaced: false },
]

afterEach(() => {
  delete pngCheckFaults.flipAfterEncode
})
afterAll(() => stopPngCheckWorker())

describe('encodeCheckedOffThread', () => {
  it('gives the bytes of encodeMaskPng and a passed check, on the worker thread', async () => {
    const map = discMap(321, 207)
    for (const format of FORMATS) {
      const encoding = encodeCheckedOffThread(map, format, '/x/a.png')
      expect(pngCheckWorkerRunning()).toBe(true)
      expect(await encoding.png).toEqual(encodeMaskPng(map, format))
      expect(await encoding.same).toBe(true)
    }
    // Labels in a view over a larger buffer (only the view's bytes count).
    const backing = new Uint8Array(map.data.length + 7)
    backing.set(map.data, 3)
    const view = { ...map, data: backing.subarray(3, 3 + map.data.length) }
    const encoding = encodeCheckedOffThread(view, FORMATS[0])
    expect(await encoding.png).toEqual(encodeMaskPng(map, FORMATS[0]))
    expect(await encoding.same).toBe(true)
  })

  it('fails the check when the PNG does not decode to the labels', async () => {
    const map = discMap(200, 150)
    for (const at of [0, map.data.length >> 1, map.data.length - 1]) {
      pngCheckFaults.flipAfterEncode = at
      const encoding = encodeCheckedOffThread(map, FORMATS[0])
      expect(await encoding.png).toEqual(encodeMaskPng(map, FORMATS[0]))
      expect(await encoding.same).toBe(false)
    }
  })

  it('rejects both promises with the encoder error', async () => {
    const map = discMap(20, 10)
    const bad = { colorType: 3, bitDepth: 8, interlaced: false } as MaskPngFormat // no palette
    const encoding = encodeCheckedOffThread(map, bad)
    await expect(encoding.png).rejects.toThrow(/palette/)
    await expect(encoding.same).rejects.toThrow(/palette/)
  })

  it('finishes on this thread when the worker stops before answering, and starts a new one after', async () => {
    // Large enough that the worker is still busy when it is stopped.
    const map = discMap(3000, 2000)
    const expected = encodeMaskPng(map, FORMATS[0])
    const first = encodeCheckedOffThread(map, FORMATS[0])
    pngCheckFaults.flipAfterEncode = 12345
    const second = encodeCheckedOffThread(map, FORMATS[0])
    delete pngCheckFaults.flipAfterEncode
    expect(pngCheckWorkerRunning()).toBe(true)
    await stopPngCheckWorker()
    expect(await first.png).toEqual(expected)
    expect(await second.png).toEqual(expected)
    expect(await first.same).toBe(true)
    expect(await second.same).toBe(false)
    expect(pngCheckWorkerRunning()).toBe(false)
    const again = encodeCheckedOffThread(map, FORMATS[0])
    expect(pngCheckWorkerRunning()).toBe(true)
    expect(await again.same).toBe(true)
  })
})
