/**
 * Checking an export (folder or zip) against itself, with nothing but its own files: export.json
 * (format, profile, the manifests' SHA-256), manifest.json and manifest.csv (the same rows), and
 * every pair — the image's and the mask's size and SHA-256, the image header's stored size, the mask
 * decoded exactly (8-bit greyscale, values allowed by the export's profile: 0/1/255 for wsm, 0/255
 * for isic-challenge, where 255 is LESION), the mask's size against the image's, and its pixel counts
 * against the manifest. Files under images/ or masks/ that the manifest does not list are problems too.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { CodedError, toApiError, type ApiError } from '../../../shared/api/errors'
import { isPairStatus } from '../../../shared/workspace/review'
import { sha256Hex } from '../fs/hash'
import { readImageHeader } from '../images/imageHeader'
import { decodeMaskPng } from '../mask/maskPng'
import { ZipReader } from '../zip/zipReader'
import {
  csvHeader,
  EXPORT_FORMAT,
  EXPORT_JSON,
  EXPORT_VERSION,
  IMAGES_DIR,
  MANIFEST_CSV,
  MANIFEST_JSON,
  MASKS_DIR,
  csvRow,
  fractionsOf,
  isExportProfile,
  labelsOf,
  parseCsv,
  type ExportJson,
  type ExportProfile,
  type ManifestJson,
  type ManifestPair,
} from './format'

export interface VerifyProgress {
  done: number
  total: number
}

export interface VerifyReport {
  /** True when no problem was found. */
  ok: boolean
  target: string
  container: 'folder' | 'zip'
  /** From export.json (null when it cannot be read). */
  profile: ExportProfile | null
  /** Pairs the manifest lists, and pairs whose files were checked. */
  pairs: number
  checked: number
  /** Every problem found: `file` is the export's file (`<zip>!<entry>` or a path) when there is one. */
  problems: ApiError[]
}

const CONCURRENCY = 4

/** Read access to the files of an export, by relative name (`images/ISIC_….jpg`). */
interface ExportFiles {
  names: string[]
  read(name: string): Promise<Buffer>
  describe(name: string): string
  close(): Promise<void>
}

async function listFolder(root: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (dir: string, prefix: string) => {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
      const rel = prefix === '' ? e.name : `${prefix}/${e.name}`
      if (e.isDirectory()) await walk(path.join(dir, e.name), rel)
      else out.push(rel)
    }
  }
  await walk(root, '')
  return out.sort()
}

async function openExport(target: string): Promise<{ files: ExportFiles; container: 'folder' | 'zip' }> {
  const st = await fsp.stat(target)
  if (st.isDirectory()) {
    const names = await listFolder(target)
    return {
      container: 'folder',
      files: {
        names,
        read: async (name) => {
          const file = path.join(target, ...name.split('/'))
          try {
            return await fsp.readFile(file)
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code
            throw new CodedError(
              code === 'ENOENT' ? 'not-found' : 'io-error',
              `cannot read ${file}: ${code}`,
              file,
            )
          }
        },
        describe: (name) => path.join(target, ...name.split('/')),
        close: async () => undefined,
      },
    }
  }
  const zip = await ZipReader.open(target)
  return {
    container: 'zip',
    files: {
      names: zip.entries.map((e) => e.name),
      read: async (name) => {
        const entry = zip.getEntry(name)
        if (!entry) throw new CodedError('not-found', `${target}!${name} is missing`, `${target}!${name}`)
        return zip.read(entry)
      },
      describe: (name) => `${target}!${name}`,
      close: () => zip.close(),
    },
  }
}

/**
 * Verifies an export (see the module comment). Never throws for a problem in the export: every one
 * is in `problems`. Throws only when `target` cannot be opened at all as a folder or zip
 * (`not-found`, `zip-*`, `io-error`) or when cancelled (`cancelled`).
 */
