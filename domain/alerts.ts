/**
 * Delivery alerts (ACS "receiving alerts when failures happen"): the criteria, what each is called, and
 * the rules of the two a watchdog checks. Pure; each criterion is raised at most once per delivery.
 */

export const alertCriteria = [
  'bounce_ratio',
  'preparation_failed',
  'delivery_failed',
  'start_pending',
  'min_rate',
] as const
export type AlertCriterion = (typeof alertCriteria)[number]

/** How the dashboard names each criterion. */
export const alertCriterionLabels: Record<AlertCriterion, string> = {
  bounce_ratio: 'Bounce ratio',
  preparation_failed: 'Preparation failed',
  delivery_failed: 'Delivery failed',
  start_pending: 'Start pending too long',
  min_rate: 'Low throughput',
}

/** The watchdog's settings (README "Configuration"). */
export interface AlertWatchSettings {
  /** A confirmed delivery not sending this long after it should have started raises `start_pending`. */
  startPendingMs: number
  /** Fewer messages per minute than this over `minRateWindowMs` of sending raise `min_rate`; 0: off. */
  minRatePerMinute: number
  minRateWindowMs: number
}

/** When a confirmed delivery should have started sending: at its confirmation, or its contact date if later. */
export function dueToStart(confirmedAt: Date, contactDate: Date | null): Date {
  return contactDate && contactDate > confirmedAt ? contactDate : confirmedAt
}

/** Whether a delivery due to start at `due` and still not sending at `now` has waited too long. */
export function startPendingTooLong(
  due: Date,
  now: Date,
  settings: Pick<AlertWatchSettings, 'startPendingMs'>,
) {
  return now.getTime() - due.getTime() >= settings.startPendingMs
}

/** Messages per minute, given how many were processed within a window of `windowMs`. */
export function ratePerMinute(processed: number, windowMs: number): number {
  return windowMs > 0 ? (processed * 60_000) / windowMs : Infinity
}

/** Whether `processed` messages over the window are below the minimum rate (never when the check is off). */
export function belowMinRate(
  processed: number,
  settings: Pick<AlertWatchSettings, 'minRatePerMinute' | 'minRateWindowMs'>,
): boolean {
  return (
    settings.minRatePerMinute > 0 &&
    ratePerMinute(processed, settings.minRateWindowMs) < settings.minRatePerMinute
  )
}

/** A duration as people read it in an alert: "30 min", "45 s", "2 h". */
export function spokenDuration(ms: number): string {
  if (ms >= 3600_000 && ms % 3600_000 === 0) return `${ms / 3600_000} h`
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`
  return `${Math.round(ms / 100) / 10} s`
}
