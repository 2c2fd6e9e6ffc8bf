/**
 * THE API contract between the renderer and the main process (or the `serve` bridge).
 *
 * Every call is declared once here: its name (`domain:verb`), an argument schema (validated at the
 * boundary by both adapters), its result type and the error codes it may return. From this map are
 * derived: the main-process handler table (`ApiHandlers`, a missing handler is a compile error), the
 * preload's allow-list, the HTTP bridge's routes (`POST /api/<name>`) and the renderer's typed client.
 */
import { IMAGE_READ_ERRORS, MASK_READ_ERRORS, type ErrorCode } from './errors'
import type { Result } from './result'
import { s, type Infer, type Schema } from './schema'
import type { LabelCounts, LabelMap } from '../labels/codes'
import {
  PAIR_STATUSES,
  type PairState,
  type PairStatus,
  type ReviewProgress,
  type Transition,
} from '../workspace/review'
import type {
  DashboardData,
  MetadataColumn,
  MetadataCondition,
  MetadataValueCount,
} from '../workspace/dashboard'
import type {
  AdjudicationCaseView,
  AdjudicationQueueItem,
  SyncResult,
  TeamStatus,
  TeamSyncState,
} from './team'
import type { PairTriage, TriagePassProgress } from '../workspace/triage'

export type { PairState, ReviewProgress }
export type { PairTriage }
export type { DashboardData, MetadataColumn, MetadataCondition, MetadataValueCount }

/** What a metadata import read (see `metadata:import`). */
export interface MetadataImportResult {
  rows: number
  matched: number
  unmatched: number
  columns: string[]
  /** A header name repeated in a file: the repeat imported under `as` (present when any). */
  renamed?: { file: string; column: string; as: string }[]
  /** Mostly-numeric columns with values unlike the rest, counted, with the first few (present when any). */
  suspect?: { file: string; column: string; expected: string; count: number; examples: string[] }[]
}

/** Phantom marker carrying a result type at the type level only. */
interface ResultType<T> {
  readonly __result?: T
}
function returns<T>(): ResultType<T> {
  return {}
}

interface CallSpec<A, R> {
  args: Schema<A>
  result: ResultType<R>
  /** The codes this call may return besides the transport ones (bad-request, internal…). */
  errors: readonly ErrorCode[]
  /** One line for docs and the help overlay. */
  doc: string
}

function call<A, R>(spec: CallSpec<A, R>): CallSpec<A, R> {
  return spec
}

/** An ISIC id: `ISIC_` and seven digits. */
export const ISIC_ID_PATTERN = /^ISIC_\d{7}$/
const isicId = s.string({ maxLength: 12, pattern: ISIC_ID_PATTERN })
/** A mask version (`OpenedPair.base`): '' for the source, else a corrected mask's SHA-256 (hex). */
const MASK_VERSION = s.string({ pattern: /^(?:[0-9a-f]{64})?$/ })

/** How a call on the team server fails: not joined, the server unreachable or refusing, a newer schema, no right. */
const TEAM_SERVER_ERRORS = [
  'team-not-found',
  'team-unreachable',
  'team-auth',
  'team-tls',
  'team-version',
  'team-permission',
] as const satisfies readonly ErrorCode[]

export const PAGE_LIMIT_MAX = 500

// ---- result types -------------------------------------------------------------------------------

export interface AppInfo {
  name: string
  version: string
  /** Where the API is served from: the Electron main process or the loopback HTTP bridge. */
  host: 'electron' | 'serve'
}

export interface DatasetSummary {
  /** A short human name, e.g. the masks zip's file name. */
  name: string
  masksSource: string
  imageSources: string[]
  pairCount: number
  masksWithoutImage: number
  imagesWithoutMask: number
}

export interface PairSummary {
  index: number
  id: string
}

export interface PairPage {
  total: number
  offset: number
  items: PairSummary[]
}

/** One pair as the dataset alone gives it (no workspace): see Dataset.openPair. */
export interface PairData {
  index: number
  id: string
  total: number
  image: { name: string; mime: string; bytes: Uint8Array }
  mask: LabelMap & { name: string }
  counts: LabelCounts
}

