/**
 * The layout of an export, shared by the writer (runExport.ts) and the checker (verify.ts):
 *
 *   images/ISIC_nnnnnnn.<ext>   image bytes exactly as in the source (extension lower-cased)
 *   masks/ISIC_nnnnnnn.png      one 8-bit greyscale PNG per pair, values per the profile
 *   manifest.csv, manifest.json one row per pair: review state, fractions, sizes, SHA-256, sources
 *   export.json                 how the export was made: filters, profile, counts, the manifests' SHA-256
 *
 * A folder or a zip (the same names as entries, no top folder). Label values per profile:
 *   wsm             0 background, 1 lesion, 255 uncertain (the curated values, unchanged)
 *   isic-challenge  0 background, 255 lesion (uncertain pixels assigned by the policy, or the pair refused)
 */
import type { PairStatus } from '../../../shared/workspace/review'

export const EXPORT_FORMAT = 'wsm-curator-export'
export const EXPORT_VERSION = 1
export const EXPORT_JSON = 'export.json'
export const MANIFEST_JSON = 'manifest.json'
export const MANIFEST_CSV = 'manifest.csv'
export const IMAGES_DIR = 'images'
export const MASKS_DIR = 'masks'

export const EXPORT_PROFILES = ['wsm', 'isic-challenge'] as const
export type ExportProfile = (typeof EXPORT_PROFILES)[number]

export const UNCERTAIN_POLICIES = ['refuse', 'lesion', 'background'] as const
/** What isic-challenge does with uncertain (255) pixels: leave such pairs out, or assign them. */
export type UncertainPolicy = (typeof UNCERTAIN_POLICIES)[number]

export function isExportProfile(v: unknown): v is ExportProfile {
  return typeof v === 'string' && (EXPORT_PROFILES as readonly string[]).includes(v)
}

export function isUncertainPolicy(v: unknown): v is UncertainPolicy {
  return typeof v === 'string' && (UNCERTAIN_POLICIES as readonly string[]).includes(v)
}

/** The stored value of each label in an exported mask (null: the label cannot occur). */
export interface ExportLabels {
  background: number
  lesion: number
  uncertain: number | null
}

export function labelsOf(profile: ExportProfile): ExportLabels {
  return profile === 'wsm'
    ? { background: 0, lesion: 1, uncertain: 255 }
    : { background: 0, lesion: 255, uncertain: null }
}

/**
 * How an exported mask was written: `copied` (the current mask's bytes unchanged), `reencoded` (the
 * same values re-encoded as 8-bit greyscale, e.g. from a palette PNG), `converted` (values mapped to
 * the isic-challenge convention).
 */
export type MaskWritten = 'copied' | 'reencoded' | 'converted'

/** One exported pair, as manifest.json lists it (manifest.csv holds the same fields, flattened). */
export interface ManifestPair {
  id: string
  status: PairStatus
  /** Who made the last decision on the pair, and when (ISO 8601); null before any. */
  curator: string | null
  reviewedAt: string | null
  width: number
  height: number
  /** Pixel counts per label in the EXPORTED mask (uncertain is 0 in isic-challenge output). */
  pixels: { background: number; lesion: number; uncertain: number }
  /** The same as fractions of width × height. */
  fractions: { background: number; lesion: number; uncertain: number }
  /** Uncertain pixels assigned by the uncertain policy (isic-challenge); 0 otherwise. */
  uncertainAssigned: number
  image: { file: string; bytes: number; sha256: string; source: string }
  mask: {
    file: string
    bytes: number
    sha256: string
    /** The workspace's corrected mask, or the source mask (never corrected). */
    origin: 'corrected' | 'source'
    written: MaskWritten
    source: string
  }
  /**
   * The pair's ISIC metadata (column → value, as imported), present when the workspace has
   * metadata columns; a column the pair has no value in is absent.
   */
  metadata?: Record<string, string>
}

export interface ManifestJson {
  format: 'wsm-curator-export-manifest'
  version: number
  profile: ExportProfile
  /** The metadata columns of the exported pairs, in import order (manifest.csv's last columns). */
  metadataColumns?: string[]
  pairs: ManifestPair[]
}

/** Why a pair was left out of an export. */
export type ExclusionReason =
  /** Named by --ids but not a pair of the workspace. */
  | 'not-in-workspace'
  /** Named by --ids but its status is not among the statuses exported. */
  | 'status'
  /** Named by --ids but its uncertain fraction is above --uncertain-max. */
  | 'uncertain-above-max'
  /** --uncertain-max was given and the pair has no statistics yet (run `wsm-curator stats`). */
  | 'not-scanned'
  /** The scan found a problem in the pair's source mask (and it has no corrected mask). */
  | 'mask-problem'
  /** isic-challenge with the `refuse` policy, and the mask holds uncertain pixels. */
  | 'uncertain-pixels'
  /** Named by --ids but its metadata does not meet --where. */
  | 'metadata'
  /** --score-max was given and the pair has no triage score yet (run `wsm-curator triage`). */
  | 'not-scored'
  /** Named by --ids but its triage score is above --score-max. */
  | 'score-above-max'