export async function verifyExport(
  target: string,
  hooks: { onProgress?(p: VerifyProgress): void; signal?: AbortSignal } = {},
): Promise<VerifyReport> {
  const abs = path.resolve(target)
  let opened: Awaited<ReturnType<typeof openExport>>
  try {
    opened = await openExport(abs)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new CodedError('not-found', `${abs} does not exist`, abs)
    throw err instanceof CodedError
      ? err
      : new CodedError('io-error', `cannot open ${abs}: ${code ?? err}`, abs)
  }
  const { files, container } = opened
  const problems: ApiError[] = []
  const report: VerifyReport = {
    ok: false,
    target: abs,
    container,
    profile: null,
    pairs: 0,
    checked: 0,
    problems,
  }
  const problem = (code: ApiError['code'], message: string, name?: string) => {
    const file = name === undefined ? undefined : files.describe(name)
    if (file === undefined) problems.push({ code, message })
    else problems.push({ code, message: message.includes(file) ? message : `${file}: ${message}`, file })
  }
  try {
    const record = await readJson<ExportJson>(files, EXPORT_JSON, problem)
    if (record === undefined) return report
    if (record.format !== EXPORT_FORMAT || typeof record.version !== 'number') {
      problem(
        'export-corrupt',
        `not an export made by wsm-curator (format ${JSON.stringify(record.format)})`,
        EXPORT_JSON,
      )
      return report
    }
    if (record.version > EXPORT_VERSION) {
      problem(
        'export-corrupt',
        `export format version ${record.version} is newer than this app reads (${EXPORT_VERSION})`,
        EXPORT_JSON,
      )
      return report
    }
    if (!isExportProfile(record.profile)) {
      problem('export-corrupt', `unknown profile ${JSON.stringify(record.profile)}`, EXPORT_JSON)
      return report
    }
    const profile = record.profile
    report.profile = profile

    // The manifests: checksums from export.json, then JSON and CSV agreeing row for row.
    const manifestBytes: Record<string, Buffer | undefined> = {}
    for (const name of [MANIFEST_JSON, MANIFEST_CSV] as const) {
      const want = record.files?.[name]
      let bytes: Buffer
      try {
        bytes = await files.read(name)
      } catch (err) {
        const e = toApiError(err)
        problem(e.code, e.message, name)
        continue
      }
      manifestBytes[name] = bytes
      if (!want || typeof want.sha256 !== 'string') {
        problem('export-corrupt', `export.json records no checksum for ${name}`, EXPORT_JSON)
      } else if (sha256Hex(bytes) !== want.sha256 || bytes.length !== want.bytes) {
        problem('checksum-mismatch', `SHA-256 or size differs from export.json's record`, name)
      }
    }
    let pairs: ManifestPair[] = []
    let metadataColumns: string[] = []
    if (manifestBytes[MANIFEST_JSON]) {
      try {
        const m = JSON.parse(manifestBytes[MANIFEST_JSON].toString('utf8')) as ManifestJson
        if (!Array.isArray(m.pairs)) throw new Error('no pairs list')
        if (m.profile !== profile)
          problem(
            'export-corrupt',
            `profile ${m.profile} differs from export.json's ${profile}`,
            MANIFEST_JSON,
          )
        pairs = m.pairs
        if (m.metadataColumns !== undefined) {
          if (!Array.isArray(m.metadataColumns) || m.metadataColumns.some((c) => typeof c !== 'string'))
            throw new Error('metadataColumns is not a list of names')
          metadataColumns = m.metadataColumns
        }
      } catch (err) {
        problem(
          'export-corrupt',
          `not readable JSON: ${err instanceof Error ? err.message : err}`,
          MANIFEST_JSON,
        )
      }
    }
    report.pairs = pairs.length
    if (record.counts?.exported !== pairs.length) {
      problem(
        'export-corrupt',
        `export.json counts ${record.counts?.exported} pairs, the manifest lists ${pairs.length}`,
        EXPORT_JSON,
      )
    }
    if (manifestBytes[MANIFEST_CSV] && manifestBytes[MANIFEST_JSON])
      checkCsv(manifestBytes[MANIFEST_CSV], pairs, metadataColumns, problem)

    // Files present against files listed.
    const listed = new Map<string, ManifestPair>()
    for (const p of pairs) {
      if (!isPairShaped(p)) {
        problem(
          'export-corrupt',
          `a manifest row is malformed: ${JSON.stringify(p).slice(0, 200)}`,
          MANIFEST_JSON,
        )
        continue
      }
      listed.set(p.image.file, p)
      listed.set(p.mask.file, p)
    }
    const present = new Set(files.names)
    for (const name of files.names) {
      const inData = name.startsWith(`${IMAGES_DIR}/`) || name.startsWith(`${MASKS_DIR}/`)
      if (inData && !listed.has(name))
        problem('export-corrupt', 'this file is not listed in the manifest', name)
    }

    // Every pair, a few at a time.
    const shaped = pairs.filter(isPairShaped)
    let next = 0
    let done = 0
    const worker = async () => {
      while (next < shaped.length) {
        hooks.signal?.throwIfAborted()
        const p = shaped[next++]
        await checkPair(p, profile, files, present, problem)
        report.checked++
        done++
        hooks.onProgress?.({ done, total: shaped.length })
      }
    }
    try {
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, Math.max(1, shaped.length)) }, worker))
    } catch (err) {
      if (hooks.signal?.aborted) throw new CodedError('cancelled', 'the verification was cancelled')
      throw err
    }
    report.ok = problems.length === 0
    return report
  } finally {
    await files.close()
  }
}

