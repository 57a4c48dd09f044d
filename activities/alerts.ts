import type { Database } from '../persistence/database'
import type { Mailer } from '../mail/transport'
import { bounceRatioExceeded, percent } from '../domain/kpis'
import {
  belowMinRate,
  dueToStart,
  ratePerMinute,
  spokenDuration,
  startPendingTooLong,
  type AlertWatchSettings,
} from '../domain/alerts'
import { countSendingLogs } from '../persistence/sending-logs'
import {
  deliveriesNotStarted,
  markAlertEmailed,
  recordAlert,
  sendingThroughput,
  type AlertCriterion,
} from '../persistence/alerts'
import { deliveryLabel } from '../persistence/deliveries'

export interface AlertSettings {
  /** Bounces above this share of processed messages raise an alert. */
  bounceRatio: number
  /** Alerts are emailed here through the delivery relay (none: recorded only). */
  emails: string[]
}

export interface AlertDeps {
  db: Database
  mailer: Mailer
  defaultFrom: string
  alerts: AlertSettings
  clock: () => Date
}

/**
 * Records an alert once per criterion per delivery and emails it to the configured addresses. With
 * `emailInBackground` only the record is awaited: a relay that hangs does not hold up the caller (the
 * workflow task recording a failed status); the email's outcome is recorded when it has one.
 */
export async function raiseAlert(
  deps: AlertDeps,
  deliveryId: number,
  criterion: AlertCriterion,
  message: string,
  options: { emailInBackground?: boolean } = {},
): Promise<void> {
  const id = await recordAlert(deps.db, { deliveryId, criterion, message, at: deps.clock() })
  if (id === null || deps.alerts.emails.length === 0) return
  const emailing = emailAlert(deps, id, deliveryId, criterion, message)
  if (!options.emailInBackground) await emailing
}

async function emailAlert(
  deps: AlertDeps,
  id: number,
  deliveryId: number,
  criterion: AlertCriterion,
  message: string,
): Promise<void> {
  try {
    const label = await deliveryLabel(deps.db, deliveryId)
    await deps.mailer.transporter.sendMail({
      from: deps.defaultFrom,
      to: deps.alerts.emails,
      subject: `Herald alert: delivery ${deliveryId} "${(label ?? '').replace(/[\r\n]+/g, ' ')}"`,
      text: `${message}\n`,
      headers: { 'X-Herald-Alert': criterion, 'X-Herald-Delivery': String(deliveryId) },
    })
    await markAlertEmailed(deps.db, id, deps.alerts.emails, deps.clock())
  } catch (err) {
    // The alert stays recorded (and listed by the API) even when its email could not leave.
    console.warn(`alert ${id} for delivery ${deliveryId} could not be emailed: ${(err as Error).message}`)
  }
}

/** Raises the bounce-ratio alert when the delivery's bounces pass the threshold. */
export async function checkBounceRatio(deps: AlertDeps, deliveryId: number): Promise<void> {
  const counts = await countSendingLogs(deps.db, deliveryId)
  const outcome = { delivered: counts.sent, failed: counts.failed + counts.in_doubt }
  if (!bounceRatioExceeded(outcome, deps.alerts.bounceRatio)) return
  const processed = outcome.delivered + outcome.failed
  await raiseAlert(
    deps,
    deliveryId,
    'bounce_ratio',
    `Delivery ${deliveryId}: ${outcome.failed} of ${processed} processed messages bounced or failed ` +
      `(${percent(outcome.failed, processed)} %, threshold ${percent(deps.alerts.bounceRatio, 1)} %).`,
  )
}

/** Raises the delivery-failed alert: the send ended failed (a batch failed for good), with the reason. */
export async function alertDeliveryFailed(
  deps: AlertDeps,
  deliveryId: number,
  reason: string | null | undefined,
): Promise<void> {
  const counts = await countSendingLogs(deps.db, deliveryId)
  await raiseAlert(
    deps,
    deliveryId,
    'delivery_failed',
    `Delivery ${deliveryId} failed: ${reason || 'no reason recorded'}. ` +
      `${counts.sent} messages were sent; ${counts.failed + counts.in_doubt} failed or were left unsent.`,
    { emailInBackground: true },
  )
}

export interface WatchDeps extends AlertDeps {
  watch: AlertWatchSettings
}

/**
 * One look of the alert watchdog (the API runs it: the typical cause of a delivery that does not start
 * is that no worker runs). Several API processes may look at once; an alert is still raised once.
 */
export async function watchDeliveries(deps: WatchDeps): Promise<void> {
  await alertStartPending(deps)
  await alertMinRate(deps)
}

/** Confirmed deliveries not sending `startPendingMs` after they should have started. */
async function alertStartPending(deps: WatchDeps): Promise<void> {
  const now = deps.clock()
  const dueBefore = new Date(now.getTime() - deps.watch.startPendingMs)
  for (const d of await deliveriesNotStarted(deps.db, dueBefore)) {
    const due = dueToStart(d.confirmedAt, d.contactDate)
    if (!startPendingTooLong(due, now, deps.watch)) continue
    await raiseAlert(
      deps,
      d.id,
      'start_pending',
      `Delivery ${d.id} was confirmed but has not started sending ${spokenDuration(now.getTime() - due.getTime())} ` +
        `after it was due (${due.toISOString()}; threshold ${spokenDuration(deps.watch.startPendingMs)}). ` +
        'Is a worker running on its task queue?',
    )
  }
}

/** Deliveries sending fewer than `minRatePerMinute` messages a minute over the last window. */
async function alertMinRate(deps: WatchDeps): Promise<void> {
  if (deps.watch.minRatePerMinute <= 0) return
  const now = deps.clock()
  const windowMs = deps.watch.minRateWindowMs
  for (const d of await sendingThroughput(deps.db, new Date(now.getTime() - windowMs))) {
    if (!belowMinRate(d.processed, deps.watch)) continue
    const rate = Math.round(ratePerMinute(d.processed, windowMs) * 100) / 100
    await raiseAlert(
      deps,
      d.id,
      'min_rate',
      `Delivery ${d.id} is sending ${rate} messages per minute (${d.processed} in the last ` +
        `${spokenDuration(windowMs)}), below the minimum of ${deps.watch.minRatePerMinute}.`,
    )
  }
}
