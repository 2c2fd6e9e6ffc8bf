/**
 * THE API contract between the renderer and the main process (or the `serve` bridge).
 *
 * Every call is declared once here: its name (`domain:verb`), an argument schema (validated at the
 * boundary by both adapters), its result type and the error codes it may return. From this map are
 * derived: the main-process handler table (`ApiHandlers`, a missing handler is a compile error), the
 * preload's allow-list, the HTTP bridge's routes (`POST /api/<name>`) and the renderer's typed client.
 */
import type { ErrorCode } from './errors'
import type { Result } from './result'
import { s, type Infer, type Schema } from './schema'
import type { LabelCounts, LabelMap } from '../labels/codes'

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

export interface PairData {
  index: number
  id: string
  total: number
  /** The image file as stored (JPEG or PNG bytes); the renderer decodes it without EXIF rotation. */
  image: { name: string; mime: string; bytes: Uint8Array }
  /** The label map, decoded exactly: stored grey values or palette indices, never rendered colours. */
  mask: LabelMap & { name: string }
  counts: LabelCounts
}

// ---- the contract -------------------------------------------------------------------------------

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
  'pairs:page': call({
    args: s.object({ offset: s.int({ min: 0 }), limit: s.int({ min: 1, max: PAGE_LIMIT_MAX }) }),
    result: returns<PairPage>(),
    errors: ['no-dataset'],
    doc: 'A window of the pair list (never the whole list: 43,885 pairs).',
  }),
  'pairs:find': call({
    args: s.object({ id: isicId }),
    result: returns<PairSummary>(),
    errors: ['no-dataset', 'not-found'],
    doc: 'The position of a pair by its ISIC id.',
  }),
  'pair:open': call({
    args: s.object({ index: s.int({ min: 0 }) }),
    result: returns<PairData>(),
    errors: [
      'no-dataset',
      'not-found',
      'io-error',
      'zip-corrupt',
      'zip-truncated',
      'zip-unsafe-path',
      'zip-unsupported',
      'zip-size-mismatch',
      'zip-crc-mismatch',
      'png-corrupt',
      'png-truncated',
      'mask-colour',
      'mask-16bit',
      'mask-values',
      'mask-size',
    ],
    doc: 'Image bytes and the exact label map of one pair.',
  }),
} as const

export type Contract = typeof contract
export type CallName = keyof Contract
export type CallArgs<K extends CallName> = Infer<Contract[K]['args']>
export type CallResult<K extends CallName> = Contract[K]['result'] extends ResultType<infer R> ? R : never

export const CALL_NAMES = Object.keys(contract) as CallName[]

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract, name)
}

/** What the main process (or the bridge) implements: one async function per call. */
export type ApiHandlers = { [K in CallName]: (args: CallArgs<K>) => Promise<CallResult<K>> }

/** What the renderer holds: one typed entry point, results as data. */
export interface ApiClient {
  call<K extends CallName>(name: K, args: CallArgs<K>): Promise<Result<CallResult<K>>>
}