type Problem = (code: ApiError['code'], message: string, name?: string) => void

async function readJson<T>(files: ExportFiles, name: string, problem: Problem): Promise<T | undefined> {
  let bytes: Buffer
  try {
    bytes = await files.read(name)
  } catch (err) {
    const e = toApiError(err)
    problem(
      e.code === 'not-found' ? 'export-corrupt' : e.code,
      `${name} is missing or unreadable: not an export made by wsm-curator? (${e.message})`,
    )
    return undefined
  }
  try {
    return JSON.parse(bytes.toString('utf8')) as T
  } catch (err) {
    problem('export-corrupt', `not readable JSON: ${err instanceof Error ? err.message : err}`, name)
    return undefined
  }
}

function isPairShaped(p: unknown): p is ManifestPair {
  const q = p as ManifestPair
  return (
    typeof q === 'object' &&
    q !== null &&
    typeof q.id === 'string' &&
    isPairStatus(q.status) &&
    Number.isInteger(q.width) &&
    Number.isInteger(q.height) &&
    typeof q.image?.file === 'string' &&
    typeof q.image.sha256 === 'string' &&
    typeof q.mask?.file === 'string' &&
    typeof q.mask.sha256 === 'string' &&
    typeof q.pixels?.background === 'number'
  )
}

function checkCsv(
  bytes: Buffer,
  pairs: readonly ManifestPair[],
  metadataColumns: readonly string[],
  problem: Problem,
): void {
  let rows: string[][]
  try {
    rows = parseCsv(bytes.toString('utf8'))
  } catch (err) {
    problem('export-corrupt', `not readable CSV: ${err instanceof Error ? err.message : err}`, MANIFEST_CSV)
    return
  }
  const head = rows.shift()
  const header = csvHeader(metadataColumns)
  if (head === undefined || head.length !== header.length || head.some((h, k) => h !== header[k])) {
    problem('export-corrupt', 'the header row is not the expected columns', MANIFEST_CSV)
    return
  }
  if (rows.length !== pairs.length) {
    problem('export-corrupt', `${rows.length} rows, manifest.json lists ${pairs.length} pairs`, MANIFEST_CSV)
    return
  }
  for (let i = 0; i < rows.length; i++) {
    if (!isPairShaped(pairs[i])) continue
    const want = csvRow(pairs[i], metadataColumns)
    const got = rows[i]
    const col = want.findIndex((v, k) => got[k] !== v)
    if (col >= 0 || got.length !== want.length) {
      problem(
        'export-corrupt',
        `row ${i + 2} (${got[0]}) differs from manifest.json` + (col >= 0 ? ` in column ${header[col]}` : ''),
        MANIFEST_CSV,
      )
    }
  }
}

