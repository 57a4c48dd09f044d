/** What the API needs to start a webhook endpoint's dispatcher (workflows/webhooks.ts). */

/** `webhook-3`: the dispatcher of webhook endpoint 3 (one per endpoint, started when it is registered). */
export const webhookWorkflowId = (endpointId: number, prefix = '') => `${prefix}webhook-${endpointId}`

export interface WebhookDispatchInput {
  endpointId: number
  /** How long an endpoint with nothing to send waits before it looks again. */
  pollIntervalMs: number
}
