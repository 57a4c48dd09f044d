import type { HeraldConfig } from '../../config/env'
import { deliveryWorkflowId } from '../../workflows/messages'
import { deliveryStatsWorkflowId } from '../../workflows/stats-messages'
import { recurringRunWorkflowId, recurringScheduleId } from '../../workflows/recurring-messages'

export type TemporalNames = ReturnType<typeof temporalNames>

/**
 * The ids Herald gives its workflows and schedules (each behind the installation's
 * HERALD_WORKFLOW_ID_PREFIX), and their pages in the Temporal UI.
 */
export function temporalNames(temporal: HeraldConfig['temporal']) {
  const prefix = temporal.workflowIdPrefix
  const namespaceUrl = `${temporal.uiUrl}/namespaces/${encodeURIComponent(temporal.namespace)}`
  const workflowUrl = (workflowId: string) => `${namespaceUrl}/workflows/${encodeURIComponent(workflowId)}`
  const scheduleId = (recurringId: number) => recurringScheduleId(recurringId, prefix)
  return {
    deliveryWorkflowId: (deliveryId: number) => deliveryWorkflowId(deliveryId, prefix),
    statsWorkflowId: (deliveryId: number) => deliveryStatsWorkflowId(deliveryId, prefix),
    scheduleId,
    /** What a schedule names its runs; Temporal appends the time each is for. */
    runWorkflowId: (recurringId: number) => recurringRunWorkflowId(recurringId, prefix),
    workflowUrl,
    deliveryUrl: (deliveryId: number) => workflowUrl(deliveryWorkflowId(deliveryId, prefix)),
    scheduleUrl: (recurringId: number) =>
      `${namespaceUrl}/schedules/${encodeURIComponent(scheduleId(recurringId))}`,
    /**
     * An execution has no workflow of its own: the runs that added to it carry its id in the
     * `DeliveryId` search attribute, and this page lists them.
     */
    executionRunsUrl: (executionId: number) =>
      `${namespaceUrl}/workflows?query=${encodeURIComponent(`DeliveryId="${executionId}"`)}`,
  }
}
