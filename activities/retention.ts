import { Context } from '@temporalio/activity'
import type { Database } from '../persistence/database'
import {
  deleteLogBatch,
  deliveriesToPurge,
  keepKpisBeforePurge,
  releaseSoftQuarantines,
} from '../persistence/retention'

export interface RetentionSettings {
  logRetentionMs: number
  quarantineReleaseMs: number
  batchSize: number
}

/** An activity returns after about this long, so that a retry after a crash starts from little lost work. */
const activityBudgetMs = 60_000

/** The retention schedule's activities: purge expired logs, release old soft quarantines. */
export const createRetentionActivities = (deps: { db: Database; clock: () => Date }) => ({
  /** Purges the logs of deliveries that ended before the retention period; `more` when time ran out first. */
  async purgeExpiredLogs(
    settings: RetentionSettings,
  ): Promise<{ deliveries: number; rows: number; more: boolean }> {
    const started = Date.now()
    const cutoff = new Date(deps.clock().getTime() - settings.logRetentionMs)
    let deliveries = 0
    let rows = 0
    for (const deliveryId of await deliveriesToPurge(deps.db, cutoff, 100)) {
      await keepKpisBeforePurge(deps.db, deliveryId, deps.clock())
      for (let deleted = -1; deleted !== 0;) {
        deleted = await deleteLogBatch(deps.db, deliveryId, settings.batchSize)
        rows += deleted
        Context.current().heartbeat({ deliveryId, rows })
        if (Date.now() - started > activityBudgetMs) return { deliveries, rows, more: true }
      }
      deliveries++
    }
    return { deliveries, rows, more: deliveries === 100 }
  },

  /** Releases soft quarantines older than the release period, each recorded in the address's history. */
  async releaseQuarantines(settings: RetentionSettings): Promise<{ released: number }> {
    const cutoff = new Date(deps.clock().getTime() - settings.quarantineReleaseMs)
    const reason = `soft quarantine released after ${Math.round(settings.quarantineReleaseMs / 1000)} s`
    let released = 0
    for (;;) {
      const emails = await releaseSoftQuarantines(deps.db, cutoff, settings.batchSize, deps.clock(), reason)
      released += emails.length
      Context.current().heartbeat(released)
      if (emails.length < settings.batchSize) return { released }
    }
  },
})
