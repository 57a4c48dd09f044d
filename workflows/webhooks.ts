import { continueAsNew, proxyActivities, setCurrentDetails, sleep, workflowInfo } from '@temporalio/workflow'
import type { HeraldActivities } from '../activities'
import type { WebhookDispatchInput } from './webhook-messages'

/**
 * A failed POST fails the activity, and Temporal tries it again with backoff — 1 s, 2 s, 4 s … at most
 * 5 minutes apart — until the event is accepted or its retry period (checked by the activity) is over.
 * A heartbeat after each event; a POST waits at most 30 s, so a lost worker is noticed within a minute.
 */
const { deliverWebhookEvents } = proxyActivities<HeraldActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5 minutes' },
})

/** Polls per run: about ten history events each, so a run's history stays far below Temporal's limits. */
const passesPerRun = 500

/**
 * Delivers one endpoint's events, in order, for as long as the endpoint exists. Sending never waits for
 * it: deliveries only write events into the outbox (persistence/webhooks.ts), this workflow reads them.
 */
export async function webhookDispatchWorkflow(input: WebhookDispatchInput): Promise<void> {
  for (let pass = 0; pass < passesPerRun && !workflowInfo().continueAsNewSuggested; pass++) {
    setCurrentDetails(`delivering the events of webhook endpoint ${input.endpointId}`)
    const outcome = await deliverWebhookEvents(input.endpointId)
    if (outcome === 'deleted') return
    if (outcome === 'idle') {
      setCurrentDetails(`nothing to deliver; looking again in ${input.pollIntervalMs} ms`)
      await sleep(input.pollIntervalMs)
    }
  }
  await continueAsNew<typeof webhookDispatchWorkflow>(input)
}
