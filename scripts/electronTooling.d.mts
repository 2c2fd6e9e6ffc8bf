// Types of electronTooling.mjs, for the TypeScript tests.
import type { SpawnSyncReturns } from 'node:child_process'
import type path from 'node:path'

export declare const ELECTRON_TOOLING_NODE: string
export declare const DOWNLOAD_TIMEOUT_MS: number
export type BinaryStatus =
  { ok: true; binary: string; version: string } | { ok: false; reason: string; version: string }
export declare function electronBinaryStatus(pkgDir: string, env?: NodeJS.ProcessEnv): BinaryStatus
export declare function noDisplayReason(platform?: string, env?: NodeJS.ProcessEnv): string | null
export declare function nodeAtLeast(actual: string, wanted: string): boolean
export declare function missingElectronLine(version: string, cause: string, nodeVersion?: string): string
export declare function firstLine(text: string | null | undefined): string
export declare function ensureElectronBinary(
  pkgDir: string,
  options?: { env?: NodeJS.ProcessEnv; log?: (line: string) => void },
): { ok: true; binary: string; downloaded: boolean } | { ok: false; line: string }

export interface NativeTarget {
  sqliteVersion: string
  electronVersion: string
  platform: string
  arch: string
}
export declare function nativeKey(target: NativeTarget): string
export declare function sourceCopyFilter(
  sourceRoot: string,
  flavour?: Pick<typeof path, 'relative'>,
): (src: string) => boolean
export declare function prebuildArgs(target: Omit<NativeTarget, 'sqliteVersion'>): string[]
export declare function nodeGypArgs(target: Pick<NativeTarget, 'electronVersion' | 'arch'>): string[]
export declare function nativeUpToDate(bindingFile: string, stampFile: string, key: string): boolean

export declare function rebuildMarkers(moduleDir: string): string[]
export declare function removeRebuildMarkers(moduleDir: string): string[]
export declare function npmCommand(
  args: string[],
  options?: { env?: NodeJS.ProcessEnv; platform?: string; execPath?: string },
): { command: string; args: string[]; shell: boolean }
export declare function spawnFailure(
  label: string,
  result: Pick<SpawnSyncReturns<unknown>, 'error' | 'signal' | 'status'>,
): string | null
