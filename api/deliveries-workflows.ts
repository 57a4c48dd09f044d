import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client'
import type { UpdateDefinition } from '@temporalio/common'
import type { HeraldConfig } from '../config/env'
import type { IDelivery } from '../persistence/entities'
import type { DeliveryWorkflowInput } from '../workflows/delivery'
import {
  DeliveryIdAttribute,
  DeliveryStatusAttribute,
  deliveryWorkflowId,
  type Actor,
  type DeliveryView,
} from '../workflows/messages'

/** How long the API waits for a worker to take a command before answering 503. */
const commandDeadlineMs = 20_000

/** Starts delivery workflows and sends them users' commands (updates). */
export class DeliveryWorkflows {
  constructor(
    private readonly client: Client,
    private readonly config: Pick<HeraldConfig, 'temporal' | 'delivery' | 'approverMustDiffer'>,
  ) {}

  async start(delivery: IDelivery): Promise<void> {
    const input: DeliveryWorkflowInput = {
      deliveryId: delivery.id,
      createdBy: delivery.createdBy,
      requireApproval: delivery.requireApproval,
      approverMustDiffer: this.config.approverMustDiffer,
      contactDate: delivery.contactDate ? delivery.contactDate.getTime() : null,
      settings: this.config.delivery,
    }
    try {
      await this.client.workflow.start('deliveryWorkflow', {
        workflowId: deliveryWorkflowId(delivery.id),
        taskQueue: this.config.temporal.taskQueue,
        args: [input],
        typedSearchAttributes: [
          { key: DeliveryIdAttribute, value: String(delivery.id) },
          { key: DeliveryStatusAttribute, value: delivery.status },
        ],
        staticSummary: `Delivery ${delivery.id}: ${delivery.label}`,
      })
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err
    }
  }

  /**
   * Sends a command; the workflow's validator refuses illegal ones (409) before they enter history.
   * A draft whose workflow never started (the API stopped between the two writes) gets it started.
   */
  async command<A extends Actor>(
    delivery: IDelivery,
    update: UpdateDefinition<DeliveryView, [A]>,
    input: A,
  ): Promise<DeliveryView> {
    const send = () =>
      this.client.withDeadline(Date.now() + commandDeadlineMs, () =>
        this.client.workflow.getHandle(deliveryWorkflowId(delivery.id)).executeUpdate(update, { args: [input] }),
      )
    try {
      return await send()
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || delivery.status !== 'draft') throw err
      await this.start(delivery)
      return send()
    }
  }

  temporalUrl(deliveryId: number): string {
    const { uiUrl, namespace } = this.config.temporal
    return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${deliveryWorkflowId(deliveryId)}`
  }
}
