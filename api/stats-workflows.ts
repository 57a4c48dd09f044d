import { WorkflowNotFoundError, type Client } from '@temporalio/client'
import type { HeraldConfig } from '../config/env'
import type { StatsFigures } from '../domain/kpis'
import type { Database } from '../persistence/database'
import { computeDeliveryStats } from '../persistence/stats'
import { computeStats, deliveryStatsWorkflowId } from '../workflows/stats-messages'

const commandDeadlineMs = 20_000

/** Compute stats: through the delivery's stats workflow while it runs, directly once it has ended. */
export class StatsWorkflows {
  constructor(
    private readonly client: Client,
    private readonly config: Pick<HeraldConfig, 'temporal'>,
    private readonly db: Database,
  ) {}

  workflowId(deliveryId: number): string {
    return deliveryStatsWorkflowId(deliveryId, this.config.temporal.workflowIdPrefix)
  }

  async compute(deliveryId: number): Promise<StatsFigures> {
    try {
      return await this.client.withDeadline(Date.now() + commandDeadlineMs, () =>
        this.client.workflow.getHandle(this.workflowId(deliveryId)).executeUpdate(computeStats),
      )
    } catch (err) {
      // Not started yet (the send has not ended) or closed (the tracking period is over).
      if (!(err instanceof WorkflowNotFoundError)) throw err
      return computeDeliveryStats(this.db, deliveryId, new Date())
    }
  }
}
