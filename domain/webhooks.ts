import type { DeliveryStatus } from './delivery-states'
import type { RunStatus } from './recurring-runs'

/** Outgoing webhooks (SPEC.md "Operating it"): which events there are and when each happens. Pure. */

export const webhookEventTypes = [
  'delivery.prepared',
  'delivery.approved',
  'delivery.confirmed',
  'delivery.sending',
  'delivery.finished',
  'delivery.failed',
  'delivery.stopped',
  'alert.raised',
  'recurring.run.waiting_for_confirmation',
  'recurring.run.expired',
] as const
export type WebhookEventType = (typeof webhookEventTypes)[number]

/** What the workflow records on a status change, as far as events are concerned. */
export interface DeliveryTransition {
  status?: DeliveryStatus
  approvedBy?: string
  confirmedBy?: string | null
}

/** Statuses a send starts (or resumes) from: leaving a soft-bounce wait is not a new `delivery.sending`. */
const sendingFrom: readonly (DeliveryStatus | null)[] = ['ready', 'start_pending', 'paused']

/**
 * The events a delivery's recorded change raises, given the status it had. Nothing when the status did
 * not change: a local activity run again after a lost workflow task records the same change twice, and
 * must not raise its events twice.
 */
export function deliveryEventsFor(
  previous: DeliveryStatus | null,
  change: DeliveryTransition,
): WebhookEventType[] {
  const next = change.status
  if (!next || next === previous) return []
  const events: WebhookEventType[] = []
  if (previous === 'preparing' && (next === 'awaiting_approval' || next === 'ready'))
    events.push('delivery.prepared')
  if (previous === 'awaiting_approval' && next === 'ready' && change.approvedBy)
    events.push('delivery.approved')
  if (change.confirmedBy) events.push('delivery.confirmed')
  if (next === 'sending' && sendingFrom.includes(previous)) events.push('delivery.sending')
  if (next === 'finished' || next === 'failed' || next === 'stopped') events.push(`delivery.${next}`)
  return events
}

/** The event a recurring run's recorded status raises, if any (again only on a change). */
export function runEventFor(
  previous: RunStatus | null,
  next: RunStatus | undefined,
): WebhookEventType | null {
  if (!next || next === previous) return null
  if (next === 'waiting_for_confirmation') return 'recurring.run.waiting_for_confirmation'
  if (next === 'expired') return 'recurring.run.expired'
  return null
}

export const webhookUrlMaxLength = 2000

/**
 * Why an endpoint URL cannot be used, or null. Only absolute http(s) URLs, without credentials (the list
 * shows the URL; a secret belongs in `secret`) or a fragment (never sent).
 */
export function webhookUrlProblem(raw: string): string | null {
  if (raw.length > webhookUrlMaxLength) return `longer than ${webhookUrlMaxLength} characters`
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'not an absolute URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://'
  if (!url.hostname) return 'has no host'
  if (url.username || url.password) return 'must not carry a user name or password'
  if (url.hash) return 'must not have a #fragment'
  return null
}
