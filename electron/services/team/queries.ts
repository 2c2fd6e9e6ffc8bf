/** SQL the team rooms share. */
import { DECIDED_STATUSES } from './agreement'

export { DECIDED_STATUSES }

/**
 * Each curator's final word on each pair they decided: their latest decision by decision time,
 * then by push order (a curator with two workspaces has two event sequences that do not compare).
 */
export const LATEST_DECISIONS = `
  SELECT DISTINCT ON (curator, pair_id) id, curator, pair_id, status, mask_sha256, decided_at
  FROM decisions
  ORDER BY curator, pair_id, decided_at DESC NULLS LAST, id DESC`

/**
 * What a curator still has to do: their assignments whose latest decision (LATEST_DECISIONS' order)
 * is not a decision — none yet, or a skip after one (a flag then a skip was "done" for ever before).
 * Ids and roles only.
 */
export const PENDING_ASSIGNMENTS = `
  SELECT a.pair_id AS id, a.role FROM assignments a
  WHERE a.curator = $1 AND NOT EXISTS (
    SELECT 1 FROM (
      SELECT d.status FROM decisions d
      WHERE d.curator = $1 AND d.pair_id = a.pair_id
      ORDER BY d.decided_at DESC NULLS LAST, d.id DESC LIMIT 1) latest
    WHERE latest.status = ANY($2::text[]))
  ORDER BY a.role, a.pair_id`
