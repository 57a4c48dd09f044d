import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client'
import type { UpdateDefinition } from '@temporalio/common'
import type { HeraldConfig } from '../../config/env'
import type { IDelivery } from '../../persistence/entities'
import type { DeliveryWorkflowInput } from '../../workflows/delivery'
import {
  DeliveryIdAttribute,
  DeliveryStatusAttribute,
  type Actor,
  type DeliveryView,
} from '../../workflows/messages'
import { ApiError, conflict } from '../errors'
import { commandUpdateId } from '../idempotency'
import { withCommandDeadline } from './deadline'
import type { TemporalNames } from './names'

/** Starts delivery workflows and sends them users' commands (updates). */
export class DeliveryWorkflows {
  constructor(
    private readonly client: Client,
    private readonly names: TemporalNames,
    private readonly config: Pick<HeraldConfig, 'temporal' | 'delivery' | 'approverMustDiffer'>,
  ) {}

  /**
   * Starts a new delivery's workflow. Its id is taken: another database uses this namespace (or data
   * was wiped but not Temporal's), and the delivery must not be attached to someone else's workflow.
   */
  async create(delivery: IDelivery): Promise<void> {
    try {
      await this.start(delivery)
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err
      throw new ApiError(
        500,
        'workflow_id_taken',
        `workflow ${this.names.deliveryWorkflowId(delivery.id)} already exists in namespace ${this.config.temporal.namespace}: does another Herald database use it? Set HERALD_WORKFLOW_ID_PREFIX`,
      )
    }
  }

  private async start(delivery: IDelivery): Promise<void> {
    const input: DeliveryWorkflowInput = {
      deliveryId: delivery.id,
      createdBy: delivery.createdBy,
      requireApproval: delivery.requireApproval,
      approverMustDiffer: this.config.approverMustDiffer,
      contactDate: delivery.contactDate ? delivery.contactDate.getTime() : null,
      settings: this.config.delivery,
      workflowIdPrefix: this.config.temporal.workflowIdPrefix,
    }
    await this.client.workflow.start('deliveryWorkflow', {
      workflowId: this.names.deliveryWorkflowId(delivery.id),
      taskQueue: this.config.temporal.taskQueue,
      args: [input],
      typedSearchAttributes: [
        { key: DeliveryIdAttribute, value: String(delivery.id) },
        { key: DeliveryStatusAttribute, value: delivery.status },
      ],
      staticSummary: `Delivery ${delivery.id}: ${delivery.label}`,
    })
  }

  /**
   * Sends a command; the workflow's validator refuses illegal ones (409) before they enter history. A
   * request's Idempotency-Key makes its retries the same update (api/idempotency.ts).
   * A draft whose workflow never started (the API stopped between the two writes) gets it started.
   */
  async command<A extends Actor>(
    delivery: IDelivery,
    update: UpdateDefinition<DeliveryView, [A]>,
    input: A,
  ): Promise<DeliveryView> {
    if (delivery.recurringId) {
      throw conflict(
        `delivery ${delivery.id} is an execution of recurring delivery ${delivery.recurringId}: its runs send it; act on the recurring delivery`,
      )
    }
    const updateId = commandUpdateId(update.name)
    const send = () =>
      withCommandDeadline(this.client, () =>
        this.client.workflow
          .getHandle(this.names.deliveryWorkflowId(delivery.id))
          .executeUpdate(update, { args: [input], updateId }),
      )
    try {
      return await send()
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || delivery.status !== 'draft') throw err
      await this.start(delivery).catch((startErr: unknown) => {
        if (!(startErr instanceof WorkflowExecutionAlreadyStartedError)) throw startErr
      })
      return send()
    }
  }
}
