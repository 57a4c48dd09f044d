import { parseContactDate } from '../../domain/schedule'
import { audienceProblems } from '../../domain/audience'

describe('contact dates', () => {
  test('a local date-time is read in the delivery time zone', () => {
    expect(new Date(parseContactDate('2030-07-01T09:00', 'Europe/Paris')).toISOString()).toBe(
      '2030-07-01T07:00:00.000Z',
    )
    expect(new Date(parseContactDate('2030-01-01T09:00', 'America/New_York')).toISOString()).toBe(
      '2030-01-01T14:00:00.000Z',
    )
  })

  test('an explicit offset wins over the time zone', () => {
    expect(new Date(parseContactDate('2030-01-01T09:00:00Z', 'Europe/Paris')).toISOString()).toBe(
      '2030-01-01T09:00:00.000Z',
    )
  })

  test('bad dates and zones are refused with the reason', () => {
    expect(() => parseContactDate('tomorrow')).toThrow(/ISO 8601/)
    expect(() => parseContactDate('2030-01-01T09:00', 'Mars/Base')).toThrow(/unknown time zone/)
    expect(() => parseContactDate('2030-01-01T09:00+99:00')).toThrow(/offset \+99:00/)
    expect(new Date(parseContactDate('2030-01-01T09:00+14:00')).toISOString()).toBe(
      '2029-12-31T19:00:00.000Z',
    )
  })
})

describe('audiences', () => {
  test('an audience needs ids, a filter or all', () => {
    expect(audienceProblems({})).toEqual([
      { field: 'audience', message: 'give profileIds, a filter, or all: true' },
    ])
    expect(audienceProblems({ all: true })).toEqual([])
  })

  test('filter problems name the condition', () => {
    expect(audienceProblems({ filter: [{ field: 'shoeSize', op: 'eq', value: 1 }] })[0].field).toBe(
      'audience.filter.0.field',
    )
    expect(
      audienceProblems({ filter: [{ field: 'attributes.plan', op: 'in', value: 'pro' }] })[0].field,
    ).toBe('audience.filter.0.value')
    expect(audienceProblems({ filter: [{ field: 'attributes.plan', op: 'exists' }] })).toEqual([])
  })
})
