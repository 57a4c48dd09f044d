import { proxyActivities, setCurrentDetails } from '@temporalio/workflow'
import type { createRetentionActivities, RetentionSettings } from '../activities/retention'

/** The schedule that runs retention: `herald-retention` (with the installation's workflow id prefix). */
export const retentionScheduleId = (prefix = '') => `${prefix}herald-retention`

const { purgeExpiredLogs, releaseQuarantines } = proxyActivities<
  ReturnType<typeof createRetentionActivities>
>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5s', maximumInterval: '5 minutes', backoffCoefficient: 2 },
})

export interface RetentionReport {
  deliveriesPurged: number
  logRowsDeleted: number
  quarantinesReleased: number
}

/**
 * One retention pass, started by the `herald-retention` schedule: the logs of deliveries ended more
 * than the retention period ago go (KPIs kept first), then soft quarantines past their release period end.
 */
export async function retentionWorkflow(settings: RetentionSettings): Promise<RetentionReport> {
  const report: RetentionReport = { deliveriesPurged: 0, logRowsDeleted: 0, quarantinesReleased: 0 }
  setCurrentDetails('Purging the logs of deliveries past the retention period')
  for (let more = true; more;) {
    const purged = await purgeExpiredLogs(settings)
    report.deliveriesPurged += purged.deliveries
    report.logRowsDeleted += purged.rows
    more = purged.more
  }
  setCurrentDetails('Releasing soft quarantines past their release period')
  report.quarantinesReleased = (await releaseQuarantines(settings)).released
  return report
}
