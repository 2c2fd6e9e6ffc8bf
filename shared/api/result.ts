import type { ApiError } from './errors'

/** What every API call returns: a value or an error as data. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError }

export function ok<T>(value: T): Result<T> {
  return { ok: true, value }
}

export function fail<T = never>(error: ApiError): Result<T> {
  return { ok: false, error }
}
