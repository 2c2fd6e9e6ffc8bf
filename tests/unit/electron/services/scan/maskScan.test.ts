import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dataset } from '../../../../../electron/services/dataset'
import { decodeMaskPng } from '../../../../../electron/services/mask/maskPng'
import { analyzeMask, analyzeMaskWithRuns } from '../../../../../shared/labels/analysis'
import { scoreMaskRuns } from '../../../../../shared/labels/triage/maskFeatures'
import { scanMasks, type MaskScanResult } from '../../../../../electron/services/scan/maskScan'
import {
  badValuesPng,
  challengeMap,
  greyPng,
  jpeg,
  palettePng,
  randomMap,
  rgbPng,
  writeTree,
  writeZip,
  wsmMap,
} from '../../../../support/datasetFixtures'

const N = 70
let dir: string
let dataset: Dataset
const id = (i: number) => `ISIC_${String(i).padStart(7, '0')}`

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'maskScan-test-'))
  const masks: [string, Uint8Array][] = []
  const images: [string, Uint8Array][] = []
  const jpegs = new Map<string, Buffer>()
  for (let i = 0; i < N; i++) {
    const w = 40 + (i % 5) * 7
    const h = 30 + (i % 3) * 5
    let png: Uint8Array
    if (i === 3) png = await rgbPng(w, h)
    else if (i === 4) png = badValuesPng(w, h)
    else if (i === 5) png = greyPng(challengeMap(w, h))
    else if (i === 6)
      png = greyPng(wsmMap(w + 1, h)) // wrong size
    else if (i === 7)
      png = greyPng(wsmMap(w, h)).subarray(0, 60) // truncated
    else if (i % 2 === 0) png = palettePng(randomMap(w, h, i))
    else png = greyPng(wsmMap(w, h, i))
    masks.push([`ISIC_WSM_labels/${id(i)}.png`, png])
    const key = `${w}x${h}`
    if (!jpegs.has(key)) jpegs.set(key, await jpeg(w, h))
    images.push([`${id(i)}.jpg`, jpegs.get(key) as Buffer])
  }
  await writeZip(path.join(dir, 'masks.zip'), masks)
  await writeTree(path.join(dir, 'images'), images)
  dataset = await Dataset.open({ masks: path.join(dir, 'masks.zip'), images: [path.join(dir, 'images')] })
})

afterAll(async () => {
  await dataset?.close()
  await rm(dir, { recursive: true, force: true })
})

async function collect(opts: Parameters<typeof scanMasks>[1] = {}): Promise<MaskScanResult[]> {
  const results: MaskScanResult[] = []
  await scanMasks(dataset, { ...opts, onResult: (r) => results.push(r) })
  return results.sort((a, b) => a.index - b.index)
}

describe('scanMasks', () => {
  let viaWorkers: MaskScanResult[]

  it('gives one result per mask, equal to analyzeMask on the decoded mask (worker threads)', async () => {
    const progress: number[] = []
    const results: MaskScanResult[] = []
    await scanMasks(dataset, {
      workers: 2,
      onResult: (r) => results.push(r),
      onProgress: (done, total) => {
        expect(total).toBe(N)
        progress.push(done)
      },
    })
    results.sort((a, b) => a.index - b.index)
    viaWorkers = results
    expect(results.map((r) => r.index)).toEqual([...Array(N).keys()])
    expect(progress.at(-1)).toBe(N)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
    for (const r of results) {
      expect(r.id).toBe(id(r.index))
      const { bytes, file } = await dataset.readMaskBytes(r.index)
      expect(r.file).toBe(file)
      let expected: ReturnType<typeof analyzeMask> | null
      try {
        expected = analyzeMask(decodeMaskPng(bytes))
      } catch {
        expected = null
      }
      expect(r.analysis).toEqual(expected)
    }
  })

  it('reports each problem with its code, the mask analysis kept when the mask decodes', () => {
    const byIndex = new Map(viaWorkers.map((r) => [r.index, r]))
    expect(byIndex.get(3)?.code).toBe('mask-colour')
    expect(byIndex.get(4)?.code).toBe('mask-values')
    expect(byIndex.get(5)?.code).toBe('challenge-convention')
    expect(byIndex.get(5)?.analysis?.challengeConvention).toBe(true)
    expect(byIndex.get(6)?.code).toBe('mask-size')
    expect(byIndex.get(6)?.analysis).not.toBeNull()
    expect(byIndex.get(6)?.message).toContain(id(6))
    expect(byIndex.get(7)?.code).toBe('png-truncated')
    expect(byIndex.get(7)?.message).toContain(`${id(7)}.png`)
    const fine = viaWorkers.filter((r) => r.index > 7)
    for (const r of fine) {
      expect(r.code).toBeNull()
      expect(r.image).toMatchObject({ format: 'jpeg', width: r.analysis?.width, height: r.analysis?.height })
    }
  })

  it('gives identical results inline (workers: 0) and with transferred bytes', async () => {
    expect(await collect({ workers: 0 })).toEqual(viaWorkers)
    expect(await collect({ workers: 2, transport: 'transfer' })).toEqual(viaWorkers)
  })

  it('scans only the given indices, and skips image reads when asked', async () => {
    const results = await collect({ indices: [9, 2, 6], checkImages: false, workers: 1 })
    expect(results.map((r) => r.index)).toEqual([2, 6, 9])
    expect(results.every((r) => r.image === null)).toBe(true)
    expect(results[1].code).toBeNull() // the size is not checked without the image
  })

  it('scores each mask for triage in the same pass when asked (mask only, from the analysis runs)', async () => {
    expect(viaWorkers.every((r) => r.triage === undefined)).toBe(true)
    const results = await collect({ workers: 2, triage: true })
    let scored = 0
    for (const r of results) {
      // The statistics are the same with or without the score.
      expect(r.analysis).toEqual(viaWorkers[r.index].analysis)
      if (!r.analysis || r.analysis.challengeConvention) {
        expect(r.triage, `index ${r.index}`).toBeUndefined()
        continue
      }
      const { bytes } = await dataset.readMaskBytes(r.index)
      const want = scoreMaskRuns(analyzeMaskWithRuns(decodeMaskPng(bytes)).runs)
      expect(r.triage).toEqual({ score: want.score, reasons: JSON.stringify(want.reasons) })
      expect(r.triage!.score).toBeGreaterThanOrEqual(0)
      expect(r.triage!.score).toBeLessThanOrEqual(1)
      scored++
    }
    // Every mask that decodes except the challenge one (3, 4, 7 do not decode; 5 is challenge).
    expect(scored).toBe(N - 4)
    expect(await collect({ workers: 0, triage: true })).toEqual(results)
  })

  it('stops on abort: rejects with the reason, no result after', async () => {
    const controller = new AbortController()
    let after = 0
    let aborted = false
    const p = scanMasks(dataset, {
      workers: 2,
      signal: controller.signal,
      onResult: () => {
        if (aborted) after++
      },
      onProgress: (done) => {
        if (done >= 16 && !aborted) {
          aborted = true
          controller.abort(new Error('stop'))
        }
      },
    })
    await expect(p).rejects.toThrow('stop')
    expect(after).toBe(0)
    // An already aborted signal rejects at once.
    await expect(scanMasks(dataset, { signal: AbortSignal.abort(new Error('early')) })).rejects.toThrow(
      'early',
    )
  })
})
