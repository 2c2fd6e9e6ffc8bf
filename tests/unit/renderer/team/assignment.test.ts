import { describe, expect, it } from 'vitest'
import type { TeamSyncState } from '../../../../shared/api/team'
import {
  assignmentCounts,
  offersAssignmentFilter,
  outsideAssignmentNote,
  withAssigned,
} from '../../../../renderer/src/team/assignment'

function state(over: Partial<TeamSyncState> = {}): TeamSyncState {
  return {
    joined: true,
    curator: 'ann',
    role: 'curator',
    server: 'postgres://db/team',
    state: 'idle',
    lastSync: null,
    pending: 0,
    assigned: [
      { id: 'ISIC_0000002', role: 'first' },
      { id: 'ISIC_0000005', role: 'second' },
      { id: 'ISIC_0000007', role: 'first' },
    ],
    ...over,
  }
}

describe('the queue assignment filter', () => {
  it('counts the assignments of each choice', () => {
    expect(assignmentCounts(state())).toEqual({ any: 3, first: 2, second: 1 })
    expect(assignmentCounts(null)).toEqual({ any: 0, first: 0, second: 0 })
  })

  it('is offered to a curator of a team only', () => {
    expect(offersAssignmentFilter(state())).toBe(true)
    expect(offersAssignmentFilter(state({ joined: false, role: null }))).toBe(false)
    expect(offersAssignmentFilter(state({ role: 'lead' }))).toBe(false)
    expect(offersAssignmentFilter(null)).toBe(false)
  })

  it('sets or removes the filter and keeps every other condition', () => {
    const q = { sort: 'score', order: 'desc', status: ['unreviewed'], reason: 'thin-band' } as const
    const set = withAssigned({ ...q, status: [...q.status] }, 'second')
    expect(set).toEqual({ ...q, status: ['unreviewed'], assigned: 'second' })
    expect(withAssigned(set, '')).toEqual({ ...q, status: ['unreviewed'] })
    expect('assigned' in withAssigned(set, '')).toBe(false)
  })
})

describe('the note on a pair outside the assignments', () => {
  it('warns on an undecided pair that is not assigned, before the decision', () => {
    const note = outsideAssignmentNote(state(), 'ISIC_0000003', 'unreviewed')
    expect(note).toMatch(/^ISIC_0000003 is not assigned to you: .*will not count for the team/)
    expect(outsideAssignmentNote(state(), 'ISIC_0000003', 'skipped')).toBe(note)
  })

  it('says nothing on an assigned pair, a decided pair, without a team, or for the lead', () => {
    expect(outsideAssignmentNote(state(), 'ISIC_0000005', 'unreviewed')).toBeNull()
    expect(outsideAssignmentNote(state(), 'ISIC_0000003', 'accepted')).toBeNull()
    expect(
      outsideAssignmentNote(state({ joined: false, role: null }), 'ISIC_0000003', 'unreviewed'),
    ).toBeNull()
    expect(
      outsideAssignmentNote(state({ role: 'lead', assigned: [] }), 'ISIC_0000003', 'unreviewed'),
    ).toBeNull()
    expect(outsideAssignmentNote(state(), '', 'unreviewed')).toBeNull()
    expect(outsideAssignmentNote(state(), 'ISIC_0000003', null)).toBeNull()
  })
})
