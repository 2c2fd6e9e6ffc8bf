import { createHash } from 'node:crypto'

/** SHA-256 of some bytes as lower-case hex: the one form every manifest, audit row and check uses. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}