/** The background statistics scan over all source masks. */
export interface ScanProgress {
  running: boolean
  /** Masks analysed in this run so far, and to analyse in this run. */
  done: number
  toScan: number
  /** Masks skipped because their statistics are current. */
  skipped: number
  failed: number
  problems: number
  /** Why the scan stopped early, if it did. */
  error: string | null
}

export interface WorkspaceInfo {
  dir: string
  curator: string
  readOnly: boolean
  /** Why the workspace is read-only, when it is. */
  readOnlyReason: string | null
  progress: ReviewProgress
  scan: ScanProgress | null
  /** The triage image pass after the scan (issue #13): null until it starts. */
  triage: TriagePassStatus | null
  /** Things worth telling the curator about the opening (recoveries, adopted files…). */
  notices: string[]
}

/** The background triage image pass: it refines the scan's mask-only scores pair by pair. */
export interface TriagePassStatus extends TriagePassProgress {
  running: boolean
  /** Why the pass stopped early, if it did. */
  error: string | null
}

/** One problem found in the dataset: in pairing (no image, duplicates, a broken source) or in a mask. */
export interface DatasetProblem {
  id: string | null
  file: string | null
  code: string
  message: string
}

export interface ProblemPage {
  total: number
  offset: number
  /** Counts per code over all problems (for the filter). */
  codes: Record<string, number>
  items: DatasetProblem[]
}

/** Which pairs the review queue holds, and in what order. */
export interface QueueQuery {
  status?: PairStatus[]
  uncertainMin?: number
  uncertainMax?: number
  /** Metadata conditions, all of which must hold (dashboard bars, the queue's metadata filter). */
  metadata?: MetadataCondition[]
  /** Only pairs whose source mask has the scan problem of this code. */
  problem?: string
  /** Only pairs whose triage score has this reason code (issue #13). */
  reason?: string
  /**
   * Only the curator's team assignments still to do (as pulled at the last sync; 'any' role, or only
   * 'first' or 'second' reviews). Refused with `team-not-found` in a workspace without a team.
   */
  assigned?: 'any' | 'first' | 'second'
  /** 'score': the triage score (pairs not yet scored last). */
  sort: 'id' | 'uncertain' | 'score'
  order: 'asc' | 'desc'
}

export interface QueueItem {
  /** Position in the queue (0-based). */
  position: number
  id: string
  status: PairStatus
  uncertainFraction: number | null
  corrected: boolean
  /** The code of the problem the scan found in the pair's source mask, if any. */
  problem: string | null
  /** The pair's triage score in [0, 1] (null: not scored yet); `queue:page` fills it, for the rows of a score sort. */
  score?: number | null
}

export interface QueuePage {
  total: number
  offset: number
  items: QueueItem[]
}

export interface OpenedPair {
  id: string
  /** The image file as stored (JPEG or PNG bytes); the renderer decodes it without EXIF rotation. */
  image: { name: string; mime: string; bytes: Uint8Array }
  /**
   * The current label map — the corrected mask if there is one, else the source — decoded exactly:
   * stored grey values or palette indices, never rendered colours.
   */
  mask: LabelMap & { origin: 'corrected' | 'source' }
  counts: LabelCounts
  state: PairState
  /** The source mask was in the challenge convention and was converted (255 → 1) on request: unsaved. */
  converted: boolean
  /**
   * The version of the current mask this answer was read from: the corrected mask's SHA-256, or ''
   * while the source is current. Passed back as `pair:saveMask`'s `base`, so that a save over a
   * mask changed elsewhere since (another tab, a read-ahead copy) is refused with `conflict`.
   */
  base: string
}

export interface SaveResult {
  state: PairState
  /** The version of the mask just saved (its SHA-256): the `base` of the next save of this pair. */
  base: string
  /** Pixels changed per label transition against the previous current mask. */
  transitions: Transition[]
  progress: ReviewProgress
}

export interface StatusResult {
  state: PairState
  progress: ReviewProgress
}

/**
 * `pair:version`: the version of a pair's current mask (`OpenedPair.base`), its review state and the
 * workspace's progress, without the image; with `mask: true` also the current mask itself (what
 * "Load the saved version" needs: a pair whose image no longer reads can still be resolved).
 */
