import { describe, expect, it } from 'vitest'
import { SchemaError, s } from '../../../../shared/api/schema'

describe('schema', () => {
  const args = s.object({ index: s.int({ min: 0, max: 10 }), note: s.optional(s.string({ maxLength: 5 })) })

  it('returns valid values typed, dropping absent optionals', () => {
    expect(args.parse({ index: 3 })).toEqual({ index: 3 })
    expect(args.parse({ index: 0, note: 'ok' })).toEqual({ index: 0, note: 'ok' })
  })

  it.each([
    [{ index: -1 }, 'index: expected integer'],
    [{ index: 1.5 }, 'index: expected integer'],
    [{ index: '1' }, 'index: expected integer'],
    [{ index: 11 }, 'index: expected integer'],
    [{ index: 1, extra: true }, 'extra: unknown field'],
    [{ index: 1, note: 'toolong' }, 'note: longer than 5'],
    [[1], 'expected object'],
    [null, 'expected object'],
  ])('refuses %j with a message naming the field', (value, message) => {
    expect(() => args.parse(value)).toThrow(SchemaError)
    expect(() => args.parse(value)).toThrow(message)
  })

  it('refuses objects that are not plain (no prototype smuggling)', () => {
    class Evil {
      index = 1
    }
    expect(() => args.parse(new Evil())).toThrow('plain object')
  })

  it('none() accepts nothing but nothing', () => {
    expect(s.none().parse(undefined)).toBeUndefined()
    expect(s.none().parse(null)).toBeUndefined()
    expect(s.none().parse({})).toBeUndefined()
    expect(() => s.none().parse({ a: 1 })).toThrow(SchemaError)
  })

  it('literal, bytes, array and pattern check their inputs', () => {
    expect(s.literal('a', 'b').parse('b')).toBe('b')
    expect(() => s.literal('a', 'b').parse('c')).toThrow('"a" | "b"')
    expect(s.bytes({ maxLength: 3 }).parse(new Uint8Array(3))).toHaveLength(3)
    expect(() => s.bytes({ maxLength: 3 }).parse(new Uint8Array(4))).toThrow('more than 3 bytes')
    expect(() => s.array(s.int(), { maxLength: 2 }).parse([1, 2, 3])).toThrow('more than 2 items')
    expect(() => s.array(s.int()).parse([1, 'x'])).toThrow('[1]: expected integer')
    expect(() => s.string({ pattern: /^ISIC_\d{7}$/ }).parse('ISIC_1')).toThrow('malformed')
  })
})
