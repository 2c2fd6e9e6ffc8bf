/**
 * What the queue's assignment filter and its note say (QA 7, item 5): which of the curator's team
 * assignments (ids and roles pulled at the last sync, still to do) the queue can show, and whether a
 * decision on the open pair falls outside them. Pure: no Vue, no DOM.
 */
import type { QueueQuery } from '../../../shared/api/contract'
import type { TeamSyncState } from '../../../shared/api/team'
import type { PairStatus } from '../../../shared/workspace/review'

export type AssignedFilter = NonNullable<QueueQuery['assigned']>

/** How many assignments each choice of the filter lists (a pair in both roles counts once in 'any'). */
export function assignmentCounts(state: TeamSyncState | null): Record<AssignedFilter, number> {
  const list = state?.assigned ?? []
  return {
    any: new Set(list.map((a) => a.id)).size,
    first: list.filter((a) => a.role === 'first').length,
    second: list.filter((a) => a.role === 'second').length,
  }
}

/** The filter is offered to a workspace that joined a team as a curator (the lead claims no pairs). */
export function offersAssignmentFilter(state: TeamSyncState | null): boolean {
  return state?.joined === true && state.role === 'curator'
}

/** The query with the assignment filter set to `choice`, or without it (''). Other conditions stay. */
export function withAssigned(query: QueueQuery, choice: AssignedFilter | ''): QueueQuery {
  const { assigned: _drop, ...rest } = query
  return choice === '' ? rest : { ...rest, assigned: choice }
}

/**
 * The warning shown with a pair that is not among the curator's assignments still to do, while it
 * is undecided here (unreviewed or skipped): deciding it is work the team may not count. Honest
 * about what this program knows (blind rule: only its own assignments): when nobody holds the pair
 * the decision makes the curator its first reviewer; when another curator holds it, it is kept as
 * an extra and left out of the team export. Null when there is nothing to say.
 */
export function outsideAssignmentNote(
  state: TeamSyncState | null,
  pairId: string,
  status: PairStatus | null | undefined,
): string | null {
  if (!offersAssignmentFilter(state) || !pairId || !status) return null
  if (status !== 'unreviewed' && status !== 'skipped') return null
  if (state!.assigned.some((a) => a.id === pairId)) return null
  return `${pairId} is not assigned to you: if another curator holds it, your decision will not count for the team (kept as an extra, left out of the team export).`
}
