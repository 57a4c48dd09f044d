import { applyAddressEvent, effectiveErrorCount, type AddressRecord } from '../../domain/quarantine'

const day = 24 * 3600_000
const rules = { maxErrors: 5, significantGapMs: day, resetAfterMs: 10 * day }
const t0 = Date.UTC(2026, 0, 1)

const soft = (at: number) => ({ kind: 'soft' as const, reason: '452 mailbox full', at })

function replay(events: Parameters<typeof applyAddressEvent>[1][], start: AddressRecord | null = null) {
  return events.reduce<AddressRecord | null>(
    (record, event) => applyAddressEvent(record, event, rules),
    start,
  )!
}

describe('quarantine rules', () => {
  test('a hard bounce quarantines the address at once', () => {
    const record = applyAddressEvent(null, { kind: 'hard', reason: '550 user unknown', at: t0 }, rules)
    expect(record).toMatchObject({
      status: 'quarantined',
      errorCount: 1,
      lastErrorReason: '550 user unknown',
    })
  })

  test('soft bounces a day apart quarantine at the fifth', () => {
    const four = replay([0, 1, 2, 3].map((d) => soft(t0 + d * day)))
    expect(four).toMatchObject({ status: 'erroneous', errorCount: 4 })
    expect(replay([soft(t0 + 4 * day)], four)).toMatchObject({ status: 'quarantined', errorCount: 5 })
  })

  test('soft bounces less than a day apart count once', () => {
    const record = replay([0, 1, 2, 3, 4, 5, 6, 7].map((h) => soft(t0 + h * 3600_000)))
    expect(record).toMatchObject({ status: 'erroneous', errorCount: 1, lastErrorAt: t0 })
  })

  test('ten days without errors start the counter again', () => {
    const four = replay([0, 1, 2, 3].map((d) => soft(t0 + d * day)))
    const later = t0 + 3 * day + 10 * day
    expect(effectiveErrorCount(four, later, rules)).toBe(0)
    expect(replay([soft(later)], four)).toMatchObject({
      status: 'erroneous',
      errorCount: 1,
      lastErrorAt: later,
    })
  })

  test('a successful send clears "erroneous" but not a quarantine', () => {
    const erroneous = replay([soft(t0), soft(t0 + day)])
    expect(applyAddressEvent(erroneous, { kind: 'success', at: t0 + 2 * day }, rules)).toMatchObject({
      status: 'valid',
      errorCount: 0,
    })
    const quarantined = applyAddressEvent(null, { kind: 'hard', reason: '550', at: t0 }, rules)
    expect(applyAddressEvent(quarantined, { kind: 'success', at: t0 + day }, rules).status).toBe(
      'quarantined',
    )
  })

  test('a complaint or an unsubscribe denylists, and nothing but a release undoes it', () => {
    const complained = applyAddressEvent(null, { kind: 'complaint', at: t0 }, rules)
    expect(complained).toMatchObject({ status: 'denylisted', lastErrorReason: 'spam complaint' })
    const unsubscribed = applyAddressEvent(replay([soft(t0)]), { kind: 'unsubscribe', at: t0 }, rules)
    expect(unsubscribed).toMatchObject({ status: 'denylisted', lastErrorReason: 'unsubscribed' })
    for (const event of [
      { kind: 'success' as const, at: t0 },
      soft(t0 + day),
      { kind: 'hard' as const, reason: '550', at: t0 },
    ]) {
      expect(applyAddressEvent(complained, event, rules).status).toBe('denylisted')
    }
  })

  test('the periods are settings', () => {
    const strict = { maxErrors: 2, significantGapMs: 1000, resetAfterMs: 5000 }
    const once = applyAddressEvent(null, soft(t0), strict)
    expect(applyAddressEvent(once, soft(t0 + 1000), strict).status).toBe('quarantined')
    expect(applyAddressEvent(once, soft(t0 + 6000), strict)).toMatchObject({
      status: 'erroneous',
      errorCount: 1,
    })
  })
})
