/**
 * Computes the agreement of double-reviewed pairs and stores it on the server (`agreements`).
 *
 * Where: in the LEAD's sync (and `team status --workspace`), because the scores need pixels. The
 * server holds the bytes of corrected masks only; a curator who accepted a pair without editing it
 * left the source mask as their final mask, and the source pixels are in the lead's dataset (every
 * member has the same one; the store holds no images). Doing it on the lead's side also keeps the
 * blind rule simple: no curator's program ever downloads another curator's mask. Stored results
 * make `team status` a plain query anyone with access can run without a dataset. A row is
 * recomputed when either curator's final decision changes (rows keep the decision ids they scored).
 *
 * One pair never stops the job (qa7 #1): a source mask that does not read (truncated PNG, bad
 * values…) is needed only where a curator's final mask IS the source (they decided without saving a
 * mask of their own). Both finals the source → the two final masks are the same bytes, so they agree
 * fully (Jaccard 1, as for a readable source) and the decisions alone say whether the pair needs
 * adjudication (two rejections of a broken mask agree); both finals their own masks → scored from
 * them, with no within-uncertain scores (the source's uncertain pixels are unknown). Only one final
 * the unreadable source, or a final mask that does not decode, leaves the pair unscored: it is
 * returned with its error code, so status names it, and the job goes on with the others.
 */
import type pg from 'pg'
import { CodedError } from '../../../shared/api/errors'
import type { UnscoredPair } from '../../../shared/api/team'
import type { LabelMap } from '../../../shared/labels/codes'
import { readUnderChallengeMode } from '../dataset'
import { decodeMaskPng } from '../mask/maskPng'
import { readLabelMap } from '../mask/labelMap'
import type { Workspace } from '../workspace/workspace'
import { decisionCategory, maskAgreement, needsAdjudication, type MaskAgreement } from './agreement'
import { inTransaction } from './connection'
import { DECIDED_STATUSES, LATEST_DECISIONS } from './queries'
import type { TeamRow } from './serverSchema'

interface Candidate {
  pair_id: string
  fc: string
  fid: string
  fs: string
  fm: string | null
  sc: string
  sid: string
  ss: string
  sm: string | null
}

const CANDIDATES = `
  WITH latest AS (${LATEST_DECISIONS})
  SELECT p.id AS pair_id,
         f.curator AS fc, f.id AS fid, f.status AS fs, f.mask_sha256 AS fm,
         s.curator AS sc, s.id AS sid, s.status AS ss, s.mask_sha256 AS sm
  FROM pairs p
  JOIN latest f ON f.pair_id = p.id AND f.curator = p.first_curator
  JOIN latest s ON s.pair_id = p.id AND s.curator = p.second_curator
  LEFT JOIN agreements a ON a.pair_id = p.id
  WHERE f.status = ANY($1::text[]) AND s.status = ANY($1::text[])
    AND (a.pair_id IS NULL OR a.first_decision <> f.id OR a.second_decision <> s.id)
  ORDER BY p.id`

export type { UnscoredPair }

export interface AgreementRun {
  /** Rows written (new or rescored). */
  scored: number
  /** Pairs left unscored this run, in id order; each is tried again by the next run. */
  unscored: UnscoredPair[]
}

/** The source as the editor shows it (a challenge mask converted), or the error that stops reading it. */
async function readSource(ws: Workspace, pairId: string): Promise<LabelMap | CodedError> {
  try {
    const { bytes, file } = await ws.dataset.readMaskBytes(ws.dataset.find(pairId).index)
    // A challenge-convention source (0 / 255 lesion) means its 255s as lesion: a decision with no
    // mask of its own keeps it as the editor shows it, converted, never as "all uncertain".
    const read = readLabelMap(bytes, file)
    return readUnderChallengeMode(read, 'convert', file).map
  } catch (err) {
    if (err instanceof CodedError) return err
    throw err
  }
}

