import {
  aggregationProblems,
  cronOccurrences,
  intervalOffset,
  periodKey,
  recurrenceProblems,
  shortestCronGap,
} from '../../domain/recurrence'
import { addCounts, computeKpis } from '../../domain/kpis'

const at = (iso: string) => Date.parse(iso)
const tenMinutes = 10 * 60_000
const now = at('2026-11-27T08:00:00Z')

describe('aggregation periods', () => {
  test('a day is the calendar day in the recurrence’s time zone', () => {
    // 23:30 UTC is already the next day in Paris, still the same day in New York.
    expect(periodKey('day', at('2026-11-27T23:30:00Z'), 'Europe/Paris')).toBe('2026-11-28')
    expect(periodKey('day', at('2026-11-27T23:30:00Z'), 'America/New_York')).toBe('2026-11-27')
    expect(periodKey('day', at('2026-11-27T23:30:00Z'), 'UTC')).toBe('2026-11-27')
  })

  test('a day across a daylight-saving change is still one period', () => {
    // Paris, 2026-03-29: 02:00 becomes 03:00; both sides of the jump are the same day.
    expect(periodKey('day', at('2026-03-29T00:30:00Z'), 'Europe/Paris')).toBe('2026-03-29')
    expect(periodKey('day', at('2026-03-29T21:59:00Z'), 'Europe/Paris')).toBe('2026-03-29')
    expect(periodKey('day', at('2026-03-29T22:00:00Z'), 'Europe/Paris')).toBe('2026-03-30')
  })

  test('a week is the ISO week (Monday first), whose year may differ from the calendar year', () => {
    expect(periodKey('week', at('2026-11-27T12:00:00Z'), 'UTC')).toBe('2026-W48')
    // Sunday night and Monday morning in Paris fall in different weeks.
    expect(periodKey('week', at('2026-11-29T23:30:00Z'), 'Europe/Paris')).toBe('2026-W49')
    expect(periodKey('week', at('2026-11-29T23:30:00Z'), 'UTC')).toBe('2026-W48')
    expect(periodKey('week', at('2021-01-01T12:00:00Z'), 'UTC')).toBe('2020-W53')
    expect(periodKey('week', at('2024-12-30T12:00:00Z'), 'UTC')).toBe('2025-W01')
  })

  test('a month is the calendar month in the time zone', () => {
    expect(periodKey('month', at('2026-11-30T23:30:00Z'), 'Europe/Paris')).toBe('2026-12')
    expect(periodKey('month', at('2026-11-30T23:30:00Z'), 'UTC')).toBe('2026-11')
  })

  test('without aggregation every run is a period of its own', () => {
    expect(periodKey('none', now, 'UTC')).toBeNull()
  })

  test('a confirmation before each send is allowed only without aggregation', () => {
    expect(aggregationProblems('none', true)).toEqual([])
    expect(aggregationProblems('day', false)).toEqual([])
    for (const period of ['day', 'week', 'month'] as const) {
      expect(aggregationProblems(period, true)).toEqual([
        expect.objectContaining({ field: 'confirmBeforeEachSend' }),
      ])
    }
  })
})

describe('recurrences', () => {
  const problems = (recurrence: Parameters<typeof recurrenceProblems>[0]) =>
    recurrenceProblems(recurrence, tenMinutes, now).map((p) => p.field)

  test('runs less than the minimum apart are refused, by interval or by cron', () => {
    expect(problems({ intervalMs: 5 * 60_000, timeZone: 'UTC' })).toEqual(['recurrence.every'])
    expect(problems({ intervalMs: tenMinutes, timeZone: 'UTC' })).toEqual([])
    expect(problems({ cron: '*/5 * * * *', timeZone: 'UTC' })).toEqual(['recurrence.cron'])
    expect(problems({ cron: '*/10 * * * *', timeZone: 'UTC' })).toEqual([])
    // Two runs a day, five minutes apart, are too close even though most gaps are long.
    expect(problems({ cron: '0,5 9 * * *', timeZone: 'UTC' })).toEqual(['recurrence.cron'])
    expect(recurrenceProblems({ intervalMs: 60_000, timeZone: 'UTC' }, 60_000, now)).toEqual([])
  })

  test('the minimum is named in the refusal', () => {
    expect(recurrenceProblems({ intervalMs: 60_000, timeZone: 'UTC' }, tenMinutes, now)[0].message).toBe(
      'the minimum time between runs is 10 minutes',
    )
  })

  test('a recurrence is a cron expression or an interval, not both, not neither', () => {
    expect(problems({ timeZone: 'UTC' })).toEqual(['recurrence.cron'])
    expect(problems({ cron: '0 9 * * *', intervalMs: 3600_000, timeZone: 'UTC' })).toEqual([
      'recurrence.cron',
    ])
  })

  test('cron takes five fields or a macro; a day of month and a day of week together are refused', () => {
    expect(problems({ cron: '@daily', timeZone: 'UTC' })).toEqual([])
    expect(problems({ cron: '0 0 9 * * *', timeZone: 'UTC' })).toEqual(['recurrence.cron'])
    expect(problems({ cron: '0 9 1 * MON', timeZone: 'UTC' })).toEqual(['recurrence.cron'])
    expect(problems({ cron: '0 24 * * *', timeZone: 'UTC' })).toEqual(['recurrence.cron'])
  })

  test('zones, starts and ends are checked', () => {
    expect(problems({ intervalMs: 3600_000, timeZone: 'Mars/Olympus' })).toEqual(['recurrence.timeZone'])
    expect(
      problems({ intervalMs: 3600_000, timeZone: 'UTC', startsAt: now + 7200_000, endsAt: now + 3600_000 }),
    ).toEqual(['recurrence.endsAt'])
    expect(problems({ intervalMs: 3600_000, timeZone: 'UTC', endsAt: now - 1 })).toEqual([
      'recurrence.endsAt',
    ])
  })

  test('cron runs at the local time of its time zone, across daylight saving', () => {
    const [first, second] = cronOccurrences('0 9 * * *', 'Europe/Paris', at('2026-03-28T00:00:00Z'), 2)
    expect(new Date(first).toISOString()).toBe('2026-03-28T08:00:00.000Z')
    expect(new Date(second).toISOString()).toBe('2026-03-29T07:00:00.000Z')
    expect(shortestCronGap('0 9 * * *', 'Europe/Paris', at('2026-03-28T00:00:00Z'), 3)).toBe(23 * 3600_000)
  })

  test('an interval is counted from its start', () => {
    const every = 3600_000
    const start = at('2026-11-27T09:17:00Z')
    const offset = intervalOffset(every, start)
    expect((start - offset) % every).toBe(0)
    expect(intervalOffset(every, start + 5 * every)).toBe(offset)
  })
})

describe('KPIs of a recurring delivery', () => {
  test('a recurring delivery totals its executions, opens and clicks included', () => {
    const total = addCounts([
      { toDeliver: 3, delivered: 3, failed: 0, uniqueOpens: 2, uniqueClicks: 1 },
      { toDeliver: 5, delivered: 4, failed: 1, uniqueOpens: 1, uniqueClicks: 0 },
    ])
    expect(total).toEqual({ toDeliver: 8, delivered: 7, failed: 1, uniqueOpens: 3, uniqueClicks: 1 })
    expect(computeKpis(total)).toMatchObject({ processed: 8, deliveredRate: 87.5, bounceRate: 12.5 })
    expect(computeKpis(total).openRate).toBeCloseTo(42.86, 2)
  })
})
