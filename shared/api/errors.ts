/**
 * Stable error codes. They cross the IPC and HTTP boundaries as data (thrown errors lose their
 * identity there), appear in CLI JSON output, and are part of the public contract: never rename one.
 */
/** How reading a mask from its source fails past the file itself: the zip member, the PNG, its labels. */
export const MASK_READ_ERRORS = [
  // zip archives
  'zip-corrupt',
  'zip-truncated',
  'zip-unsafe-path',
  'zip-unsupported',
  'zip-size-mismatch',
  'zip-crc-mismatch',
  // masks
  'png-corrupt',
  'png-truncated',
  'mask-colour',
  'mask-16bit',
  'mask-values',
  'mask-size',
  'challenge-convention',
] as const

/** How decoding an image fails. */
export const IMAGE_READ_ERRORS = ['image-corrupt', 'image-too-large', 'image-unsupported'] as const

export const ERROR_CODES = [
  // arguments and transport
  'bad-request',
  'unknown-call',
  'unauthorized',
  'forbidden-path',
  'not-found',
  'no-dataset',
  'internal',
  /** The call exists but this host cannot do it (e.g. a native dialog in a browser). */
  'unsupported',
  // files and sources
  'io-error',
  'read-only',
  'disk-full',
  ...MASK_READ_ERRORS,
  ...IMAGE_READ_ERRORS,
  // curation workspaces
  'workspace-exists',
  'workspace-locked',
  'workspace-corrupt',
  'workspace-version',
  /** The pair changed since the version the caller edited (e.g. saved from another tab): nothing written. */
  'conflict',
  // exports
  'export-target',
  'export-corrupt',
  'checksum-mismatch',
  'cancelled',
  // metadata CSVs
  'metadata-not-csv',
  'metadata-no-id-column',
  'metadata-unknown-column',
  // team QA on a shared PostgreSQL (electron/services/team)
  /** The team server cannot be reached, refused the connection, or the connection was lost. */
  'team-unreachable',
  /** The team server refused the credentials (the password comes from the URL, PGPASSWORD or .pgpass). */
  'team-auth',
  /** The TLS asked for by sslmode could not be set up. */
  'team-tls',
  /** No team in this database, or this workspace has not joined one. */
  'team-not-found',
  'team-exists',
  /** Another workspace already joined the team under this curator name. */
  'team-curator-taken',
  /** The workspace's dataset is not the team's (different source masks). */
  'team-dataset',
  /** The team database's schema is newer than this program. */
  'team-version',
  /**
   * The team refuses this caller: the action is the lead's (assign, export, the adjudication queue),
   * or the database role lacks a privilege the program needs (the message names the GRANT).
   */
  'team-permission',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** An error as data: what crosses process boundaries. */
export interface ApiError {
  code: ErrorCode
  message: string
  /** The file (or archive entry) concerned, when there is one. */
  file?: string
}

/**
 * The one error class services throw. Anything else reaching a boundary is reported as `internal`.
 */
export class CodedError extends Error {
  readonly code: ErrorCode
  readonly file?: string

  constructor(code: ErrorCode, message: string, file?: string) {
    super(message)
    this.name = 'CodedError'
    this.code = code
    if (file !== undefined) this.file = file
  }

  toApiError(): ApiError {
    return this.file === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, file: this.file }
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value)
}

/** Turns anything thrown into an ApiError without losing a CodedError's code. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof CodedError) return err.toApiError()
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'internal', message }
}
