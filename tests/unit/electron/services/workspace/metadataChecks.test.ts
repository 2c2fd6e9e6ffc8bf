/**
 * qa7 #12: a metadata CSV with a repeated header name and an age column with bad values, on a real
 * workspace. The repeat is imported under a new name (nothing lost) and reported; the odd values of
 * a mostly-numeric column are reported (count and first few); a numeric column groups and breaks
 * down in value order, not as text or by count.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Workspace } from '../../../../../electron/services/workspace/workspace'
import { teamSpecs } from '../team/support'
import { makeSources } from './fixtures'

let root: string
let ws: Workspace
const specs = teamSpecs(20)
const ids = specs.map((s) => s.id)
// 17 good ages (multiples of 5, as the ISIC archive's) and three bad ones, in row order.
const AGES = [
  '5',
  '10',
  'forty',
  '50',
  '15',
  '0',
  '-5',
  '10',
  '20',
  '25',
  '85.5',
  '30',
  '35',
  '45',
  '40',
  '55',
  '60',
]
const ages = [...AGES, '70', '75', '80']
// The second age_approx column (a repeated header), all good: the one that groups numerically.
const ages2 = ids.map((_, i) => String((i * 35) % 90))

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-meta-checks-'))
  const src = await makeSources(path.join(root, 'src'), { specs })
  ws = await Workspace.create(path.join(root, 'ws'), {
    masks: src.masks,
    images: [src.images],
    curator: 'qa',
  })
})
afterAll(async () => {
  await ws?.close()
  if (root) await fsp.rm(root, { recursive: true, force: true })
})

describe('metadata import checks', () => {
  it('imports a repeated header column under a new name and reports the odd values of a numeric column', async () => {
    const csv =
      'isic_id,age_approx,diagnosis,age_approx\n' +
      ids.map((id, i) => `${id},${ages[i]},${i % 2 ? 'nevus' : 'melanoma'},${ages2[i]}`).join('\n') +
      '\n'
    const file = path.join(root, 'meta.csv')
    await fsp.writeFile(file, csv)
    const r = await ws.importMetadata([file])
    expect(r.columns).toEqual(['age_approx', 'diagnosis', 'age_approx (2)'])
    expect(r.renamed).toEqual([{ file, column: 'age_approx', as: 'age_approx (2)' }])
    expect(r.suspect).toEqual([
      {
        file,
        column: 'age_approx',
        expected: 'whole number ≥ 0',
        count: 3,
        examples: ['forty', '-5', '85.5'],
      },
    ])
    // Nothing lost: both columns hold every pair's value.
    const m = ws.metadataOf(ids)
    ids.forEach((id, i) => {
      expect(m.get(id)).toEqual({
        age_approx: ages[i],
        diagnosis: i % 2 ? 'nevus' : 'melanoma',
        'age_approx (2)': ages2[i],
      })
    })
  })

  it('a numeric column groups (stats --by) and breaks down (dashboard) in value order; a text column by count', () => {
    const numericOrder = [...new Set(ages2)].sort((a, b) => Number(a) - Number(b))
    expect(ws.metadataGroups('age_approx (2)').map((g) => g.value)).toEqual(numericOrder)
    const b = ws.dashboard().metadata.find((x) => x.column === 'age_approx (2)')
    expect(b?.values.map((v) => v.value)).toEqual(numericOrder)
    expect(b?.otherPairs).toBe(0)
    // The queue filter's value list (metadata:values) too.
    expect(ws.metadataTopValues('age_approx (2)', 200).values.map((v) => v.value)).toEqual(numericOrder)
    // "forty" makes age_approx text: most frequent first as before (10 twice).
    expect(ws.metadataGroups('age_approx')[0]).toMatchObject({ value: '10', pairs: 2 })
    expect(ws.metadataGroups('diagnosis').map((g) => g.value)).toEqual(['melanoma', 'nevus'])
  })

  it('reports a mostly-number column (not whole) by its non-numbers only; a clean or text column not at all', async () => {
    const csv =
      'isic_id,score,site,clean\n' +
      ids
        .map((id, i) => `${id},${i === 3 ? 'n/a' : (i / 7).toFixed(3)},${i % 2 ? 'back' : 'face'},${i}`)
        .join('\n') +
      '\n'
    const file = path.join(root, 'scores.csv')
    await fsp.writeFile(file, csv)
    const r = await ws.importMetadata([file])
    expect(r.suspect).toEqual([{ file, column: 'score', expected: 'number', count: 1, examples: ['n/a'] }])
    expect(r.renamed).toBeUndefined()
  })
})
