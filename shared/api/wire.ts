/**
 * The HTTP bridge's body format: JSON with binary fields carried out of band, so a 24-megapixel
 * label map crosses as raw bytes instead of a base64 or number-array blow-up.
 *
 * Layout: "WSM1" | u32 LE header length | UTF-8 JSON header | padding to 8 | blob 0 | blob 1 | …
 * The JSON replaces every Uint8Array by {"$bin": [offset, length]} (offsets relative to the blob area).
 * Decoding returns views into the given buffer (no copies).
 */

const MAGIC = 0x314d5357 // "WSM1" read as little-endian u32
const BIN_KEY = '$bin'

export const WIRE_CONTENT_TYPE = 'application/x-wsm-wire'

export class WireError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WireError'
  }
}

export function encodeWire(value: unknown): Uint8Array<ArrayBuffer> {
  const blobs: Uint8Array[] = []
  let blobBytes = 0
  // The replacer looks at the holder's original value: JSON.stringify applies toJSON() first, which
  // would turn a Node Buffer (a Uint8Array subclass) into {type, data: number[]}.
  const json = JSON.stringify(
    value,
    function (this: Record<string, unknown>, key: string, replaced: unknown) {
      const v = key === '' ? replaced : this[key]
      if (v instanceof Uint8Array) {
        const entry = { [BIN_KEY]: [blobBytes, v.byteLength] }
        blobs.push(v)
        blobBytes += v.byteLength
        return entry
      }
      return replaced
    },
  )
  const header = new TextEncoder().encode(json ?? 'null')
  const blobStart = align8(8 + header.byteLength)
  const out = new Uint8Array(blobStart + blobBytes)
  const view = new DataView(out.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint32(4, header.byteLength, true)
  out.set(header, 8)
  let at = blobStart
  for (const b of blobs) {
    out.set(b, at)
    at += b.byteLength
  }
  return out
}

export function decodeWire(bytes: Uint8Array): unknown {
  if (bytes.byteLength < 8) throw new WireError('body too short')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(0, true) !== MAGIC) throw new WireError('not a WSM wire body')
  const headerLength = view.getUint32(4, true)
  if (8 + headerLength > bytes.byteLength) throw new WireError('header runs past the body')
  const blobStart = align8(8 + headerLength)
  const blobArea = bytes.byteLength - blobStart
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength))
  } catch {
    throw new WireError('header is not UTF-8')
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text, (_key, v: unknown) => {
      if (isBinRef(v)) {
        const [offset, length] = v[BIN_KEY]
        if (offset + length > blobArea) throw new WireError('binary field runs past the body')
        return bytes.subarray(blobStart + offset, blobStart + offset + length)
      }
      return v
    })
  } catch (err) {
    if (err instanceof WireError) throw err
    throw new WireError('header is not JSON')
  }
  return parsed
}

function isBinRef(v: unknown): v is { [BIN_KEY]: [number, number] } {
  if (typeof v !== 'object' || v === null) return false
  const keys = Object.keys(v)
  if (keys.length !== 1 || keys[0] !== BIN_KEY) return false
  const ref = (v as Record<string, unknown>)[BIN_KEY]
  return (
    Array.isArray(ref) &&
    ref.length === 2 &&
    ref.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)
  )
}

function align8(n: number): number {
  return (n + 7) & ~7
}