/** Scores every double-reviewed pair not scored yet (or whose decisions changed); unscorable pairs are listed, never fatal. */
export async function computeAgreements(
  client: pg.Client,
  ws: Workspace,
  team: TeamRow,
): Promise<AgreementRun> {
  const { rows } = await client.query<Candidate>(CANDIDATES, [DECIDED_STATUSES])
  let done = 0
  const unscored: UnscoredPair[] = []
  for (let i = 0; i < rows.length; i += 100) {
    const part = rows.slice(i, i + 100)
    const shas = [...new Set(part.flatMap((r) => [r.fm, r.sm]).filter((s): s is string => s !== null))]
    const masks = new Map<string, Buffer>()
    if (shas.length > 0) {
      const got = await client.query<{ sha256: string; bytes: Buffer }>(
        'SELECT sha256, bytes FROM masks WHERE sha256 = ANY($1::text[])',
        [shas],
      )
      for (const r of got.rows) masks.set(r.sha256, r.bytes)
    }
    const scored: { r: Candidate; m: MaskAgreement; agree: boolean; adjudicate: boolean }[] = []
    for (const r of part) {
      const source = await readSource(ws, r.pair_id)
      const final = (sha: string | null): LabelMap => {
        if (sha === null) {
          if (source instanceof CodedError) throw source
          return source
        }
        const b = masks.get(sha)
        if (!b) throw new CodedError('internal', `mask ${sha} of ${r.pair_id} is missing on the server`)
        const d = decodeMaskPng(b, `${r.pair_id} (${sha.slice(0, 12)})`)
        return { width: d.width, height: d.height, data: d.data }
      }
      let m: MaskAgreement
      try {
        if (source instanceof CodedError && r.fm === null && r.sm === null) {
          // Both finals are the one unreadable source: the same bytes, full agreement.
          m = { jaccard: 1, dice: 1, jaccardUncertain: null, diceUncertain: null }
        } else {
          const a = final(r.fm)
          const b = final(r.sm)
          // An unreadable source with two masks of their own: no uncertain pixel is known.
          const ref = source instanceof CodedError ? { ...a, data: new Uint8Array(a.data.length) } : source
          if (
            b.width !== a.width ||
            b.height !== a.height ||
            ref.width !== a.width ||
            ref.height !== a.height
          )
            throw new CodedError(
              'mask-size',
              `${r.pair_id}: final masks ${a.width}×${a.height} and ${b.width}×${b.height}, source ${ref.width}×${ref.height}`,
            )
          m = maskAgreement(a, b, ref)
        }
      } catch (err) {
        if (!(err instanceof CodedError)) throw err
        // The server's inconsistency stops the job, saying which double review it was scoring.
        if (err.code === 'internal')
          throw new CodedError(
            'internal',
            `scoring the double review of ${r.pair_id}: ${err.message}`,
            err.file,
          )
        unscored.push({ pairId: r.pair_id, code: err.code, message: err.message })
        continue
      }
      const fc = decisionCategory(r.fs)
      const sc = decisionCategory(r.ss)
      if (fc === null || sc === null) continue
      scored.push({
        r,
        m,
        agree: fc === sc,
        adjudicate: needsAdjudication(fc, sc, m.jaccard, team.jaccardThreshold),
      })
    }
    await inTransaction(client, async () => {
      for (const { r, m, agree, adjudicate } of scored) {
        await client.query(
          `INSERT INTO agreements (pair_id, first_curator, second_curator, first_decision, second_decision, first_status,
             second_status, jaccard, dice, jaccard_uncertain, dice_uncertain, decisions_agree, needs_adjudication)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           ON CONFLICT (pair_id) DO UPDATE SET first_curator = excluded.first_curator, second_curator = excluded.second_curator,
             first_decision = excluded.first_decision, second_decision = excluded.second_decision,
             first_status = excluded.first_status, second_status = excluded.second_status, jaccard = excluded.jaccard,
             dice = excluded.dice, jaccard_uncertain = excluded.jaccard_uncertain, dice_uncertain = excluded.dice_uncertain,
             decisions_agree = excluded.decisions_agree, needs_adjudication = excluded.needs_adjudication, computed_at = now()`,
          [
            r.pair_id,
            r.fc,
            r.sc,
            r.fid,
            r.sid,
            r.fs,
            r.ss,
            m.jaccard,
            m.dice,
            m.jaccardUncertain,
            m.diceUncertain,
            agree,
            adjudicate,
          ],
        )
      }
    })
    done += scored.length
  }
  return { scored: done, unscored }
}
