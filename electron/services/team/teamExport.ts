/**
 * Export from the team's state, through the ordinary export service (same folder or zip, same
 * manifests and checksums, verify-export works on it).
 *
 * The team's final word on a pair: the lead's adjudication when there is one; else, when the pair
 * awaits adjudication, nothing (left out and counted); else the first reviewer's latest decision
 * (agreed by the second reviewer when there was one). That state is written into a scratch
 * workspace on the lead's own sources — each pair saved and decided under the name of the curator
 * whose word it is, with a note saying which review it comes from — and the scratch workspace is
 * exported, then removed. So the manifest's `curator` column names who made the exported decision.
 *
 * The scratch workspace is opened `scratch` (workspace/types.ts): at 43,885 decided pairs one
 * flushed SQLite transaction per status and four flushes per mask save were most of the time
 * (bench/team.ts `team.export43885`), and a throwaway folder needs none of them. Statuses go in
 * large transactions; masks still take the ordinary save (decoded, checked, re-encoded in the
 * source's format, written atomically and read back), so the exported bytes are those of a plain
 * export of the same decisions. The export itself is the ordinary one: a kill leaves no partial
 * output under the final name (a scratch folder may stay behind in the OS temp folder).
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type pg from 'pg'
import { CodedError } from '../../../shared/api/errors'
import { isPairStatus, type PairStatus } from '../../../shared/workspace/review'
import { runExport, type ExportOptions, type ExportSummary } from '../export'
import { decodeMaskPngAsync } from '../mask/maskPng'
import { Workspace } from '../workspace/workspace'
import { computeAgreements, type UnscoredPair } from './agreementJob'
import { withClient } from './connection'
import { TeamLocal } from './localState'
import { DECIDED_STATUSES, LATEST_DECISIONS } from './queries'
import { readTeam } from './serverSchema'

export interface FinalDecision {
  pairId: string
  curator: string
  status: PairStatus
  maskSha256: string | null
  review: 'adjudicated' | 'double-agreed' | 'single'
  note: string
}

/** Every pair's final decision, and the pairs held back because they await adjudication. */
export async function teamFinalState(
  client: pg.Client,
): Promise<{ final: FinalDecision[]; awaiting: string[] }> {
  const { rows } = await client.query<{
    pair_id: string
    fc: string | null
    fs: string | null
    fm: string | null
    sc: string | null
    sid: string | null
    needs: boolean | null
    jaccard: number | null
    adj_lead: string | null
    adj_status: string | null
    adj_mask: string | null
    taken: string | null
  }>(
    `WITH latest AS (${LATEST_DECISIONS})
     SELECT p.id AS pair_id, f.curator AS fc, f.status AS fs, f.mask_sha256 AS fm, p.second_curator AS sc,
            s.id AS sid, a.needs_adjudication AS needs, a.jaccard, j.lead AS adj_lead, j.status AS adj_status,
            j.mask_sha256 AS adj_mask, j.taken
     FROM pairs p
     LEFT JOIN latest f ON f.pair_id = p.id AND f.curator = p.first_curator AND f.status = ANY($1::text[])
     LEFT JOIN latest s ON s.pair_id = p.id AND s.curator = p.second_curator AND s.status = ANY($1::text[])
     -- Only an agreement scored on the current decisions of both counts (a changed one is stale).
     LEFT JOIN agreements a ON a.pair_id = p.id AND a.first_decision = f.id AND a.second_decision = s.id
     LEFT JOIN adjudications j ON j.pair_id = p.id
     WHERE f.pair_id IS NOT NULL OR j.pair_id IS NOT NULL
     ORDER BY p.id`,
    [DECIDED_STATUSES],
  )
  const final: FinalDecision[] = []
  const awaiting: string[] = []
  for (const r of rows) {
    if (r.adj_lead !== null && r.adj_status !== null && isPairStatus(r.adj_status)) {
      final.push({
        pairId: r.pair_id,
        curator: r.adj_lead,
        status: r.adj_status,
        maskSha256: r.adj_mask,
        review: 'adjudicated',
        note: `team: adjudicated by ${r.adj_lead} (took ${r.taken}; reviews by ${r.fc} and ${r.sc})`,
      })
    } else if (r.needs || (r.sid !== null && r.needs === null)) {
      // Disagreeing reviews, or a second review whose agreement with the first is not scored on
      // their current decisions: held back, never exported as a single or agreed review.
      awaiting.push(r.pair_id)
    } else if (r.fc !== null && r.fs !== null && isPairStatus(r.fs)) {
      const double = r.needs === false
      final.push({
        pairId: r.pair_id,
        curator: r.fc,
        status: r.fs,
        maskSha256: r.fm,
        review: double ? 'double-agreed' : 'single',
        note: double
          ? `team: first review by ${r.fc}, agreed by ${r.sc} (Jaccard ${r.jaccard?.toFixed(3)})`
          : `team: first review by ${r.fc}`,
      })
    }
  }
  return { final, awaiting }
}

