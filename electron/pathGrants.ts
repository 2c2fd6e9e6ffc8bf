import path from 'node:path'

/**
 * The paths the renderer may name in Electron: roots the curator opened through a native dialog,
 * by drag and drop, or from the recent list. Anything else is refused (`forbidden-path`), so a
 * compromised renderer cannot make the main process open arbitrary files.
 */
export class PathGrants {
  private readonly roots = new Set<string>()

  grant(p: string): void {
    if (p) this.roots.add(path.resolve(p))
  }

  allows(p: string): boolean {
    const abs = path.resolve(p)
    for (const root of this.roots) {
      if (abs === root) return true
      const rel = path.relative(root, abs)
      if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return true
    }
    return false
  }
}
