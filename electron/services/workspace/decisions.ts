/**
 * Review decisions: a status (and note) for one or many pairs, in one audited transaction.
 */
import { CodedError } from '../../../shared/api/errors'
import type { PairStatus } from '../../../shared/workspace/review'
import type { PairRow } from './rows'
import { checkBase } from './saveProtocol'
import type { WorkspaceContext } from './store'

const SQL = {
  current: `SELECT status, note, mask_sha256 FROM pairs WHERE id = ?`,
  update: `UPDATE pairs SET status = ?, note = ?, curator = ?, updated_at = ? WHERE id = ?`,
} as const

/**
 * Sets the status of `ids` in ONE transaction (all or nothing), one audit event per pair that
 * changes; `note`: a string sets it, null clears it, undefined keeps it. Unknown ids (`not-found`)
 * or `corrected` without a mask (`bad-request`) fail the whole call before anything is written.
 * `base`: the mask version the decision was taken on (`pair:open`'s `base`, as a save's); a pair
 * whose current mask is another version (saved in another tab, a team sync) refuses the whole call
 * with `conflict`, checked as a save checks it, inside the transaction before any write. Undefined
 * (the CLI, bulk rules, team code): no check.
 */
export function decide(
  ctx: WorkspaceContext,
  ids: readonly string[],
  status: PairStatus,
  note: string | null | undefined,
  base?: string,
): { changed: number; unchanged: number } {
  const unknown = ids.filter((id) => !ctx.inDataset(id))
  if (unknown.length > 0) {
    throw new CodedError(
      'not-found',
      `${unknown.length} id(s) are not pairs of this workspace: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? '…' : ''}`,
    )
  }
  const now = Date.now()
  const { store } = ctx
  const select = store.statement(SQL.current)
  const update = store.statement(SQL.update)
  return store.write('set the status', () => {
    let changed = 0
    const unique = [...new Set(ids)]
    if (base !== undefined) for (const id of unique) checkBase(ctx, id, base, 'this decision')
    for (const id of unique) {
      const row = select.get(id) as Pick<PairRow, 'status' | 'note' | 'mask_sha256'>
      if (status === 'corrected' && row.mask_sha256 === null) {
        throw new CodedError('bad-request', `${id} has no corrected mask: save one to mark it corrected`)
      }
      const newNote = note === undefined ? row.note : note
      if (row.status === status && row.note === newNote) continue
      update.run(status, newNote, ctx.curator, now, id)
      store.appendEvent({
        at: now,
        curator: ctx.curator,
        id,
        kind: 'status',
        from: row.status,
        to: status,
        note: note === undefined ? null : newNote,
      })
      changed++
    }
    return { changed, unchanged: unique.length - changed }
  })
}
