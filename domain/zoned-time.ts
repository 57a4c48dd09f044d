import { DateTime } from 'luxon'

/**
 * A date as people read it, naming its zone: "2026-12-01 09:00 Europe/Paris". Every date Herald shows
 * in words says which zone it is in; the dashboard adds the reader's own time beside it where it differs.
 */
export function inZone(iso: string, zone = 'UTC', options: { seconds?: boolean } = {}): string {
  const date = DateTime.fromISO(iso, { zone })
  if (!date.isValid) return iso
  return `${date.toFormat(options.seconds ? 'yyyy-LL-dd HH:mm:ss' : 'yyyy-LL-dd HH:mm')} ${zone}`
}
