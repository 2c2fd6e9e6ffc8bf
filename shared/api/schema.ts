/**
 * A small runtime schema language with static type inference. The API contract declares each
 * call's arguments with it, so the Electron IPC handler and the HTTP bridge validate with the same
 * code the types come from: a schema and its type cannot drift apart.
 */

export interface Schema<T> {
  /** Returns the value typed when valid; throws SchemaError naming the path otherwise. */
  parse(value: unknown, path?: string): T
  /** A short description, for error messages and docs. */
  readonly describe: string
}

export type Infer<S> = S extends Schema<infer T> ? T : never

export class SchemaError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SchemaError'
  }
}

function fail(path: string, expected: string, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  throw new SchemaError(`${path || 'value'}: expected ${expected}, got ${got}`)
}

function make<T>(describe: string, parse: (value: unknown, path: string) => T): Schema<T> {
  return { describe, parse: (value, path = '') => parse(value, path) }
}

export interface IntOptions {
  min?: number
  max?: number
}

export const s = {
  string(opts: { maxLength?: number; pattern?: RegExp } = {}): Schema<string> {
    const max = opts.maxLength ?? 4096
    return make('string', (v, p) => {
      if (typeof v !== 'string') fail(p, 'string', v)
      if (v.length > max) throw new SchemaError(`${p || 'value'}: longer than ${max} characters`)
      if (opts.pattern && !opts.pattern.test(v)) throw new SchemaError(`${p || 'value'}: malformed`)
      return v
    })
  },
  int(opts: IntOptions = {}): Schema<number> {
    const min = opts.min ?? Number.MIN_SAFE_INTEGER
    const max = opts.max ?? Number.MAX_SAFE_INTEGER
    return make(`integer in [${min}, ${max}]`, (v, p) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
        fail(p, `integer in [${min}, ${max}]`, v)
      return v
    })
  },
  number(opts: { min?: number; max?: number } = {}): Schema<number> {
    const min = opts.min ?? -Infinity
    const max = opts.max ?? Infinity
    return make(`number in [${min}, ${max}]`, (v, p) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(p, 'finite number', v)
      return v
    })
  },
  boolean(): Schema<boolean> {
    return make('boolean', (v, p) => {
      if (typeof v !== 'boolean') fail(p, 'boolean', v)
      return v
    })
  },
  literal<const L extends string | number | boolean>(...values: L[]): Schema<L> {
    const d = values.map((x) => JSON.stringify(x)).join(' | ')
    return make(d, (v, p) => {
      if (!values.includes(v as L)) fail(p, d, v)
      return v as L
    })
  },
  bytes(opts: { maxLength?: number } = {}): Schema<Uint8Array> {
    const max = opts.maxLength ?? 256 * 1024 * 1024
    return make('bytes', (v, p) => {
      if (!(v instanceof Uint8Array)) fail(p, 'bytes', v)
      if (v.byteLength > max) throw new SchemaError(`${p || 'value'}: more than ${max} bytes`)
      return v
    })
  },
  optional<T>(inner: Schema<T>): Schema<T | undefined> {
    return make(`${inner.describe}?`, (v, p) => (v === undefined ? undefined : inner.parse(v, p)))
  },
  array<T>(inner: Schema<T>, opts: { maxLength?: number } = {}): Schema<T[]> {
    const max = opts.maxLength ?? 100_000
    return make(`${inner.describe}[]`, (v, p) => {
      if (!Array.isArray(v)) fail(p, 'array', v)
      if (v.length > max) throw new SchemaError(`${p || 'value'}: more than ${max} items`)
      return v.map((item, i) => inner.parse(item, `${p}[${i}]`))
    })
  },
  /** A plain object with exactly these keys; unknown keys are refused (no smuggled fields). */
  object<Shape extends Record<string, Schema<unknown>>>(
    shape: Shape,
  ): Schema<
    { [K in keyof Shape as undefined extends Infer<Shape[K]> ? never : K]: Infer<Shape[K]> } & {
      [K in keyof Shape as undefined extends Infer<Shape[K]> ? K : never]?: Infer<Shape[K]>
    }
  > {
    const keys = Object.keys(shape)
    return make('object', (v, p) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, 'object', v)
      const proto = Object.getPrototypeOf(v) as unknown
      if (proto !== Object.prototype && proto !== null) fail(p, 'plain object', v)
      const record = v as Record<string, unknown>
      for (const k of Object.keys(record)) {
        if (!Object.prototype.hasOwnProperty.call(shape, k))
          throw new SchemaError(`${p ? p + '.' : ''}${k}: unknown field`)
      }
      const out: Record<string, unknown> = {}
      for (const k of keys) {
        const parsed = shape[k].parse(record[k], p ? `${p}.${k}` : k)
        if (parsed !== undefined) out[k] = parsed
      }
      return out as never
    })
  },
  /** Any JSON value (null, booleans, finite numbers, strings, arrays, plain objects), bounded in size. */
  json(opts: { maxChars?: number } = {}): Schema<unknown> {
    const max = opts.maxChars ?? 65_536
    return make('JSON value', (v, p) => {
      checkJson(v, p, 0)
      if (JSON.stringify(v ?? null).length > max)
        throw new SchemaError(`${p || 'value'}: over ${max} characters`)
      return v
    })
  },
  /** No arguments: accepts undefined, null or {}. */
  none(): Schema<void> {
    return make('nothing', (v, p) => {
      if (v === undefined || v === null) return
      if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) return
      fail(p, 'no arguments', v)
    })
  },
}

function checkJson(v: unknown, p: string, depth: number): void {
  if (depth > 16) throw new SchemaError(`${p || 'value'}: nested too deeply`)
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(p, 'finite number', v)
    return
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkJson(x, `${p}[${i}]`, depth + 1))
    return
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as unknown
    if (proto !== Object.prototype && proto !== null) fail(p, 'plain object', v)
    for (const [k, x] of Object.entries(v)) checkJson(x, p ? `${p}.${k}` : k, depth + 1)
    return
  }
  fail(p, 'JSON value', v)
}
