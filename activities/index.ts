import { ApplicationFailure } from '@temporalio/common'
import type { Database } from '../persistence/database'
import type { Mailer } from '../mail/transport'
import type { SendRateLimiter } from '../mail/rate-limiter'
import type { DeliveryChanges } from '../domain/delivery'
import { Delivery } from '../persistence/entities'
import { prepareTarget } from '../persistence/preparation'
import {
  deleteDeliveryRow,
  failUnfinishedLogs,
  recordDeliveryState,
  saveDeliveryChanges,
  saveDeliverySchedule,
  type DeliveryStatePatch,
} from '../persistence/deliveries'
import { expireRetries as expireRetryLogs, retryWork, type RetryWork } from '../persistence/sending-logs'
import { hasCriticalProblem, preparationMessages, type PreparationReport } from '../domain/preparation'
import { sendBatch, type BatchResult, type SendBatchInput } from './send-batch'
import { createRecurringActivities } from './recurring'

export type { BatchResult, SendBatchInput }
export type { BeginRunInput, BeginRunResult, PrepareRunInput, PreparedRun } from './recurring'

export interface ActivityDeps {
  db: Database
  mailer: Mailer
  rateLimiter: SendRateLimiter
  messageIdDomain: string
  defaultFrom: string
  clock?: () => Date
}

export interface PreparationResult {
  toDeliver: number
  batches: number
  critical: boolean
}

/** Herald's activities, bound to their dependencies (database, SMTP pool, rate limiter, clock). */
export const createActivities = (deps: ActivityDeps) => {
  const { db } = deps
  const clock = deps.clock ?? (() => new Date())

  return {
    /** Target, exclusion logs and pending sending logs, set-based; the report says what blocks the send. */
    async prepareDelivery(input: { deliveryId: number; batchSize: number }): Promise<PreparationResult> {
      const em = db.em()
      const delivery = await em.findOne(Delivery, input.deliveryId)
      if (!delivery)
        throw ApplicationFailure.nonRetryable(`delivery ${input.deliveryId} not found`, 'DeliveryNotFound')
      const counts = await prepareTarget(db, delivery, input.batchSize)
      const messages = preparationMessages(delivery, counts)
      const report: PreparationReport = { preparedAt: clock().toISOString(), ...counts, messages }
      em.assign(delivery, {
        preparationReport: report,
        messagesToDeliver: counts.toDeliver,
        targetCount: counts.target,
        excludedCount: counts.target - counts.toDeliver,
        preparedVersion: delivery.version,
      })
      await em.flush()
      return { toDeliver: counts.toDeliver, batches: counts.batches, critical: hasCriticalProblem(messages) }
    },

    async recordState(deliveryId: number, patch: DeliveryStatePatch): Promise<void> {
      await recordDeliveryState(db, deliveryId, patch)
    },

    async saveEdit(deliveryId: number, changes: DeliveryChanges): Promise<void> {
      await saveDeliveryChanges(db, deliveryId, changes)
    },

    async saveSchedule(
      deliveryId: number,
      contactDate: number | null,
      timeZone?: string | null,
    ): Promise<void> {
      await saveDeliverySchedule(db, deliveryId, contactDate, timeZone)
    },

    async deleteDelivery(deliveryId: number): Promise<void> {
      await deleteDeliveryRow(db, deliveryId)
    },

    sendBatch(input: SendBatchInput): Promise<BatchResult> {
      return sendBatch({ ...deps, clock }, input)
    },

    /** What is left once every batch ran: due retries, the next retry time, unfinished messages. */
    remainingWork(deliveryId: number): Promise<RetryWork> {
      return retryWork(db, deliveryId, clock())
    },

    expireRetries(deliveryId: number): Promise<number> {
      return expireRetryLogs(db, deliveryId, clock())
    },

    failUnfinished(deliveryId: number, reason: string): Promise<number> {
      return failUnfinishedLogs(db, deliveryId, reason)
    },

    ...createRecurringActivities({ db, clock }),
  }
}

export type HeraldActivities = ReturnType<typeof createActivities>
