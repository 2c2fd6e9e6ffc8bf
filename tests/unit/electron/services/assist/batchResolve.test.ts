import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkProposal } from '../../../../../electron/services/assist/batchResolve'
import { readTruth, TruthScorer } from '../../../../../electron/services/assist/truthScore'
import { expectCode, greyPng, handGreyPng } from '../../../../support/datasetFixtures'

describe('checkProposal', () => {
  const src = Uint8Array.from([0, 1, 255, 255])
  it('counts what the uncertain pixels became', () => {
    expect(checkProposal(src, Uint8Array.from([0, 1, 1, 0]))).toEqual({
      uncertain: 2,
      toLesion: 1,
      toBackground: 1,
    })
  })
  it.each([
    ['a changed certain pixel', [1, 1, 1, 0]],
    ['a pixel left uncertain', [0, 1, 255, 0]],
    ['another length', [0, 1, 1]],
  ])('%s is an internal error', (_name, labels) => {
    expect(() => checkProposal(src, Uint8Array.from(labels))).toThrow(
      expect.objectContaining({ code: 'internal' }),
    )
  })
})

describe('truth masks', () => {
  let dir: string
  const W = 4
  const H = 3
  /** Lesion in the left half. */
  const lesion = (x: number) => (x < W / 2 ? 1 : 0)
  const write = async (name: string, png: Buffer) => {
    const file = path.join(dir, name)
    await writeFile(file, png)
    return file
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wsm-truth-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('a 0/1 truth is read as is; a 0/255 truth (the challenge convention) with 255 as lesion', async () => {
    const expected = Uint8Array.from({ length: W * H }, (_, i) => lesion(i % W))
    const plain = await readTruth(await write('plain.png', handGreyPng(W, H, lesion)), W, H)
    expect(plain).toEqual({ data: expected, convention: '0/1' })
    const challenge = await readTruth(
      await write(
        'challenge.png',
        handGreyPng(W, H, (x) => 255 * lesion(x)),
      ),
      W,
      H,
    )
    expect(challenge).toEqual({ data: expected, convention: '0/255' })
  })

  it('refused with a code: both 1 and 255, a value that is no label, another size', async () => {
    const both = await write(
      'both.png',
      handGreyPng(W, H, (x) => (x === 0 ? 1 : x === 1 ? 255 : 0)),
    )
    expect((await expectCode(readTruth(both, W, H), 'mask-values')).message).toContain('both 1 and 255')
    const seven = await write(
      'seven.png',
      handGreyPng(W, H, (x, y) => (x === 3 && y === 2 ? 7 : 0)),
    )
    expect((await expectCode(readTruth(seven, W, H), 'mask-values')).message).toContain('holds 7 at index 11')
    const small = await write('small.png', greyPng({ width: 2, height: 2, data: new Uint8Array(4) }))
    expect((await expectCode(readTruth(small, W, H), 'mask-size')).message).toContain('2×2')
    await expectCode(readTruth(path.join(dir, 'none.png'), W, H), 'io-error')
    await expectCode(TruthScorer.open(path.join(dir, 'no-such-folder')), 'io-error')
  })

  it('a scorer finds <id>.png, else <id>_segmentation.png, and pools the scores', async () => {
    await write('ISIC_0000001.png', handGreyPng(W, H, lesion))
    await write(
      'ISIC_0000002_segmentation.png',
      handGreyPng(W, H, (x) => 255 * lesion(x)),
    )
    const scorer = await TruthScorer.open(dir)
    expect(await scorer.readFor('ISIC_0000003', W, H)).toBe('missing')
    // A weak map: the middle columns uncertain; the resolution gets one of its two columns wrong.
    const weak = {
      width: W,
      height: H,
      data: Uint8Array.from({ length: W * H }, (_, i) => [1, 255, 255, 0][i % W]),
    }
    const resolved = { ...weak, data: Uint8Array.from({ length: W * H }, (_, i) => [1, 1, 1, 0][i % W]) }
    for (const id of ['ISIC_0000001', 'ISIC_0000002']) {
      const t = await scorer.readFor(id, W, H)
      if (t === 'missing') throw new Error(`${id}: truth not found`)
      const { score } = scorer.score(resolved, weak, t.data, t.convention)
      expect(score.accuracy).toBe(0.5)
    }
    scorer.countMissing()
    expect(scorer.summary()).toMatchObject({
      dir,
      scored: 2,
      missing: 1,
      challengeConvention: 1,
      accuracy: 0.5,
      minAccuracy: 0.5,
    })
  })
})
