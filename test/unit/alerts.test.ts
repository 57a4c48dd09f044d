import {
  alertCriteria,
  alertCriterionLabels,
  belowMinRate,
  dueToStart,
  ratePerMinute,
  spokenDuration,
  startPendingTooLong,
} from '../../domain/alerts'

describe('alert criteria', () => {
  test('every criterion has a label', () => {
    expect(alertCriteria.map((c) => alertCriterionLabels[c])).toEqual([
      'Bounce ratio',
      'Preparation failed',
      'Delivery failed',
      'Start pending too long',
      'Low throughput',
    ])
  })

  test('a confirmed delivery is due at its confirmation, or at its contact date when that is later', () => {
    const confirmed = new Date('2026-12-01T09:00:00Z')
    expect(dueToStart(confirmed, null)).toEqual(confirmed)
    expect(dueToStart(confirmed, new Date('2026-12-01T08:00:00Z'))).toEqual(confirmed)
    const later = new Date('2026-12-01T10:00:00Z')
    expect(dueToStart(confirmed, later)).toEqual(later)
  })

  test('start pending is too long once the threshold has passed since it was due', () => {
    const due = new Date('2026-12-01T10:00:00Z')
    const settings = { startPendingMs: 30 * 60_000 }
    expect(startPendingTooLong(due, new Date('2026-12-01T10:29:59Z'), settings)).toBe(false)
    expect(startPendingTooLong(due, new Date('2026-12-01T10:30:00Z'), settings)).toBe(true)
  })

  test('the rate is messages per minute over the window; below the minimum only when a minimum is set', () => {
    const window = { minRateWindowMs: 10 * 60_000 }
    expect(ratePerMinute(500, window.minRateWindowMs)).toBe(50)
    expect(belowMinRate(499, { ...window, minRatePerMinute: 50 })).toBe(true)
    expect(belowMinRate(500, { ...window, minRatePerMinute: 50 })).toBe(false)
    expect(belowMinRate(0, { ...window, minRatePerMinute: 0 })).toBe(false)
  })

  test('durations read as people say them', () => {
    expect(spokenDuration(30 * 60_000)).toBe('30 min')
    expect(spokenDuration(2 * 3600_000)).toBe('2 h')
    expect(spokenDuration(2500)).toBe('2.5 s')
  })
})
