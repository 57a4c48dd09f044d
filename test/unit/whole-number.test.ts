import fc from 'fast-check'
import { maxId, parseWholeNumber } from '../../domain/whole-number'

/** One number, one spelling: the rule every id and page number in a URL goes through. */
describe('whole numbers in URLs', () => {
  test.each(['1.', '1e0', '0x1', ' 1', '1 ', '01', '+1', '-1', '１', '٣', '1_000', '', '0', '2147483648'])(
    '%j is refused',
    (text) => {
      expect(parseWholeNumber(text).ok).toBe(false)
    },
  )

  test('canonical decimal digits in range are read as the number they spell', () => {
    expect(parseWholeNumber('1')).toEqual({ ok: true, value: 1 })
    expect(parseWholeNumber('2147483647')).toEqual({ ok: true, value: maxId })
    expect(parseWholeNumber('500', { max: 500 })).toEqual({ ok: true, value: 500 })
  })

  test('a value out of range says its bound', () => {
    expect(parseWholeNumber('501', { max: 500 })).toEqual({ ok: false, message: 'must be at most 500' })
  })

  test('every id reads back from its own spelling, and only from it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: maxId }), (n) => {
        expect(parseWholeNumber(String(n))).toEqual({ ok: true, value: n })
      }),
    )
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (text) => {
        const parsed = parseWholeNumber(text)
        if (parsed.ok) expect(String(parsed.value)).toBe(text)
      }),
    )
  })
})