/** Masks fetched from the server per query. */
const MASK_CHUNK = 200
/** Pairs per status transaction (each blocks the thread for a few ms). */
const STATUS_CHUNK = 2000

/**
 * Writes one curator's final decisions into the scratch workspace (opened `scratch`: no flushes,
 * no rescoring). Each mask goes through the ordinary save — checked (values, the source's size),
 * encoded in the source's PNG format, written atomically and read back — the next one inflated
 * (thread pool) while it is saved; then the statuses, in large transactions of pairs with the same
 * status and note (a pair's mask and status are independent of the other pairs', so the order
 * changes nothing the export reads).
 */
async function replay(client: pg.Client, ws: Workspace, list: readonly FinalDecision[]): Promise<void> {
  const withMask = list.filter((f) => f.maskSha256 !== null)
  for (let i = 0; i < withMask.length; i += MASK_CHUNK) {
    const part = withMask.slice(i, i + MASK_CHUNK)
    const got = await client.query<{ sha256: string; bytes: Buffer }>(
      'SELECT sha256, bytes FROM masks WHERE sha256 = ANY($1::text[])',
      [part.map((f) => f.maskSha256)],
    )
    const bytes = new Map(got.rows.map((r) => [r.sha256, r.bytes]))
    const decode = async (f: FinalDecision) => {
      const b = bytes.get(f.maskSha256 ?? '')
      if (!b) throw new CodedError('internal', `mask ${f.maskSha256} of ${f.pairId} is missing on the server`)
      // Its values are checked by the save's one-pass statistics (mask-values), its size against
      // the source (mask-size): not counted twice here.
      const { width, height, data } = await decodeMaskPngAsync(b, f.pairId)
      return { width, height, data }
    }
    let next = decode(part[0])
    for (let k = 0; k < part.length; k++) {
      const map = await next
      if (k + 1 < part.length) {
        next = decode(part[k + 1])
        next.catch(() => undefined) // awaited next turn; a failed save must not leave it unhandled
      }
      await ws.saveMask(part[k].pairId, map, { note: part[k].note })
    }
  }
  const groups = new Map<string, { status: PairStatus; note: string; ids: string[] }>()
  for (const f of list) {
    if (f.status === 'corrected' && f.maskSha256 !== null) continue
    const key = JSON.stringify([f.status, f.note])
    const group = groups.get(key)
    if (group) group.ids.push(f.pairId)
    else groups.set(key, { status: f.status, note: f.note, ids: [f.pairId] })
  }
  for (const g of groups.values())
    for (let i = 0; i < g.ids.length; i += STATUS_CHUNK)
      await ws.setStatuses(g.ids.slice(i, i + STATUS_CHUNK), g.status, { note: g.note })
}