export interface PairVersion extends StatusResult {
  base: string
  mask?: LabelMap & { origin: 'corrected' | 'source' }
}

export interface ExportPlanSummary {
  count: number
  eligible: number
  excluded: number
  /** Exclusions by reason (status, uncertain-pixels, mask-problem…). */
  excludedByReason: Record<string, number>
  unscanned: number
}

export interface ExportJobState {
  state: 'idle' | 'running' | 'done' | 'failed' | 'cancelled'
  out: string | null
  done: number
  total: number
  bytes: number
  exported: number | null
  excluded: number | null
  error: string | null
}

/** The export job before anything ran. */
export function idleExportJob(): ExportJobState {
  return {
    state: 'idle',
    out: null,
    done: 0,
    total: 0,
    bytes: 0,
    exported: null,
    excluded: null,
    error: null,
  }
}

// ---- the contract -------------------------------------------------------------------------------

/** A metadata condition: the pair's value of `column` is one of `values`. */
const METADATA_CONDITION = s.object({
  column: s.string({ maxLength: 200 }),
  values: s.array(s.string({ maxLength: 1000 }), { maxLength: 1000 }),
})

/** An export's selection as the wire carries it (flat, every field optional). */
const SELECTION = s.object({
  status: s.optional(s.array(s.literal(...PAIR_STATUSES), { maxLength: PAIR_STATUSES.length })),
  anyStatus: s.optional(s.boolean()),
  uncertainMax: s.optional(s.number({ min: 0, max: 1 })),
  ids: s.optional(s.array(isicId, { maxLength: 100_000 })),
  sampleCount: s.optional(s.int({ min: 1 })),
  sampleSeed: s.optional(s.int({ min: 0, max: 0xffffffff })),
  profile: s.optional(s.literal('wsm', 'isic-challenge')),
  uncertainPolicy: s.optional(s.literal('refuse', 'lesion', 'background')),
  where: s.optional(s.array(METADATA_CONDITION, { maxLength: 16 })),
})

