import { DateTime } from 'luxon'
import { isTimeZone } from './schedule'

/**
 * Sending at each recipient's local time (ACS "send-time optimisation: recipient's time zone"): the
 * delivery's contact date is a wall-clock time, read in each profile's zone (the delivery's zone for a
 * profile without one). Recipients whose zones put that time on the same instant form one wave; the
 * workflow sends each wave at its instant. Pure: the preparation, the workflow and the API share it.
 */

/** One wave as prepared: its instant, the zones it covers, its recipients and its batches. */
export interface Wave {
  /** Epoch ms. */
  at: number
  /** The zones whose wall-clock contact time falls on `at`, sorted. */
  zones: string[]
  recipients: number
  /** Batches firstBatch … firstBatch + batches - 1 hold this wave's recipients, and no one else. */
  firstBatch: number
  batches: number
}

/** The wall-clock time a contact date stands for: the instant read in the delivery's zone. */
export function wallClock(contactDate: number, deliveryZone: string | null | undefined): DateTime {
  return DateTime.fromMillis(contactDate, { zone: deliveryZone ?? 'UTC' })
}

/** The instant a wall-clock time falls on in a zone (a time skipped by a DST change moves forward). */
export function instantIn(wall: DateTime, zone: string): number {
  const { year, month, day, hour, minute, second, millisecond } = wall
  return DateTime.fromObject({ year, month, day, hour, minute, second, millisecond }, { zone }).toMillis()
}

/** The zone a profile's contact time is read in: its own when valid, else the delivery's, else UTC. */
export function effectiveZone(profileZone: string | null, deliveryZone: string | null | undefined): string {
  if (profileZone && isTimeZone(profileZone)) return profileZone
  return deliveryZone && isTimeZone(deliveryZone) ? deliveryZone : 'UTC'
}

/** Recipients counted by the zone their profile names (null: none). */
export interface ZoneCount {
  zone: string | null
  recipients: number
}

/** A wave being planned, with the profile zones (as stored) whose recipients it takes. */
export interface PlannedWave extends Wave {
  profileZones: (string | null)[]
}

/**
 * Groups recipients into waves by the instant the contact time falls on in their zone, earliest first,
 * and numbers the batches from `firstBatch` so that no batch holds two waves.
 */
export function planWaves(
  counts: ZoneCount[],
  contactDate: number,
  deliveryZone: string | null | undefined,
  batchSize: number,
  firstBatch = 0,
): PlannedWave[] {
  const wall = wallClock(contactDate, deliveryZone)
  const byInstant = new Map<
    number,
    { zones: Set<string>; profileZones: (string | null)[]; recipients: number }
  >()
  for (const { zone, recipients } of counts) {
    if (recipients <= 0) continue
    const effective = effectiveZone(zone, deliveryZone)
    const at = instantIn(wall, effective)
    const wave = byInstant.get(at) ?? { zones: new Set<string>(), profileZones: [], recipients: 0 }
    wave.zones.add(effective)
    wave.profileZones.push(zone)
    wave.recipients += recipients
    byInstant.set(at, wave)
  }
  let next = firstBatch
  return [...byInstant.entries()]
    .sort(([a], [b]) => a - b)
    .map(([at, wave]) => {
      const batches = Math.ceil(wave.recipients / batchSize)
      const planned = {
        at,
        zones: [...wave.zones].sort(),
        recipients: wave.recipients,
        firstBatch: next,
        batches,
        profileZones: wave.profileZones,
      }
      next += batches
      return planned
    })
}

/**
 * The end of the batches that may start at `now`: those of the waves due, in batch order, up to the first
 * wave still ahead (a later wave never goes before an earlier one's batches).
 */
export function dueBatchEnd(waves: readonly Wave[], now: number): number {
  let end = 0
  for (const wave of waves) {
    if (wave.at > now) break
    end = wave.firstBatch + wave.batches
  }
  return end
}

/**
 * A new contact time for the waves not started yet (batches from `fromBatch` on): each is planned again at
 * the instant the new wall-clock time falls on in its zone; waves already started keep their instant.
 */
export function replanWaves(
  waves: readonly Wave[],
  contactDate: number,
  deliveryZone: string | null | undefined,
  fromBatch: number,
): Wave[] {
  const wall = wallClock(contactDate, deliveryZone)
  return waves.map((wave) =>
    wave.firstBatch < fromBatch ? wave : { ...wave, at: instantIn(wall, wave.zones[0] ?? 'UTC') },
  )
}

/** The first wave whose batches have not all been started, or null. */
export function nextWave(waves: readonly Wave[], nextBatch: number): Wave | null {
  return waves.find((w) => w.firstBatch + w.batches > nextBatch && w.batches > 0) ?? null
}

/** A wave in words, naming its zone: "2026-12-01 09:00 Europe/Paris (2 recipients)". */
export function describeWave(wave: Pick<Wave, 'at' | 'zones' | 'recipients'>): string {
  const zone = wave.zones[0] ?? 'UTC'
  const when = DateTime.fromMillis(wave.at, { zone }).toFormat('yyyy-LL-dd HH:mm:ss')
  const others = wave.zones.length > 1 ? ` and ${wave.zones.length - 1} other zone(s)` : ''
  const people = `${wave.recipients} recipient${wave.recipients === 1 ? '' : 's'}`
  return `${when} ${zone}${others} (${new Date(wave.at).toISOString()}, ${people})`
}
