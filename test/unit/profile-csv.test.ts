import { CsvHeaderError, mapHeader, readProfileRow } from '../../domain/profile-csv'

describe('the CSV import header', () => {
  test('names profile fields however they are spelt, and everything else as attributes', () => {
    expect(mapHeader(['External ID', 'e-mail', 'first_name', 'TIMEZONE', 'attributes.plan', 'city'])).toEqual(
      [
        { field: 'externalId' },
        { field: 'email' },
        { field: 'firstName' },
        { field: 'timeZone' },
        { attribute: 'plan' },
        { attribute: 'city' },
      ],
    )
  })

  test.each([
    [['name', 'phone'], 'the header row'],
    [['email', ''], 'column 2'],
    [['email', 'plan', 'attributes.plan'], 'column 3 (attributes.plan)'],
    [['email', 'first name!'], 'column 2 (first name!)'],
  ])('refuses %j, naming %s', (header, column) => {
    expect(() => mapHeader(header)).toThrow(CsvHeaderError)
    try {
      mapHeader(header)
    } catch (err) {
      expect((err as CsvHeaderError).column).toBe(column)
    }
  })
})

describe('a CSV import row', () => {
  const targets = mapHeader(['externalId', 'email', 'timeZone', 'subscribed', 'plan'])

  test('empty cells give nothing; values are trimmed; subscribed reads yes/no', () => {
    expect(readProfileRow(targets, [' a1 ', 'Ada@Example.com', '', 'no', ''])).toEqual({
      externalId: 'a1',
      email: 'Ada@Example.com',
      emailNorm: 'ada@example.com',
      firstName: null,
      lastName: null,
      timeZone: null,
      subscribed: false,
      attributes: null,
    })
  })

  test.each([
    [['a', 'nobody', '', '', ''], 'email: invalid address'],
    [['a', '', 'Mars/Olympus', '', ''], 'timeZone: not an IANA time zone such as Europe/Paris'],
    [['a', '', '', 'maybe', ''], 'subscribed: not true or false'],
    [['', '', '', '', 'pro'], 'has neither an externalId nor an email'],
    [['a', 'b'], 'has 2 fields where the header has 5'],
    [['x'.repeat(256), '', '', '', ''], 'externalId: longer than 255 characters'],
  ])('rejects %j: %s', (cells, reason) => {
    expect(readProfileRow(targets, cells)).toEqual({ reason })
  })
})
