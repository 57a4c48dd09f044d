import { WorkflowNotFoundError, type Client } from '@temporalio/client'
import type { StatsFigures } from '../../domain/kpis'
import type { Database } from '../../persistence/database'
import { computeDeliveryStats } from '../../persistence/stats'
import { computeStats } from '../../workflows/stats-messages'
import { withCommandDeadline } from './deadline'
import type { TemporalNames } from './names'

/** Compute stats: through the delivery's stats workflow while it runs, directly once it has ended. */
export class StatsWorkflows {
  constructor(
    private readonly client: Client,
    private readonly names: TemporalNames,
    private readonly db: Database,
  ) {}

  async compute(deliveryId: number): Promise<StatsFigures> {
    try {
      return await withCommandDeadline(this.client, () =>
        this.client.workflow.getHandle(this.names.statsWorkflowId(deliveryId)).executeUpdate(computeStats),
      )
    } catch (err) {
      // Not started yet (the send has not ended) or closed (the tracking period is over).
      if (!(err instanceof WorkflowNotFoundError)) throw err
      return computeDeliveryStats(this.db, deliveryId, new Date())
    }
  }
}