export interface TeamExportSummary extends ExportSummary {
  /** Scored double reviews that wait for the lead's adjudication (left out). */
  awaitingAdjudication: string[]
  /**
   * Double reviews the agreement job could not score (e.g. the source mask does not read), each
   * with its code: left out too, but no adjudication is waiting for them until they can be scored.
   */
  unscored: UnscoredPair[]
}

export interface TeamExportHooks {
  /** Each phase's wall time as it ends (the bench: where the time goes). */
  onPhase?(phase: 'agreements' | 'replay' | 'export' | 'cleanup', ms: number): void
}

/** `team export <lead workspace> --out …`: the team's state through the export service. */
export async function exportTeam(
  leadDir: string,
  options: ExportOptions,
  hooks: TeamExportHooks = {},
): Promise<TeamExportSummary> {
  // The scratch workspace holds no triage scores (its saves are not rescored, its sources never scored).
  if (options.scoreMax !== undefined)
    throw new CodedError('bad-request', 'a team export cannot select by triage score (scoreMax)')
  let phaseStart = performance.now()
  const phase = (name: Parameters<NonNullable<TeamExportHooks['onPhase']>>[0]) => {
    const now = performance.now()
    hooks.onPhase?.(name, now - phaseStart)
    phaseStart = now
  }
  const local = TeamLocal.open(leadDir)
  const me = local.membership()
  local.close()
  if (!me) throw new CodedError('team-not-found', `the workspace ${leadDir} has not joined a team`)
  // The blind rule: an export holds every reviewer's decision and mask, so it is the lead's alone
  // (the CLI also checks the lead's workspace on the server before calling this).
  if (me.role !== 'lead')
    throw new CodedError(
      'team-permission',
      `only the team's lead exports the team's state (${me.curator}'s workspace is a curator's)`,
    )
  const lead = await Workspace.open(leadDir, { readOnly: true })
  const sources = lead.config.sources
  let unscoredRun: UnscoredPair[] = []
  try {
    // The lead scores the double reviews decided since its last sync first (it needs the source
    // masks, hence the workspace), so none is exported on an agreement that is stale.
    if (me.role === 'lead')
      unscoredRun = (
        await withClient(me.url, async (client) => computeAgreements(client, lead, await readTeam(client)))
      ).unscored
  } finally {
    await lead.close()
  }
  phase('agreements')
  const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-team-export-'))
  try {
    const dir = path.join(scratch, 'ws')
    const created = await Workspace.create(dir, {
      masks: sources.masks,
      images: sources.images,
      curator: 'team',
    })
    await created.close()
    const { awaiting } = await withClient(me.url, async (client) => {
      await readTeam(client)
      const state = await teamFinalState(client)
      const byCurator = new Map<string, FinalDecision[]>()
      for (const f of state.final) {
        const list = byCurator.get(f.curator)
        if (list) list.push(f)
        else byCurator.set(f.curator, [f])
      }
      for (const [curator, list] of byCurator) {
        const ws = await Workspace.open(dir, { curator, scratch: true })
        try {
          await replay(client, ws, list)
        } finally {
          await ws.close()
        }
      }
      return state
    })
    phase('replay')
    const ws = await Workspace.open(dir, { readOnly: true })
    try {
      const summary = await runExport(ws, options)
      phase('export')
      // A double review held back because it could not be scored is its own bucket, not "awaiting
      // adjudication": the lead has nothing to adjudicate until its source reads.
      const unscoredIds = new Set(unscoredRun.map((u) => u.pairId))
      const held = new Set(awaiting)
      return {
        ...summary,
        awaitingAdjudication: awaiting.filter((id) => !unscoredIds.has(id)),
        unscored: unscoredRun.filter((u) => held.has(u.pairId)),
      }
    } finally {
      await ws.close()
    }
  } finally {
    await fsp.rm(scratch, { recursive: true, force: true })
    phase('cleanup')
  }
}