export const contract = {
  'app:info': call({
    args: s.none(),
    result: returns<AppInfo>(),
    errors: [],
    doc: 'Name and version of the app, and which host serves the API.',
  }),
  'dataset:summary': call({
    args: s.none(),
    result: returns<DatasetSummary>(),
    errors: ['no-dataset'],
    doc: 'The open dataset: its sources and pair counts.',
  }),
  'workspace:info': call({
    args: s.none(),
    result: returns<WorkspaceInfo>(),
    errors: ['no-dataset'],
    doc: 'The open workspace: folder, curator, read-only state and review progress.',
  }),
  'workspace:recent': call({
    args: s.none(),
    result: returns<{ dirs: string[] }>(),
    errors: [],
    doc: 'Recently opened workspaces, most recent first.',
  }),
  'workspace:open': call({
    args: s.object({ dir: s.string({ maxLength: 4096 }) }),
    result: returns<WorkspaceInfo>(),
    errors: [
      'forbidden-path',
      'not-found',
      'workspace-locked',
      'workspace-corrupt',
      'workspace-version',
      'io-error',
    ],
    doc: 'Opens a workspace folder (closing the current one).',
  }),
  'workspace:create': call({
    args: s.object({
      dir: s.string({ maxLength: 4096 }),
      masks: s.string({ maxLength: 4096 }),
      images: s.array(s.string({ maxLength: 4096 }), { maxLength: 32 }),
      curator: s.optional(s.string({ maxLength: 200 })),
    }),
    result: returns<WorkspaceInfo>(),
    errors: [
      'forbidden-path',
      'not-found',
      'workspace-exists',
      'bad-request',
      'io-error',
      'zip-corrupt',
      'zip-truncated',
    ],
    doc: 'Creates a workspace over a masks source and image sources, and opens it.',
  }),
  'dialog:pick': call({
    args: s.object({
      purpose: s.literal(
        'workspace',
        'new-workspace',
        'masks-zip',
        'masks-folder',
        'images-zip',
        'images-folder',
        'export-folder',
        'export-zip',
        'metadata-csv',
      ),
    }),
    result: returns<{ path: string | null }>(),
    errors: ['unsupported'],
    doc: 'A native file dialog (Electron only; in a browser paths are typed). The path picked becomes allowed.',
  }),
  'export:plan': call({
    args: SELECTION,
    result: returns<ExportPlanSummary>(),
    errors: ['no-dataset', 'bad-request'],
    doc: 'How many pairs an export with this selection would write, and what it would leave out (live count).',
  }),
  'export:start': call({
    args: s.object({ selection: SELECTION, out: s.string({ maxLength: 4096 }) }),
    result: returns<ExportJobState>(),
    errors: ['no-dataset', 'bad-request', 'forbidden-path', 'export-target', 'io-error'],
    doc: 'Starts an export in the background (one at a time); poll export:status.',
  }),
  'export:status': call({
    args: s.none(),
    result: returns<ExportJobState>(),
    errors: ['no-dataset'],
    doc: 'Progress of the export in the background.',
  }),
  'export:cancel': call({
    args: s.none(),
    result: returns<ExportJobState>(),
    errors: ['no-dataset'],
    doc: 'Stops the export; nothing is left under the output name.',
  }),
  'dataset:problems': call({
    args: s.object({
      offset: s.int({ min: 0 }),
      limit: s.int({ min: 1, max: PAGE_LIMIT_MAX }),
      code: s.optional(s.string({ maxLength: 64 })),
    }),
    result: returns<ProblemPage>(),
    errors: ['no-dataset'],
    doc: 'Problems found while pairing and scanning, optionally of one code.',
  }),
  'queue:set': call({
    args: s.object({
      status: s.optional(s.array(s.literal(...PAIR_STATUSES), { maxLength: PAIR_STATUSES.length })),
      uncertainMin: s.optional(s.number({ min: 0, max: 1 })),
      uncertainMax: s.optional(s.number({ min: 0, max: 1 })),
      metadata: s.optional(s.array(METADATA_CONDITION, { maxLength: 16 })),
      problem: s.optional(s.string({ maxLength: 64 })),
      reason: s.optional(s.string({ maxLength: 64 })),
      assigned: s.optional(s.literal('any', 'first', 'second')),
      sort: s.literal('id', 'uncertain', 'score'),
      order: s.literal('asc', 'desc'),
    }),
    result: returns<{ total: number }>(),
    errors: ['no-dataset', 'metadata-unknown-column', 'team-not-found', 'workspace-corrupt'],
    doc: 'Sets the review queue: a snapshot of the matching pairs, so positions stay put while statuses change.',
  }),
  'queue:page': call({
    args: s.object({ offset: s.int({ min: 0 }), limit: s.int({ min: 1, max: PAGE_LIMIT_MAX }) }),
    result: returns<QueuePage>(),
    errors: ['no-dataset'],
    doc: 'A window of the queue with fresh statuses (never the whole list: 43,885 pairs).',
  }),
  'queue:find': call({
    args: s.object({ id: isicId }),
    result: returns<{ position: number }>(),
    errors: ['no-dataset', 'not-found'],
    doc: 'The position of a pair in the queue.',
  }),
  'pair:open': call({
    args: s.object({ id: isicId, challenge: s.optional(s.literal('refuse', 'convert')) }),
    result: returns<OpenedPair>(),
    errors: ['no-dataset', 'not-found', 'io-error', ...MASK_READ_ERRORS, ...IMAGE_READ_ERRORS],
    doc: 'Image bytes, the exact current label map and the review state of one pair.',
  }),
  'pair:version': call({
    args: s.object({ id: isicId, mask: s.optional(s.boolean()) }),
    result: returns<PairVersion>(),
    errors: ['no-dataset', 'not-found', 'io-error', ...MASK_READ_ERRORS],
    doc:
      "The version of a pair's current mask (`pair:open`'s `base`), its state and the progress, without the image; " +
      'with `mask: true` also the current mask (a challenge-convention source is refused, as by `pair:open`).',
  }),
  'pair:triage': call({
    args: s.object({ id: isicId }),
    result: returns<PairTriage | null>(),
    errors: ['no-dataset', 'not-found'],
    doc: "The triage score of a pair's current mask with its reasons (null while not scored yet).",
  }),
  'pair:thumbnail': call({
    args: s.object({ id: isicId }),
    result: returns<{ mime: string; bytes: Uint8Array }>(),
    errors: ['no-dataset', 'not-found', 'io-error', 'image-corrupt', 'png-corrupt', 'mask-values'],
    doc: 'A small JPEG of the image with its current mask drawn over it, for the queue.',
  }),
  'pair:prefetch': call({
    args: s.object({ ids: s.array(isicId, { maxLength: 4 }) }),
    result: returns<void>(),
    errors: [],
    doc: 'Hint: these pairs come next; read them into the main-process cache in the background.',
  }),
  'pair:setStatus': call({
    args: s.object({
      id: isicId,
      status: s.literal(...PAIR_STATUSES),
      note: s.optional(s.string({ maxLength: 4000 })),
      /** The mask version decided on (`OpenedPair.base`), as `pair:saveMask`'s. */
      base: s.optional(MASK_VERSION),
    }),
    result: returns<StatusResult>(),
    errors: ['no-dataset', 'not-found', 'read-only', 'bad-request', 'io-error', 'conflict'],
    doc:
      'Records a decision (and optionally a note) on a pair; audited. ' +
      'With `base`, refused with `conflict` (nothing recorded) when the current mask is no longer that version.',
  }),
  'pair:setNote': call({
    args: s.object({ id: isicId, note: s.string({ maxLength: 4000 }) }),
    result: returns<StatusResult>(),
    errors: ['no-dataset', 'not-found', 'read-only', 'io-error'],
    doc: 'Changes the note of a pair, keeping its status; audited.',
  }),
  'pair:saveMask': call({
    args: s.object({
      id: isicId,
      width: s.int({ min: 1 }),
      height: s.int({ min: 1 }),
      data: s.bytes(),
      /** The mask version edited (`OpenedPair.base`): '' for the source, else a corrected mask's SHA-256. */
      base: s.optional(MASK_VERSION),
    }),
    result: returns<SaveResult>(),
    errors: [
      'no-dataset',
      'not-found',
      'read-only',
      'disk-full',
      'io-error',
      'mask-size',
      'mask-values',
      'conflict',
    ],
    doc:
      'Saves a corrected mask (atomic, checked, read back) in the source PNG format; the pair becomes corrected. ' +
      'With `base`, refused with `conflict` (nothing written) when the current mask is no longer that version.',
  }),
  'dashboard:data': call({
    args: s.none(),
    result: returns<DashboardData>(),
    errors: ['no-dataset'],
    doc: 'The dashboard: statuses, progress, histograms, decisions, problems, metadata (aggregates only).',
  }),
  'metadata:columns': call({
    args: s.none(),
    result: returns<{ columns: MetadataColumn[] }>(),
    errors: ['no-dataset'],
    doc: 'The imported ISIC metadata columns with their pair counts.',
  }),
  'metadata:values': call({
    args: s.object({ column: s.string({ maxLength: 200 }) }),
    result: returns<{ values: MetadataValueCount[]; distinct: number; otherPairs: number }>(),
    errors: ['no-dataset', 'metadata-unknown-column'],
    doc:
      'The most frequent values (at most 200) of one metadata column with their pair counts, the ' +
      'number of distinct values and the pairs with another value (for the queue filter).',
  }),
  'metadata:import': call({
    args: s.object({ files: s.array(s.string({ maxLength: 4096 }), { maxLength: 32 }) }),
    result: returns<MetadataImportResult>(),
    errors: [
      'no-dataset',
      'forbidden-path',
      'not-found',
      'read-only',
      'io-error',
      'metadata-not-csv',
      'metadata-no-id-column',
    ],
    doc: 'Imports ISIC metadata CSVs (archive export or challenge ground truth) into the workspace.',
  }),
  'team:state': call({
    args: s.none(),
    result: returns<TeamSyncState>(),
    errors: ['no-dataset', 'workspace-corrupt'],
    doc: "The workspace's team membership and sync state (last sync, pending changes, offline), for the badge.",
  }),
  'team:join': call({
    args: s.object({ url: s.string({ maxLength: 2048 }), curator: s.string({ maxLength: 64 }) }),
    result: returns<TeamSyncState>(),
    errors: [
      'no-dataset',
      'bad-request',
      'team-exists',
      'team-curator-taken',
      'team-dataset',
      ...TEAM_SERVER_ERRORS,
    ],
    doc: "Joins the open workspace to a team as a curator: the server's URL without a password (PGPASSWORD or ~/.pgpass supply it) and a curator name.",
  }),
  'team:sync': call({
    args: s.none(),
    result: returns<SyncResult>(),
    errors: ['no-dataset', ...TEAM_SERVER_ERRORS],
    doc: 'Pushes decisions and corrected masks to the team server and pulls assignments (the workspace is only read).',
  }),
  'team:status': call({
    args: s.none(),
    result: returns<TeamStatus>(),
    errors: ['no-dataset', ...TEAM_SERVER_ERRORS],
    doc: 'Team progress per curator, agreement of the double reviews, the adjudication queue size.',
  }),
  'team:adjudicationQueue': call({
    args: s.none(),
    result: returns<AdjudicationQueueItem[]>(),
    errors: ['no-dataset', 'bad-request', 'team-not-found', 'team-unreachable', 'team-auth', 'team-tls'],
    doc: "(lead) Double-reviewed pairs whose decisions differ or whose Jaccard is under the team's threshold.",
  }),
  'team:adjudicationCase': call({
    args: s.object({ id: isicId }),
    result: returns<AdjudicationCaseView>(),
    errors: [
      'no-dataset',
      'not-found',
      'bad-request',
      'team-not-found',
      'team-unreachable',
      'team-auth',
      'team-tls',
    ],
    doc: "(lead) The source mask and both reviewers' final masks and decisions of a pair.",
  }),
  'team:adjudicate': call({
    args: s.object({
      id: isicId,
      take: s.literal('first', 'second', 'merge'),
      status: s.optional(s.literal(...PAIR_STATUSES)),
      width: s.optional(s.int({ min: 1 })),
      height: s.optional(s.int({ min: 1 })),
      data: s.optional(s.bytes()),
    }),
    result: returns<{ status: string; maskSha256: string | null }>(),
    errors: [
      'no-dataset',
      'not-found',
      'bad-request',
      'mask-size',
      'mask-values',
      'team-not-found',
      'team-unreachable',
      'team-auth',
    ],
    doc: '(lead) The final, audited word on a pair: take one review, or a merged mask.',
  }),
  'ui:get': call({
    args: s.none(),
    result: returns<Record<string, unknown>>(),
    errors: ['no-dataset'],
    doc: 'The UI state the workspace keeps for resuming: last pair, filter, sort.',
  }),
  'ui:set': call({
    args: s.object({ key: s.string({ maxLength: 64, pattern: /^[a-zA-Z][\w.-]*$/ }), value: s.json() }),
    result: returns<void>(),
    errors: ['no-dataset'],
    doc: 'Stores one UI state value (small JSON).',
  }),
} as const

export type Contract = typeof contract
export type CallName = keyof Contract
export type CallArgs<K extends CallName> = Infer<Contract[K]['args']>

/** The selection of an export, as `export:plan` takes it. */
export type ExportSelectionArgs = Infer<typeof SELECTION>
export type CallResult<K extends CallName> = Contract[K]['result'] extends ResultType<infer R> ? R : never

export const CALL_NAMES = Object.keys(contract) as CallName[]

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract, name)
}

/** What the main process (or the bridge) implements: one async function per call. */
export type ApiHandlers = { [K in CallName]: (args: CallArgs<K>) => Promise<CallResult<K>> }

/** What the renderer holds: one typed entry point, results as data. */
/** How a call is made; hints only, a transport may ignore them. */
export interface CallOptions {
  /** Work ahead of the curator (prefetch, read-ahead): sent at low priority where the transport has one. */
  background?: boolean
}

export interface ApiClient {
  call<K extends CallName>(name: K, args: CallArgs<K>, options?: CallOptions): Promise<Result<CallResult<K>>>
}
