import path from 'node:path'
import { isWithin, type PathFlavour } from './services/fs/paths'

/**
 * A Windows path without its `\\?\` long-path prefix (`\\?\C:\x` → `C:\x`, `\\?\UNC\srv\share` →
 * `\\srv\share`), so a grant and a request name the same file whichever form each uses. Other
 * paths, and every path under POSIX rules, come back unchanged.
 */
export function withoutLongPathPrefix(p: string, flavour: PathFlavour = path): string {
  if (flavour.sep !== '\\') return p
  const unc = /^[\\/]{2}\?[\\/]UNC[\\/]/i.exec(p)
  if (unc) return '\\\\' + p.slice(unc[0].length)
  const local = /^[\\/]{2}\?[\\/](?=[a-z]:)/i.exec(p)
  return local ? p.slice(local[0].length) : p
}

/**
 * The paths the renderer may name in Electron: roots the curator opened through a native dialog,
 * by drag and drop, or from the recent list. Anything else is refused (`forbidden-path`), so a
 * compromised renderer cannot make the main process open arbitrary files. Containment follows the
 * rules of `flavour` (the host's; `path.win32` in tests): on Windows drive letters and case fold,
 * `/` and `\` are one separator, and `\\?\` long paths match their short form.
 */
export class PathGrants {
  private readonly roots = new Set<string>()

  constructor(private readonly flavour: PathFlavour = path) {}

  private normal(p: string): string {
    return this.flavour.resolve(withoutLongPathPrefix(p, this.flavour))
  }

  grant(p: string): void {
    if (p) this.roots.add(this.normal(p))
  }

  allows(p: string): boolean {
    if (!p || p.includes('\0')) return false
    const abs = this.normal(p)
    for (const root of this.roots) if (isWithin(abs, root, this.flavour)) return true
    return false
  }
}
