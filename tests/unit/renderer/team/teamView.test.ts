import { describe, expect, it } from 'vitest'
import type { LabelMap } from '../../../../shared/labels/codes'
import type { TeamSyncState } from '../../../../shared/api/team'
import {
  AGREE,
  FIRST_ONLY,
  SECOND_ONLY,
  MASK_LESION,
  MASK_UNCERTAIN,
  UNCERTAIN_ONLY,
  ago,
  badgeText,
  disagreementOverlay,
  jaccardHistogram,
  maskRgba,
  mergeMasks,
  unscoredLine,
  urlCarriesPassword,
} from '../../../../renderer/src/team/teamView'

const map = (width: number, values: number[]): LabelMap => ({
  width,
  height: values.length / width,
  data: Uint8Array.from(values),
})

describe('team view helpers', () => {
  it('bins Jaccard values over [0, 1], 1 in the last bin', () => {
    expect(jaccardHistogram([0, 0.05, 0.1, 0.649, 0.65, 0.99, 1], 10)).toEqual([2, 1, 0, 0, 0, 0, 2, 0, 0, 2])
  })

  it('the overlay marks agreed lesion muted and every disputed pixel by kind, uncertain included', () => {
    const a = map(7, [1, 1, 0, 255, 255, 0, 255])
    const b = map(7, [1, 0, 1, 1, 0, 255, 255])
    const o = disagreementOverlay(a, b)
    // qa7 #7: an uncertain pixel against background is disputed too, and counted as such.
    expect([
      o.agreedLesion,
      o.firstLesionOnly,
      o.secondLesionOnly,
      o.firstUncertainOnly,
      o.secondUncertainOnly,
    ]).toEqual([1, 1, 2, 1, 1])
    expect(o.disputed).toBe(5)
    const px = (i: number) => [...o.rgba.subarray(i * 4, i * 4 + 4)]
    expect(px(0)).toEqual([...AGREE])
    expect(px(1)).toEqual([...FIRST_ONLY])
    expect(px(2)).toEqual([...SECOND_ONLY])
    expect(px(3)).toEqual([...SECOND_ONLY])
    expect(px(4)).toEqual([...UNCERTAIN_ONLY])
    expect(px(5)).toEqual([...UNCERTAIN_ONLY])
    expect(px(6)).toEqual([0, 0, 0, 0])
  })

  it('a mask as RGBA: lesion and uncertain in their colours, byte for byte; background clear', () => {
    const rgba = maskRgba(map(3, [1, 255, 0]))
    expect([...rgba]).toEqual([...MASK_LESION, ...MASK_UNCERTAIN, 0, 0, 0, 0])
  })

  it('merges keep agreed labels and settle disputed pixels by the rule, only 0/1/255', () => {
    const a = map(4, [1, 0, 255, 255])
    const b = map(4, [1, 1, 255, 0])
    expect([...mergeMasks(a, b, 'union').data]).toEqual([1, 1, 255, 0])
    expect([...mergeMasks(a, b, 'intersection').data]).toEqual([1, 0, 255, 0])
  })

  it('the badge says offline, pending and when it last synced', () => {
    const now = Date.parse('2026-01-01T12:00:00Z')
    const s: TeamSyncState = {
      joined: true,
      curator: 'ann',
      role: 'curator',
      server: 'postgres://ann@db/team',
      state: 'offline',
      lastSync: { at: '2026-01-01T11:57:00Z', ok: true, error: null, pushed: 1, pulled: 0 },
      pending: 3,
      assigned: [],
    }
    expect(badgeText(s, now)).toBe('team: offline (synced 3 min ago) · 3 to push')
    expect(
      badgeText({ ...s, state: 'idle', pending: 0, assigned: [{ id: 'ISIC_0000001', role: 'first' }] }, now),
    ).toBe('team: synced 3 min ago · 1 assigned')
    expect(badgeText({ ...s, joined: false }, now)).toBe('')
    expect(ago('2026-01-01T09:00:00Z', now)).toBe('3 h ago')
  })

  it('spots a password typed into a database URL (the join form refuses it before sending)', () => {
    expect(urlCarriesPassword('postgres://ann@db.example:5432/team?sslmode=verify-full')).toBe(false)
    expect(urlCarriesPassword('postgres://db.example:5432/team')).toBe(false)
    expect(urlCarriesPassword('')).toBe(false)
    expect(urlCarriesPassword('postgres://ann:s3cret@db.example/team')).toBe(true)
    expect(urlCarriesPassword('postgres://ann@db.example/team?password=s3cret')).toBe(true)
    expect(urlCarriesPassword(' postgresql://ann:@db/team ')).toBe(false)
    expect(urlCarriesPassword('postgres://ann:s3cret@')).toBe(true)
  })
})

describe('unscoredLine', () => {
  const u = (k: number) => ({
    pairId: `ISIC_900000${k}`,
    code: 'png-truncated' as const,
    message: `ISIC_900000${k}: PNG file ends inside chunk IDAT`,
  })
  it('names the double reviews team:status could not score, with their codes (the first few)', () => {
    expect(unscoredLine([u(2)])).toBe('1 double review could not be scored: ISIC_9000002 [png-truncated]')
    expect(unscoredLine([u(1), u(2), u(3)], { shown: 2 })).toBe(
      '3 double reviews could not be scored: ISIC_9000001 [png-truncated], ISIC_9000002 [png-truncated], …',
    )
  })
  it('says nothing without one (or when status computed no agreement)', () => {
    expect(unscoredLine([])).toBeNull()
    expect(unscoredLine(undefined)).toBeNull()
  })
})
