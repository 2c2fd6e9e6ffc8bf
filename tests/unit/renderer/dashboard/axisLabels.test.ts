import { describe, expect, it } from 'vitest'
import {
  ellipsize,
  fitCategoryLabels,
  ROTATED_DEG,
  valueAxisSize,
} from '../../../../renderer/src/components/dashboard/axisLabels'

/** 6 px per character: the dashboard's 10 px sans-serif, near enough. */
const measure = (s: string): number => s.length * 6
const metrics = { fontPx: 10, padPx: 8 }
/** The problem codes of qa7 #14c, which ran together at a level ~60 px slot. */
const CODES = ['challenge-convention', 'mask-colour', 'mask-size', 'png-truncated']

describe('dashboard axis labels (qa7 #14c)', () => {
  it('labels that fit their slot stay level and whole', () => {
    const fit = fitCategoryLabels(['0%', '5%', '10%'], measure, 60, 70, metrics)
    expect(fit).toEqual({ labels: ['0%', '5%', '10%'], rotate: 0, size: 22 })
  })

  it('labels wider than their slot are rotated, and ellipsized past the longest allowed: never run together', () => {
    const fit = fitCategoryLabels(CODES, measure, 60, 70, metrics)
    expect(fit.rotate).toBe(ROTATED_DEG)
    expect(fit.labels).toEqual(['challenge-…', 'mask-colour', 'mask-size', 'png-trunca…'])
    for (const l of fit.labels) expect(measure(l)).toBeLessThanOrEqual(70)
    // Tall enough for the longest rotated label: 66·sin 35° + 10·cos 35° + 8 + 2 ≈ 56.05, up to 57.
    expect(fit.size).toBe(57)
  })

  it('ellipsize keeps a label that fits, and cuts one that does not to the longest prefix that does', () => {
    expect(ellipsize('mask-size', measure, 54)).toBe('mask-size')
    expect(ellipsize('mask-size', measure, 53)).toBe('mask-si…')
    expect(ellipsize('mask-size', measure, 47)).toBe('mask-s…')
    expect(ellipsize('abc', measure, 1)).toBe('a…')
  })

  it('the value axis is as wide as its widest label ("40,000" is not clipped)', () => {
    expect(valueAxisSize(['0', '10,000', '20,000', '40,000'], measure, metrics)).toBe(48)
    expect(valueAxisSize(null, measure, metrics)).toBe(12)
  })
})
