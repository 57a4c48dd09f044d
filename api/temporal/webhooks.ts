import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client'
import type { HeraldConfig } from '../../config/env'
import type { WebhookDispatchInput } from '../../workflows/webhook-messages'
import type { TemporalNames } from './names'

/** Starts the dispatcher workflow of each registered webhook endpoint (it ends once the endpoint is deleted). */
export class WebhookDispatchers {
  constructor(
    private readonly client: Client,
    private readonly names: TemporalNames,
    private readonly config: Pick<HeraldConfig, 'temporal' | 'webhooks'>,
  ) {}

  /** One already running under this id (a database wiped, not Temporal) serves the endpoint of that id. */
  async start(endpointId: number): Promise<void> {
    const input: WebhookDispatchInput = { endpointId, pollIntervalMs: this.config.webhooks.pollIntervalMs }
    try {
      await this.client.workflow.start('webhookDispatchWorkflow', {
        workflowId: this.names.webhookWorkflowId(endpointId),
        taskQueue: this.config.temporal.taskQueue,
        args: [input],
        staticSummary: `Webhook endpoint ${endpointId}`,
      })
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err
    }
  }
}
