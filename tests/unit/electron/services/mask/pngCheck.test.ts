/**
 * The save's PNG check on its worker thread: the same answers and errors as maskPngEquals on this
 * thread, and the same answer when the worker goes away in the middle of a check.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { CodedError } from '../../../../../shared/api/errors'
import type { LabelMap } from '../../../../../shared/labels/codes'
import { encodeMaskPng, maskPngEquals, vocPalette } from '../../../../../electron/services/mask/maskPng'
import {
  maskPngEqualsOffThread,
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

const GREY8 = { colorType: 0, bitDepth: 8, interlaced: false } as const

afterAll(() => stopPngCheckWorker())

describe('maskPngEqualsOffThread', () => {
  it('answers as maskPngEquals does, on the worker thread', async () => {
    const map = discMap(321, 207)
    const pngs = [
      encodeMaskPng(map, GREY8),
      encodeMaskPng(map, { colorType: 3, bitDepth: 8, interlaced: false, palette: vocPalette() }),
    ]
    for (const png of pngs) {
      expect(await maskPngEqualsOffThread(png, map)).toBe(true)
      expect(pngCheckWorkerRunning()).toBe(true)
      for (const at of [0, map.data.length >> 1, map.data.length - 1]) {
        const other = map.data.slice()
        other[at] = other[at] === 1 ? 0 : 1
        const changed = { ...map, data: other }
        expect(maskPngEquals(png, changed)).toBe(false)
        expect(await maskPngEqualsOffThread(png, changed)).toBe(false)
      }
      // Labels in a view over a larger buffer (only the view's bytes count).
      const backing = new Uint8Array(map.data.length + 7)
      backing.set(map.data, 3)
      expect(
        await maskPngEqualsOffThread(png, { ...map, data: backing.subarray(3, 3 + map.data.length) }),
      ).toBe(true)
      expect(
        await maskPngEqualsOffThread(png, { width: map.height, height: map.width, data: map.data }),
      ).toBe(false)
    }
  })

  it('rejects a PNG that does not decode with the error maskPngEquals throws (code and file)', async () => {
    const map = discMap(120, 80)
    const cut = encodeMaskPng(map, GREY8).subarray(0, 60)
    let here: CodedError | undefined
    try {
      maskPngEquals(cut, map, '/x/cut.png')
    } catch (err) {
      here = err as CodedError
    }
    expect(here).toBeInstanceOf(CodedError)
    const there = await maskPngEqualsOffThread(cut, map, '/x/cut.png').catch((err: unknown) => err)
    expect(there).toBeInstanceOf(CodedError)
    expect(there).toMatchObject({ code: here?.code, message: here?.message, file: '/x/cut.png' })
  })

  it('answers on this thread when the worker stops before answering, and starts a new one after', async () => {
    // Large enough that the worker is still busy with the first check when it is stopped.
    const map = discMap(3000, 2000)
    const png = encodeMaskPng(map, GREY8)
    const other = { ...map, data: map.data.slice() }
    other.data[12345] = other.data[12345] === 0 ? 1 : 0
    const checks = [maskPngEqualsOffThread(png, map), maskPngEqualsOffThread(png, other)]
    expect(pngCheckWorkerRunning()).toBe(true)
    await stopPngCheckWorker()
    expect(await Promise.all(checks)).toEqual([true, false])
    expect(pngCheckWorkerRunning()).toBe(false)
    expect(await maskPngEqualsOffThread(png, map)).toBe(true)
    expect(pngCheckWorkerRunning()).toBe(true)
  })
})
