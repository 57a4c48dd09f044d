import type { Database } from '../persistence/database'
import type { Mailer } from '../mail/transport'
import { bounceRatioExceeded, percent } from '../domain/kpis'
import { countSendingLogs } from '../persistence/sending-logs'
import { markAlertEmailed, recordAlert, type AlertCriterion } from '../persistence/alerts'
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

/** Records an alert once per criterion per delivery and emails it to the configured addresses. */
export async function raiseAlert(
  deps: AlertDeps,
  deliveryId: number,
  criterion: AlertCriterion,
  message: string,
): Promise<void> {
  const id = await recordAlert(deps.db, { deliveryId, criterion, message, at: deps.clock() })
  if (id === null || deps.alerts.emails.length === 0) return
  const label = await deliveryLabel(deps.db, deliveryId)
  try {
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
