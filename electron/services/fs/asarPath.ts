import path from 'node:path'
import type { PathFlavour } from './paths'

/**
 * The on-disk copy of a file that electron-builder unpacked from an asar archive:
 * `…/resources/app.asar/out/main/chunks/w.js` → `…/resources/app.asar.unpacked/out/main/chunks/w.js`.
 * A path not inside an `.asar` (the CLI, tests, a development run) comes back unchanged.
 *
 * Used for the mask-scan worker (ESM): nothing documents that a worker thread can load an ES module
 * from inside an asar (Electron's asar support in workers, electron/electron#33216, covers
 * CommonJS `require`), so build/electron-builder.yml unpacks it and the pool starts it from there.
 * With no package.json above the unpacked file, Node's module-syntax detection loads it as ESM
 * (tests/unit/electron/asarPath.test.ts checks that with the built worker).
 */
export function asarUnpackedPath(p: string, flavour: Pick<PathFlavour, 'sep'> = path): string {
  const parts = p.split(flavour.sep === '\\' ? /[\\/]/ : '/')
  const i = parts.findIndex((s) => s.toLowerCase().endsWith('.asar'))
  if (i < 0 || i === parts.length - 1) return p
  parts[i] = `${parts[i]}.unpacked`
  return parts.join(flavour.sep)
}
