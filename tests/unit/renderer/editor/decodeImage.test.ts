import { describe, expect, it } from 'vitest'
import { FULL_OPTIONS, reducedOptions } from '../../../../renderer/src/editor/decodeImage'

describe('decodeImage options', () => {
  it('decodes the full image as stored: no orientation, no premultiplication, no colour conversion', () => {
    expect(FULL_OPTIONS).toEqual({
      imageOrientation: 'none',
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    })
  })

  it('decodes the reduced copy premultiplied (unpremultiplied, Chromium converts it on the main thread)', () => {
    expect(reducedOptions({ width: 1200, height: 797 })).toEqual({
      imageOrientation: 'none',
      premultiplyAlpha: 'premultiply',
      colorSpaceConversion: 'none',
      resizeWidth: 1200,
      resizeHeight: 797,
      resizeQuality: 'medium',
    })
  })
})
