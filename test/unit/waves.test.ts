import { DateTime } from 'luxon'
import {
  describeWave,
  dueBatchEnd,
  instantIn,
  nextWave,
  planWaves,
  replanWaves,
  wallClock,
} from '../../domain/waves'
import { waitingFor } from '../../domain/delivery-states'

const nineInParis = DateTime.fromISO('2026-12-01T09:00', { zone: 'Europe/Paris' }).toMillis()
const iso = (ms: number) => new Date(ms).toISOString()

describe('waves: the contact time read in each recipient’s time zone', () => {
  test('recipients whose zones put the contact time on the same instant form one wave, earliest first', () => {
    const waves = planWaves(
      [
        { zone: 'America/New_York', recipients: 3 },
        { zone: 'Europe/Paris', recipients: 2 },
        { zone: 'Europe/Berlin', recipients: 1 },
        { zone: 'Asia/Tokyo', recipients: 1 },
      ],
      nineInParis,
      'Europe/Paris',
      2,
    )
    expect(waves.map((w) => iso(w.at))).toEqual([
      '2026-12-01T00:00:00.000Z', // 09:00 in Tokyo
      '2026-12-01T08:00:00.000Z', // 09:00 in Paris and Berlin
      '2026-12-01T14:00:00.000Z', // 09:00 in New York
    ])
    expect(waves.map((w) => w.zones)).toEqual([
      ['Asia/Tokyo'],
      ['Europe/Berlin', 'Europe/Paris'],
      ['America/New_York'],
    ])
    expect(waves.map((w) => w.recipients)).toEqual([1, 3, 3])
  })

  test('each wave has batches of its own: no batch holds two waves', () => {
    const waves = planWaves(
      [
        { zone: 'Asia/Tokyo', recipients: 3 },
        { zone: 'Europe/Paris', recipients: 5 },
      ],
      nineInParis,
      'Europe/Paris',
      2,
      4,
    )
    expect(waves.map((w) => [w.firstBatch, w.batches])).toEqual([
      [4, 2], // 3 recipients in batches 4 and 5
      [6, 3], // 5 recipients in batches 6, 7 and 8
    ])
  })

  test('a profile without a zone, or with one that is not a zone, is read in the delivery’s zone (else UTC)', () => {
    const waves = planWaves(
      [
        { zone: null, recipients: 2 },
        { zone: 'Not/AZone', recipients: 1 },
        { zone: 'Europe/Paris', recipients: 1 },
      ],
      nineInParis,
      'Europe/Paris',
      100,
    )
    expect(waves).toHaveLength(1)
    expect(waves[0]).toMatchObject({ zones: ['Europe/Paris'], recipients: 4, firstBatch: 0, batches: 1 })
    expect(waves[0].profileZones).toEqual([null, 'Not/AZone', 'Europe/Paris'])
    const utc = planWaves([{ zone: null, recipients: 1 }], Date.UTC(2026, 11, 1, 9), null, 10)
    expect(iso(utc[0].at)).toBe('2026-12-01T09:00:00.000Z')
  })

  test('the wall-clock time is kept across daylight-saving differences between zones', () => {
    const wall = wallClock(DateTime.fromISO('2026-07-01T09:00', { zone: 'UTC' }).toMillis(), 'UTC')
    expect(iso(instantIn(wall, 'Europe/Paris'))).toBe('2026-07-01T07:00:00.000Z') // CEST, UTC+2
    expect(iso(instantIn(wall, 'Australia/Sydney'))).toBe('2026-06-30T23:00:00.000Z') // AEST, UTC+10
  })

  test('only the batches of waves already due may start; the next wave is the first not started', () => {
    const waves = planWaves(
      [
        { zone: 'Asia/Tokyo', recipients: 3 },
        { zone: 'Europe/Paris', recipients: 1 },
        { zone: 'America/New_York', recipients: 1 },
      ],
      nineInParis,
      'Europe/Paris',
      2,
    )
    const [tokyo, paris, newYork] = waves
    expect(dueBatchEnd(waves, tokyo.at - 1)).toBe(0)
    expect(dueBatchEnd(waves, tokyo.at)).toBe(2)
    expect(dueBatchEnd(waves, paris.at + 1000)).toBe(3)
    expect(dueBatchEnd(waves, newYork.at)).toBe(4)
    expect(nextWave(waves, 0)).toBe(tokyo)
    expect(nextWave(waves, 2)).toBe(paris)
    expect(nextWave(waves, 3)).toBe(newYork)
    expect(nextWave(waves, 4)).toBeNull()
  })

  test('a new contact time moves the waves not started yet, each to the new time in its zone', () => {
    const waves = planWaves(
      [
        { zone: 'Asia/Tokyo', recipients: 1 },
        { zone: 'Europe/Paris', recipients: 1 },
        { zone: 'America/New_York', recipients: 1 },
      ],
      nineInParis,
      'Europe/Paris',
      10,
    )
    const elevenInParis = nineInParis + 2 * 3600_000
    const moved = replanWaves(waves, elevenInParis, 'Europe/Paris', 1)
    expect(moved[0]).toBe(waves[0]) // started: keeps its instant
    expect(moved.slice(1).map((w) => iso(w.at))).toEqual([
      '2026-12-01T10:00:00.000Z', // 11:00 in Paris
      '2026-12-01T16:00:00.000Z', // 11:00 in New York
    ])
    expect(moved.map((w) => [w.firstBatch, w.batches])).toEqual(waves.map((w) => [w.firstBatch, w.batches]))
  })

  test('a wave never starts before an earlier one', () => {
    const waves = [
      { at: 2000, zones: ['A'], recipients: 1, firstBatch: 0, batches: 1 },
      { at: 1000, zones: ['B'], recipients: 1, firstBatch: 1, batches: 1 },
    ]
    expect(dueBatchEnd(waves, 1500)).toBe(0)
    expect(dueBatchEnd(waves, 2000)).toBe(2)
  })

  test('the Temporal UI’s details name the wave the workflow waits for, in its zone', () => {
    const [paris] = planWaves([{ zone: 'Europe/Paris', recipients: 2 }], nineInParis, 'Europe/Paris', 10)
    const text = describeWave(paris)
    expect(text).toBe('2026-12-01 09:00:00 Europe/Paris (2026-12-01T08:00:00.000Z, 2 recipients)')
    const progress = { messagesToDeliver: 2, contactDate: nineInParis, batchesDone: 0, batchCount: 1 }
    const nextWaveInfo = { number: 1, total: 1, text }
    expect(waitingFor({ ...progress, status: 'start_pending', nextWave: nextWaveInfo })).toBe(
      `waiting for wave 1 of 1: ${text}`,
    )
    expect(waitingFor({ ...progress, status: 'sending', nextWave: nextWaveInfo })).toBe(
      `sending: 0 of 1 batches done; waiting for wave 1 of 1: ${text}`,
    )
  })
})
