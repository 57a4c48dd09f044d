import { inZone } from '../../domain/zoned-time'

describe('dates in words name their zone', () => {
  test('a time is shown in the zone asked for, with the zone’s name', () => {
    expect(inZone('2026-12-01T08:00:00.000Z', 'Europe/Paris')).toBe('2026-12-01 09:00 Europe/Paris')
    expect(inZone('2026-07-01T07:00:00.000Z', 'Europe/Paris', { seconds: true })).toBe(
      '2026-07-01 09:00:00 Europe/Paris',
    )
    expect(inZone('2026-12-01T08:00:00.000Z')).toBe('2026-12-01 08:00 UTC')
    expect(inZone('2026-12-01T08:00:00.000Z', 'America/New_York')).toBe('2026-12-01 03:00 America/New_York')
  })
})
