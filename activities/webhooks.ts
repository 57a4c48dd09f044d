import { ApplicationFailure, Context } from '@temporalio/activity'
import type { Database } from '../persistence/database'
import type { WebhookSettings } from '../config/env'
import { signatureHeaderValue } from '../domain/webhook-signature'
import {
  findWebhookEndpoint,
  markEventAbandoned,
  markEventDelivered,
  markEventFailed,
  nextPendingEvent,
  type OutboxEvent,
} from '../persistence/webhooks'

export interface WebhookDeps {
  db: Database
  webhooks: WebhookSettings
  clock: () => Date
}

/** What one dispatch found: the endpoint gone, nothing left to send, or more to send after a pause. */
export type DispatchOutcome = 'deleted' | 'idle' | 'more'

/** One activity sends at most this long, then hands back to its workflow (bounded attempts, fresh heartbeats). */
const dispatchSliceMs = 60_000

/** POSTs one event; resolves on a 2xx answer, rejects with what went wrong otherwise. */
async function post(
  endpoint: { url: string; secret: string },
  event: OutboxEvent,
  deps: WebhookDeps,
): Promise<void> {
  const timestamp = Math.floor(deps.clock().getTime() / 1000)
  const res = await fetch(endpoint.url, {
    method: 'POST',
    redirect: 'manual',
    signal: AbortSignal.timeout(deps.webhooks.requestTimeoutMs),
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Herald-Webhooks/1',
      'herald-event-id': event.eventId,
      'herald-event-type': event.type,
      'herald-signature': signatureHeaderValue(endpoint.secret, timestamp, event.payload),
    },
    body: event.payload,
  })
  // The answer's body is not read beyond what frees the connection.
  await res.body?.cancel()
  if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`)
}

function describe(err: unknown): string {
  const error = err as Error & { cause?: { code?: string; message?: string } }
  if (error.name === 'TimeoutError') return 'no answer in time'
  return [error.message, error.cause?.code ?? error.cause?.message].filter(Boolean).join(': ')
}

/**
 * Delivers an endpoint's pending events oldest first, each until it is accepted: a failed POST fails the
 * activity, which Temporal retries with backoff (the same event, the same id), so later events wait
 * behind it and arrive in order. An event still refused after the retry period is abandoned.
 */
export async function deliverWebhookEvents(deps: WebhookDeps, endpointId: number): Promise<DispatchOutcome> {
  const endpoint = await findWebhookEndpoint(deps.db, endpointId)
  if (!endpoint) return 'deleted'
  const until = Date.now() + dispatchSliceMs
  for (;;) {
    const event = await nextPendingEvent(deps.db, endpointId)
    if (!event) return 'idle'
    if (deps.clock().getTime() - event.createdAt.getTime() > deps.webhooks.retryPeriodMs) {
      await markEventAbandoned(deps.db, event.rowId)
      continue
    }
    try {
      await post(endpoint, event, deps)
    } catch (err) {
      const reason = describe(err)
      await markEventFailed(deps.db, event.rowId, reason)
      throw ApplicationFailure.retryable(
        `webhook ${endpointId}, event ${event.eventId}: ${reason}`,
        'WebhookRefused',
      )
    }
    await markEventDelivered(deps.db, event.rowId)
    Context.current().heartbeat()
    if (Date.now() > until) return 'more'
  }
}

export const createWebhookActivities = (deps: WebhookDeps) => ({
  deliverWebhookEvents(endpointId: number): Promise<DispatchOutcome> {
    return deliverWebhookEvents(deps, endpointId)
  },
})