async function checkPair(
  p: ManifestPair,
  profile: ExportProfile,
  files: ExportFiles,
  present: ReadonlySet<string>,
  problem: Problem,
): Promise<void> {
  const read = async (name: string): Promise<Buffer | undefined> => {
    if (!present.has(name)) {
      problem('not-found', `listed in the manifest for ${p.id} but missing`, name)
      return undefined
    }
    try {
      return await files.read(name)
    } catch (err) {
      const e = toApiError(err)
      problem(e.code, e.message, name)
      return undefined
    }
  }
  const [image, mask] = await Promise.all([read(p.image.file), read(p.mask.file)])
  let imageSize: { width: number; height: number } | undefined
  if (image) {
    if (image.length !== p.image.bytes || sha256Hex(image) !== p.image.sha256) {
      problem(
        'checksum-mismatch',
        `${p.id}: the image's SHA-256 or size differs from the manifest`,
        p.image.file,
      )
    }
    try {
      imageSize = readImageHeader(image)
    } catch (err) {
      const e = toApiError(err)
      problem(e.code, e.message, p.image.file)
    }
    if (imageSize && (imageSize.width !== p.width || imageSize.height !== p.height)) {
      problem(
        'mask-size',
        `${p.id}: the image is ${imageSize.width}×${imageSize.height}, the manifest says ${p.width}×${p.height}`,
        p.image.file,
      )
    }
  }
  if (!mask) return
  if (mask.length !== p.mask.bytes || sha256Hex(mask) !== p.mask.sha256) {
    problem('checksum-mismatch', `${p.id}: the mask's SHA-256 or size differs from the manifest`, p.mask.file)
  }
  let decoded: ReturnType<typeof decodeMaskPng>
  try {
    decoded = decodeMaskPng(mask)
  } catch (err) {
    const e = toApiError(err)
    problem(e.code, e.message, p.mask.file)
    return
  }
  const { format } = decoded
  if (format.colorType !== 0 || format.bitDepth !== 8) {
    problem(
      'mask-colour',
      `${p.id}: the mask is ${format.colorType === 3 ? 'a palette' : `colour type ${format.colorType}`} PNG of ${format.bitDepth} bits; an export holds 8-bit greyscale masks`,
      p.mask.file,
    )
  }
  const size = imageSize ?? { width: p.width, height: p.height }
  if (decoded.width !== size.width || decoded.height !== size.height) {
    problem(
      'mask-size',
      `${p.id}: the mask is ${decoded.width}×${decoded.height}, the ${imageSize ? 'image' : 'manifest'} ${size.width}×${size.height}`,
      p.mask.file,
    )
  }
  const labels = labelsOf(profile)
  const hist = new Uint32Array(256)
  const data = decoded.data
  for (let i = 0; i < data.length; i++) hist[data[i]]++
  const allowed = new Set([
    labels.background,
    labels.lesion,
    ...(labels.uncertain === null ? [] : [labels.uncertain]),
  ])
  const bad = [...hist.keys()].filter((v) => hist[v] > 0 && !allowed.has(v))
  if (bad.length > 0) {
    const total = bad.reduce((a, v) => a + hist[v], 0)
    problem(
      'mask-values',
      `${p.id}: ${total} pixels hold values not allowed in a ${profile} export (${bad.slice(0, 5).join(', ')}; allowed ${[...allowed].join(', ')})`,
      p.mask.file,
    )
    return
  }
  const pixels = {
    background: hist[labels.background],
    lesion: hist[labels.lesion],
    uncertain: labels.uncertain === null ? 0 : hist[labels.uncertain],
  }
  const f = fractionsOf(pixels, decoded.width, decoded.height)
  const mp = p.pixels
  if (
    mp.background !== pixels.background ||
    mp.lesion !== pixels.lesion ||
    mp.uncertain !== pixels.uncertain ||
    p.fractions?.background !== f.background ||
    p.fractions.lesion !== f.lesion ||
    p.fractions.uncertain !== f.uncertain
  ) {
    problem(
      'export-corrupt',
      `${p.id}: the mask holds ${pixels.background} background, ${pixels.lesion} lesion, ${pixels.uncertain} uncertain pixels; the manifest says ${mp.background}, ${mp.lesion}, ${mp.uncertain}`,
      p.mask.file,
    )
  }
}
