/**
 * Exports of curated subsets (folder or zip, manifests with checksums, label profiles) and their
 * verification. `planExport` is cheap (database only: a live count); `runExport` writes; `verifyExport`
 * re-checks an export from its own files.
 */
export {
  DEFAULT_EXPORT_STATUSES,
  planExport,
  samplePairs,
  type ExportPlan,
  type ExportSelection,
} from './plan'
export {
  runExport,
  type ExportHooks,
  type ExportOptions,
  type ExportProgress,
  type ExportSummary,
} from './runExport'
export { verifyExport, type VerifyProgress, type VerifyReport } from './verify'
export { containerOf } from './target'
export {
  EXPORT_PROFILES,
  UNCERTAIN_POLICIES,
  labelsOf,
  type ExcludedPair,
  type ExclusionReason,
  type ExportJson,
  type ExportLabels,
  type ExportProfile,
  type ManifestPair,
  type MaskWritten,
  type UncertainPolicy,
} from './format'
