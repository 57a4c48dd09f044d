import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client'
import type { HeraldConfig } from '../config/env'
import type { RetentionSettings } from '../activities/retention'
import { retentionScheduleId } from '../workflows/retention'

/**
 * Creates the `herald-retention` schedule, or brings an existing one to the current settings (every
 * worker calls this at startup; the first creates it). Its clock lives in the Temporal server: a pass
 * runs while no worker is up too, once one comes back. Visible, pausable and triggerable in the Temporal UI.
 */
export async function ensureRetentionSchedule(
  client: Client,
  config: Pick<HeraldConfig, 'temporal' | 'retention'>,
) {
  const scheduleId = retentionScheduleId(config.temporal.workflowIdPrefix)
  const settings: RetentionSettings = {
    logRetentionMs: config.retention.logRetentionMs,
    quarantineReleaseMs: config.retention.quarantineReleaseMs,
    batchSize: config.retention.batchSize,
  }
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'retentionWorkflow',
    workflowId: `${scheduleId}-pass`,
    taskQueue: config.temporal.taskQueue,
    args: [settings],
  }
  const spec = { intervals: [{ every: config.retention.intervalMs }] }
  // A pass still running when the next is due makes the next one wait its turn rather than pile up.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 3600_000 }
  try {
    await client.schedule.create({ scheduleId, spec, action, policies })
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err
    await client.schedule
      .getHandle(scheduleId)
      .update((previous) => ({ ...previous, spec, action, policies }))
  }
  return client.schedule.getHandle(scheduleId)
}
