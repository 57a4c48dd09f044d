import { DateTime } from 'luxon'
import {
  cronOccurrences,
  earliestZone,
  occurrenceOf,
  recipientTimeZoneProblems,
} from '../../domain/recurrence'

/** A recurrence sent at each recipient's local time: which wall-clock time a run stands for. */
describe('the occurrence of a run sent at each recipient’s local time', () => {
  const paris = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/Paris' }).toMillis()

  test('a scheduled run fires when 09:00 comes in UTC+14 and stands for 09:00 of that date, read in the recurrence’s zone', () => {
    // The schedule reads the cron in the earliest zone: 09:00 on 1 December in UTC+14 is 19:00 UTC on 30 November.
    const [fired] = cronOccurrences('0 9 * * *', earliestZone, Date.parse('2026-11-30T12:00:00Z'), 1)
    expect(new Date(fired).toISOString()).toBe('2026-11-30T19:00:00.000Z')
    expect(occurrenceOf('0 9 * * *', 'Europe/Paris', fired)).toBe(paris('2026-12-01T09:00:00'))
  })

  test('a run started late (no worker) still stands for its scheduled occurrence', () => {
    const fired = Date.parse('2026-11-30T19:00:00Z')
    expect(occurrenceOf('0 9 * * *', 'Europe/Paris', fired)).toBe(paris('2026-12-01T09:00:00'))
  })

  test('a triggered run (between occurrences) stands for the latest occurrence in the recurrence’s zone', () => {
    const afternoon = paris('2026-12-01T15:12:34.567')
    expect(occurrenceOf('0 9 * * *', 'Europe/Paris', afternoon)).toBe(paris('2026-12-01T09:00:00'))
    const early = paris('2026-12-01T07:12:34.567')
    expect(occurrenceOf('0 9 * * *', 'Europe/Paris', early)).toBe(paris('2026-11-30T09:00:00'))
    expect(occurrenceOf('30 * * * *', 'Europe/Paris', early)).toBe(paris('2026-12-01T06:30:00'))
    // Triggered on the very second of an occurrence in its own zone: that occurrence.
    expect(occurrenceOf('0 9 * * *', 'Europe/Paris', paris('2026-12-01T09:00:00'))).toBe(
      paris('2026-12-01T09:00:00'),
    )
  })

  test('an interval has no wall-clock time: refused, naming recipientTimeZone', () => {
    expect(recipientTimeZoneProblems(true, { intervalMs: 3600_000 })).toEqual([
      expect.objectContaining({ field: 'recipientTimeZone' }),
    ])
    expect(recipientTimeZoneProblems(true, { cron: '0 9 * * *' })).toEqual([])
    expect(recipientTimeZoneProblems(false, { intervalMs: 3600_000 })).toEqual([])
  })
})
