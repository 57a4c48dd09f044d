import type { Client } from '@temporalio/client'
import type { HeraldConfig } from '../../config/env'
import type { Database } from '../../persistence/database'
import { DeliveryWorkflows } from './deliveries'
import { temporalNames } from './names'
import { RecurringSchedules } from './schedules'
import { StatsWorkflows } from './stats'
import { WebhookDispatchers } from './webhooks'

export type HeraldTemporal = ReturnType<typeof heraldTemporal>
export { ScheduleUnanswered, type ScheduleView } from './schedules'

/**
 * Everything the API asks of Temporal, behind one object: delivery workflows and their commands, the
 * stats workflows, the recurring schedules, the webhook dispatchers, and the ids and Temporal UI links of them all.
 */
export function heraldTemporal(client: Client, config: HeraldConfig, db: Database) {
  const names = temporalNames(config.temporal)
  return {
    /** For the workflows that have no module here of their own (CSV imports). */
    client,
    names,
    deliveries: new DeliveryWorkflows(client, names, config),
    stats: new StatsWorkflows(client, names, db),
    schedules: new RecurringSchedules(client, names, config),
    webhooks: new WebhookDispatchers(client, names, config),
  }
}
