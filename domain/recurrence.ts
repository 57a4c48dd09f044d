import { CronExpressionParser } from 'cron-parser'
import { DateTime } from 'luxon'
import { isTimeZone } from './schedule'

/**
 * Recurring deliveries (SPEC.md "Recurring deliveries"; ACS "recurring delivery in a workflow"): when runs
 * happen, which runs share one execution (the aggregation period), and what a run goes through.
 * Pure and deterministic.
 */

export const aggregationPeriods = ['none', 'day', 'week', 'month'] as const
export type AggregationPeriod = (typeof aggregationPeriods)[number]

/** When a recurring delivery runs: a cron expression or a fixed interval, read in an IANA time zone. */
export interface Recurrence {
  /** Five fields (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, @monthly, @yearly. */
  cron?: string | null
  /** A fixed interval in milliseconds, counted from `startsAt` (or from the creation). */
  intervalMs?: number | null
  timeZone: string
  /** epoch ms; no run before */
  startsAt?: number | null
  /** epoch ms; no run after */
  endsAt?: number | null
}

export interface Problem {
  field: string
  message: string
}

const cronMacros = ['@hourly', '@daily', '@weekly', '@monthly', '@yearly', '@annually']

/**
 * Temporal reads five-field cron like everyone else, but matches a day of month AND a day of week
 * where classic cron matches either; refusing both keeps the two readings equal.
 */
function parseCron(cron: string, timeZone: string, from: number) {
  const expression = cron.trim()
  const macro = cronMacros.includes(expression)
  if (!macro && expression.split(/\s+/).length !== 5) {
    throw new Error('give five fields (minute hour day-of-month month day-of-week) or @daily, @weekly…')
  }
  return CronExpressionParser.parse(macro ? expression : `0 ${expression}`, {
    tz: timeZone,
    currentDate: new Date(from),
    strict: true,
  })
}

/** The next `count` run times of a cron expression after `from` (epoch ms). */
export function cronOccurrences(cron: string, timeZone: string, from: number, count: number): number[] {
  const expression = parseCron(cron, timeZone, from)
  return Array.from({ length: count }, () => expression.next().getTime())
}

/** The shortest time between two runs of a cron expression, over its next `horizon` runs. */
export function shortestCronGap(cron: string, timeZone: string, from: number, horizon = 500): number {
  const times = cronOccurrences(cron, timeZone, from, horizon)
  let shortest = Infinity
  for (let i = 1; i < times.length; i++) shortest = Math.min(shortest, times[i] - times[i - 1])
  return shortest
}

/** Problems with a recurrence, each naming its field under `recurrence`; empty when usable. */
export function recurrenceProblems(recurrence: Recurrence, minIntervalMs: number, now: number): Problem[] {
  const problems: Problem[] = []
  const at = (field: string, message: string) => problems.push({ field: `recurrence.${field}`, message })
  const { cron, intervalMs, timeZone, startsAt, endsAt } = recurrence
  if (!isTimeZone(timeZone)) at('timeZone', 'must be an IANA time zone such as Europe/Paris')
  if (cron && intervalMs) at('cron', 'give a cron expression or an interval (every), not both')
  else if (!cron && !intervalMs) at('cron', 'give a cron expression or an interval (every)')
  const minimum = `the minimum time between runs is ${describeDuration(minIntervalMs)}`
  if (intervalMs && intervalMs < minIntervalMs) at('every', minimum)
  if (intervalMs && intervalMs % 1000 !== 0) at('every', 'must be a whole number of seconds')
  if (cron && !problems.length) {
    try {
      if (shortestCronGap(cron, timeZone, startsAt ?? now) < minIntervalMs) at('cron', minimum)
    } catch (err) {
      at('cron', (err as Error).message)
    }
  }
  if (startsAt != null && endsAt != null && endsAt <= startsAt) at('endsAt', 'must be after startsAt')
  else if (endsAt != null && endsAt <= now) at('endsAt', 'must be in the future')
  return problems
}

/**
 * Intervals run at `epoch + offset + n × every` (Temporal's interval schedules); the offset puts the
 * first run at the start date, or one interval after the creation.
 */
export function intervalOffset(intervalMs: number, anchor: number): number {
  return ((anchor % intervalMs) + intervalMs) % intervalMs
}

/**
 * The aggregation period a run falls into, in the recurrence's time zone: `2026-11-27`, `2026-W48`
 * (ISO week, Monday first) or `2026-11`. Without aggregation every run is a period of its own (null).
 */
export function periodKey(period: AggregationPeriod, at: number, timeZone: string): string | null {
  const local = DateTime.fromMillis(at, { zone: timeZone })
  switch (period) {
    case 'none':
      return null
    case 'day':
      return local.toFormat('yyyy-LL-dd')
    case 'week':
      return local.toFormat("kkkk-'W'WW")
    case 'month':
      return local.toFormat('yyyy-LL')
  }
}

/** Confirmation before each send only makes sense when each run is its own execution (ACS). */
export function aggregationProblems(period: AggregationPeriod, confirmBeforeEachSend: boolean): Problem[] {
  return confirmBeforeEachSend && period !== 'none'
    ? [
        {
          field: 'confirmBeforeEachSend',
          message: `a confirmation before each send needs aggregation "none" (got "${period}")`,
        },
      ]
    : []
}

function describeDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`
  return `${ms / 1000} second${ms === 1000 ? '' : 's'}`
}

// ── Recipient time zone (each occurrence sent at each recipient's local time) ─────────────────────

/**
 * The zone where a wall-clock time comes first (UTC+14, Kiribati's Line Islands). A recurrence sent at
 * each recipient's local time reads its cron there: the schedule fires when the occurrence's time
 * arrives in the earliest zone, and the run plans every later zone's wave from that wall-clock time.
 */
export const earliestZone = 'Etc/GMT-14'

/** Sending at each recipient's local time needs occurrences that are wall-clock times: a cron expression. */
export function recipientTimeZoneProblems(
  recipientTimeZone: boolean,
  recurrence: Pick<Recurrence, 'cron' | 'intervalMs'>,
): Problem[] {
  if (!recipientTimeZone || recurrence.cron) return []
  return [
    {
      field: 'recipientTimeZone',
      message:
        'sending at each recipient’s local time needs a cron expression (a wall-clock time such as 0 9 * * *), not an interval',
    },
  ]
}

/**
 * The wall-clock time of a run's occurrence, as the instant it names in the recurrence's zone (the
 * `contactDate` its waves are planned from, domain/waves.ts). A run the schedule started for an
 * occurrence was scheduled when that occurrence's time came in the earliest zone: its wall-clock time is
 * the scheduled time read there. A run started between occurrences (Trigger: "run it now") stands for
 * the recurrence's latest occurrence in its own zone (today's 9:00 of a daily 9:00): the recipients whose
 * time has come get it at once (at least those in the recurrence's zone), the others at their instant.
 */
export function occurrenceOf(cron: string, timeZone: string, scheduledAt: number): number {
  const [fired] = cronOccurrences(cron, earliestZone, scheduledAt - 1000, 1)
  if (fired === scheduledAt) {
    const wall = DateTime.fromMillis(scheduledAt, { zone: earliestZone })
    const { year, month, day, hour, minute, second } = wall
    return DateTime.fromObject({ year, month, day, hour, minute, second }, { zone: timeZone }).toMillis()
  }
  return parseCron(cron, timeZone, scheduledAt + 1)
    .prev()
    .getTime()
}
