import { DateTime, IANAZone } from 'luxon'

/** Contact dates: an ISO 8601 instant, or a local date-time read in the delivery's IANA time zone. */

export function isTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name)
}

const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i

/** Whether a contact date names its offset (an instant) rather than a wall-clock time. */
export function namesOffset(value: string): boolean {
  return hasOffset.test(value.trim())
}

/** Epoch ms of a contact date; throws with a message naming what is wrong. */
export function parseContactDate(value: string, timeZone?: string | null): number {
  if (timeZone && !isTimeZone(timeZone)) throw new Error(`unknown time zone '${timeZone}'`)
  const zone = hasOffset.test(value.trim()) ? undefined : (timeZone ?? 'UTC')
  const date = DateTime.fromISO(value.trim(), { zone, setZone: !zone })
  if (!date.isValid) throw new Error(`not an ISO 8601 date-time: ${date.invalidExplanation ?? value}`)
  if (date.offset < -12 * 60 || date.offset > 14 * 60)
    throw new Error(`offset ${date.toFormat('ZZ')}: no place is that far from UTC (−12:00 to +14:00)`)
  return date.toMillis()
}
