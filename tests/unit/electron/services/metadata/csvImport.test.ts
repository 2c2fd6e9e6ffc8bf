import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf } from '../../../../support/datasetFixtures'
import {
  idColumnOf,
  importMetadataCsv,
  type MetadataRow,
  type MetadataSink,
} from '../../../../../electron/services/metadata/csvImport'
import { encodeMaskPng } from '../../../../../electron/services/mask/maskPng'

let dir: string

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-meta-'))
})
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true })
})

/** A sink that knows the given ids and records every batch as written. */
function memorySink(
  known: readonly string[],
): MetadataSink & { batches: { columns: string[]; rows: MetadataRow[] }[] } {
  const ids = new Set(known)
  const batches: { columns: string[]; rows: MetadataRow[] }[] = []
  return {
    batches,
    knows: (id) => ids.has(id),
    write: (columns, rows) => {
      batches.push({ columns: [...columns], rows: rows.map((r) => ({ ...r })) })
    },
  }
}

async function file(name: string, content: string | Buffer): Promise<string> {
  const p = path.join(dir, name)
  await fsp.writeFile(p, content)
  return p
}

const rowsOf = (sink: ReturnType<typeof memorySink>) => sink.batches.flatMap((b) => b.rows)

describe('importMetadataCsv', () => {
  it('reads an ISIC archive metadata export (isic_id, quoted attribution, empty cells)', async () => {
    const csv =
      'isic_id,attribution,copyright_license,age_approx,anatom_site_general,benign_malignant,diagnosis,sex\n' +
      'ISIC_0000001,"Memorial Sloan Kettering, NY",CC-BY,55,anterior torso,malignant,melanoma,male\n' +
      'ISIC_0000002,"ViDIR ""Group""",CC-BY-NC,,lower extremity,benign,nevus,female\n' +
      'ISIC_0000009,Anonymous,CC-0,40,head/neck,benign,nevus,male\n'
    const sink = memorySink(['ISIC_0000001', 'ISIC_0000002'])
    const r = await importMetadataCsv(await file('archive.csv', csv), sink)
    expect(r).toEqual({
      rows: 3,
      matched: 2,
      unmatched: 1,
      columns: [
        'attribution',
        'copyright_license',
        'age_approx',
        'anatom_site_general',
        'benign_malignant',
        'diagnosis',
        'sex',
      ],
    })
    expect(rowsOf(sink)).toEqual([
      {
        id: 'ISIC_0000001',
        values: [
          'Memorial Sloan Kettering, NY',
          'CC-BY',
          '55',
          'anterior torso',
          'malignant',
          'melanoma',
          'male',
        ],
      },
      {
        id: 'ISIC_0000002',
        values: ['ViDIR "Group"', 'CC-BY-NC', null, 'lower extremity', 'benign', 'nevus', 'female'],
      },
    ])
  })

  it('reads challenge ground truth: image_id,melanoma,seborrheic_keratosis (2017) with CRLF and a BOM', async () => {
    const csv =
      '\ufeffimage_id,melanoma,seborrheic_keratosis\r\nISIC_0000001,1.0,0.0\r\nISIC_0000003,0.0,1.0\r\n'
    const sink = memorySink(['ISIC_0000001', 'ISIC_0000003'])
    const r = await importMetadataCsv(await file('gt2017.csv', csv), sink)
    expect(r).toEqual({ rows: 2, matched: 2, unmatched: 0, columns: ['melanoma', 'seborrheic_keratosis'] })
    expect(rowsOf(sink)).toEqual([
      { id: 'ISIC_0000001', values: ['1.0', '0.0'] },
      { id: 'ISIC_0000003', values: ['0.0', '1.0'] },
    ])
  })

  it('reads challenge ground truth: image,MEL,NV,BCC,… (2019), ids with a suffix, column names as they are', async () => {
    const csv =
      'image,MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK\n' +
      'ISIC_0000004,0.0,1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n' +
      'ISIC_0000005_downsampled,1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n' +
      'not-an-id,1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n'
    const sink = memorySink(['ISIC_0000004', 'ISIC_0000005'])
    const r = await importMetadataCsv(await file('gt2019.csv', csv), sink)
    expect(r.columns).toEqual(['MEL', 'NV', 'BCC', 'AK', 'BKL', 'DF', 'VASC', 'SCC', 'UNK'])
    expect(r).toMatchObject({ rows: 3, matched: 2, unmatched: 1 })
    expect(rowsOf(sink).map((x) => [x.id, x.values[0]])).toEqual([
      ['ISIC_0000004', '0.0'],
      ['ISIC_0000005', '1.0'],
    ])
  })

  it('keeps quoted fields holding commas, quotes and line breaks (CRLF inside a field)', async () => {
    const csv = 'image_name,note\r\nISIC_0000001,"a, b\r\n""c"""\r\n'
    const sink = memorySink(['ISIC_0000001'])
    await importMetadataCsv(await file('quoted.csv', csv), sink)
    expect(rowsOf(sink)).toEqual([{ id: 'ISIC_0000001', values: ['a, b\r\n"c"'] }])
  })

  it('streams a large file in batches, keeping only the known ids', async () => {
    const lines = ['isic_id,diagnosis']
    for (let i = 0; i < 20_000; i++)
      lines.push(`ISIC_${String(i).padStart(7, '0')},${i % 3 ? 'nevus' : 'melanoma'}`)
    const known = ['ISIC_0000007', 'ISIC_0012345', 'ISIC_0019999']
    const sink = memorySink(known)
    const r = await importMetadataCsv(await file('big.csv', lines.join('\n')), sink)
    expect(r).toMatchObject({ rows: 20_000, matched: 3, unmatched: 19_997 })
    expect(rowsOf(sink).map((x) => x.id)).toEqual(known)
  })

  it('finds the id column by name, case and spaces aside, in order of preference', () => {
    expect(idColumnOf(['a', ' ISIC_ID ', 'image'])).toBe(1)
    expect(idColumnOf(['image', 'image_id'])).toBe(1)
    expect(idColumnOf(['Image_Name'])).toBe(0)
    expect(idColumnOf(['id', 'name'])).toBe(-1)
  })

  it('refuses files with no id column, and files that are not CSV, before writing anything', async () => {
    const sink = memorySink(['ISIC_0000001'])
    expect(
      await codeOf(importMetadataCsv(await file('noid.csv', 'name,diagnosis\nISIC_0000001,nevus\n'), sink)),
    ).toBe('metadata-no-id-column')
    const png = Buffer.from(
      encodeMaskPng(
        { width: 4, height: 4, data: new Uint8Array(16) },
        { colorType: 0, bitDepth: 8, interlaced: false },
      ),
    )
    expect(await codeOf(importMetadataCsv(await file('mask.png', png), sink))).toBe('metadata-not-csv')
    expect(
      await codeOf(
        importMetadataCsv(
          await file('latin1.csv', Buffer.from('isic_id,site\nISIC_0000001,t\xeate\n', 'latin1')),
          sink,
        ),
      ),
    ).toBe('metadata-not-csv')
    expect(await codeOf(importMetadataCsv(await file('empty.csv', ''), sink))).toBe('metadata-not-csv')
    expect(
      await codeOf(importMetadataCsv(await file('quote.csv', 'isic_id,x\nISIC_0000001,"open\n'), sink)),
    ).toBe('metadata-not-csv')
    expect(
      await codeOf(importMetadataCsv(await file('ragged.csv', 'isic_id,x\nISIC_0000001,a,b\n'), sink)),
    ).toBe('metadata-not-csv')
    expect(await codeOf(importMetadataCsv(path.join(dir, 'missing.csv'), sink))).toBe('not-found')
    expect(sink.batches).toEqual([])
  })
})