export interface ExcludedPair {
  id: string
  reason: ExclusionReason
  /** E.g. the status, the scan problem's code, the number of uncertain pixels. */
  detail?: string
}

/** The selection as recorded in export.json (defaults resolved). */
export interface RecordedSelection {
  status: PairStatus[] | 'any'
  uncertainMax: number | null
  ids: string[] | null
  sample: { count: number; seed: number } | null
  /** Metadata conditions (--where), all of which held; absent when none was given. */
  where?: { column: string; values: string[] }[]
  /** Only pairs whose triage score was at most this (--score-max); absent when not given. */
  scoreMax?: number
}

export interface ExportJson {
  format: typeof EXPORT_FORMAT
  version: number
  app: { name: string; version: string }
  createdAt: string
  container: 'folder' | 'zip'
  workspace: { dir: string; masks: string; images: string[]; exportedBy: string }
  selection: RecordedSelection
  profile: ExportProfile
  /** isic-challenge only; null for wsm (which never resolves an uncertain pixel). */
  uncertainPolicy: UncertainPolicy | null
  labels: ExportLabels
  counts: {
    /** Pairs selected by the plan (after its exclusions and sampling). */
    selected: number
    exported: number
    excluded: number
    imageBytes: number
    maskBytes: number
    masks: Record<MaskWritten, number>
    uncertainAssigned: number
  }
  excluded: ExcludedPair[]
  /** SHA-256 and size of the manifests. */
  files: Record<typeof MANIFEST_JSON | typeof MANIFEST_CSV, { sha256: string; bytes: number }>
}

// ---- manifest.csv ----------------------------------------------------------------------------------

export const CSV_COLUMNS = [
  'id',
  'status',
  'curator',
  'reviewed_at',
  'width',
  'height',
  'background_fraction',
  'lesion_fraction',
  'uncertain_fraction',
  'background_pixels',
  'lesion_pixels',
  'uncertain_pixels',
  'uncertain_assigned',
  'image_file',
  'image_bytes',
  'image_sha256',
  'image_source',
  'mask_file',
  'mask_bytes',
  'mask_sha256',
  'mask_origin',
  'mask_written',
  'mask_source',
] as const

/** A manifest pair as CSV fields, in CSV_COLUMNS order. Numbers use JavaScript's shortest round-trip form. */
export function csvFields(p: ManifestPair): string[] {
  return [
    p.id,
    p.status,
    p.curator ?? '',
    p.reviewedAt ?? '',
    String(p.width),
    String(p.height),
    String(p.fractions.background),
    String(p.fractions.lesion),
    String(p.fractions.uncertain),
    String(p.pixels.background),
    String(p.pixels.lesion),
    String(p.pixels.uncertain),
    String(p.uncertainAssigned),
    p.image.file,
    String(p.image.bytes),
    p.image.sha256,
    p.image.source,
    p.mask.file,
    String(p.mask.bytes),
    p.mask.sha256,
    p.mask.origin,
    p.mask.written,
    p.mask.source,
  ]
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s
}

/**
 * The header of manifest.csv: CSV_COLUMNS, then the metadata columns as named, except that a name
 * equal to a fixed column (or to an earlier header) is prefixed `metadata.`.
 */
export function csvHeader(metadataColumns: readonly string[] = []): string[] {
  const head: string[] = [...CSV_COLUMNS]
  for (const c of metadataColumns) head.push(head.includes(c) ? `metadata.${c}` : c)
  return head
}

/** A manifest pair's CSV row: csvFields, then its metadata values ('' where it has none). */
export function csvRow(p: ManifestPair, metadataColumns: readonly string[] = []): string[] {
  return [...csvFields(p), ...metadataColumns.map((c) => p.metadata?.[c] ?? '')]
}

/** RFC 4180 text (LF line ends, UTF-8): a header row, then one row per pair. */
export function manifestCsv(pairs: readonly ManifestPair[], metadataColumns: readonly string[] = []): string {
  const lines = [csvHeader(metadataColumns).map(csvField).join(',')]
  for (const p of pairs) lines.push(csvRow(p, metadataColumns).map(csvField).join(','))
  return lines.join('\n') + '\n'
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF). Throws on an unterminated quote. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let i = 0
  let quoted = false
  let any = false
  while (i < text.length) {
    const c = text[i]
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
        i++
        continue
      }
      field += c
      i++
      continue
    }
    if (c === '"' && field === '') {
      quoted = true
      any = true
      i++
    } else if (c === ',') {
      row.push(field)
      field = ''
      any = true
      i++
    } else if (c === '\n' || c === '\r') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      any = false
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1
    } else {
      field += c
      any = true
      i++
    }
  }
  if (quoted) throw new Error('unterminated quoted field')
  if (any || field !== '') {
    row.push(field)
    rows.push(row)
  }
  return rows
}

/** Fractions of width × height, computed the one way the writer and the checker both use. */
export function fractionsOf(
  pixels: { background: number; lesion: number; uncertain: number },
  width: number,
  height: number,
): { background: number; lesion: number; uncertain: number } {
  const n = width * height
  return { background: pixels.background / n, lesion: pixels.lesion / n, uncertain: pixels.uncertain / n }
}
