import type { Database } from '../persistence/database'
import type { Mailer } from '../mail/transport'
import type { SendRateLimiter } from '../mail/rate-limiter'
import type { DeliveryChanges } from '../domain/delivery'
import type { Wave } from '../domain/waves'
import {
  deleteDeliveryRow,
  failUnfinishedLogs,
  moveRemainingWaves,
  recordDeliveryState,
  saveDeliveryChanges,
  saveDeliverySchedule,
  type DeliveryStatePatch,
} from '../persistence/deliveries'
import { expireRetries as expireRetryLogs, retryWork, type RetryWork } from '../persistence/sending-logs'
import type { QuarantineRules } from '../domain/quarantine'
import type { StatsFigures } from '../domain/kpis'
import { sendBatch, type BatchResult, type SendBatchInput } from './send-batch'
import { alertDeliveryFailed, checkBounceRatio, type AlertSettings } from './alerts'
import { createPreparationActivities } from './preparation'
import { createRecurringActivities } from './recurring'
import { createStatsActivities } from './stats'
import { createWebhookActivities } from './webhooks'
import type { WebhookSettings } from '../config/env'
import { countBatch, countMessages } from '../observability/metrics'
import { createImportActivities } from './imports'
import { createRetentionActivities } from './retention'

export type { BatchResult, SendBatchInput, StatsFigures }
export type { PreparationResult } from './preparation'
export type { StatsResult } from './stats'
export type { DispatchOutcome } from './webhooks'
export type { BeginRunInput, BeginRunResult, PrepareRunInput, PreparedRun } from './recurring'

export interface ActivityDeps {
  db: Database
  mailer: Mailer
  rateLimiter: SendRateLimiter
  messageIdDomain: string
  defaultFrom: string
  clock?: () => Date
  /** Signs the tracking links (open pixel, clicks, unsubscribe, mirror page) under the public URL. */
  tracking: { secret: string; publicUrl: string }
  quarantine: QuarantineRules
  alerts: AlertSettings
  webhooks: WebhookSettings
}

/** During a send, the bounce ratio is checked at most this often per delivery (and always by Compute stats). */
const bounceCheckIntervalMs = 30_000

/** Herald's activities, bound to their dependencies (database, SMTP pool, rate limiter, clock). */
export const createActivities = (deps: ActivityDeps) => {
  const { db } = deps
  const clock = deps.clock ?? (() => new Date())
  const alertDeps = { ...deps, clock }
  const lastBounceCheck = new Map<number, number>()
  const checkBouncesNowAndThen = async (deliveryId: number) => {
    const now = Date.now()
    if (now - (lastBounceCheck.get(deliveryId) ?? 0) < bounceCheckIntervalMs) return
    lastBounceCheck.set(deliveryId, now)
    await checkBounceRatio(alertDeps, deliveryId)
  }

  return {
    ...createPreparationActivities(alertDeps),

    /** Records a status; a send that ends failed (a delivery's or a recurring execution's) raises its alert. */
    async recordState(deliveryId: number, patch: DeliveryStatePatch): Promise<void> {
      await recordDeliveryState(db, deliveryId, patch)
      if (patch.status === 'failed') await alertDeliveryFailed(alertDeps, deliveryId, patch.sendError)
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

    /** A new contact time for the waves not started yet: their planned instants, as the workflow now keeps them. */
    moveRemainingWaves(deliveryId: number, fromBatch: number): Promise<Wave[]> {
      return moveRemainingWaves(db, deliveryId, fromBatch)
    },

    async deleteDelivery(deliveryId: number): Promise<void> {
      await deleteDeliveryRow(db, deliveryId)
    },

    sendBatch(input: SendBatchInput): Promise<BatchResult> {
      return countBatch(sendBatch({ ...deps, clock, onFailures: checkBouncesNowAndThen }, input))
    },

    ...createStatsActivities(alertDeps),

    /** What is left once every batch ran: due retries, the next retry time, unfinished messages. */
    remainingWork(deliveryId: number): Promise<RetryWork> {
      return retryWork(db, deliveryId, clock())
    },

    async expireRetries(deliveryId: number): Promise<number> {
      const failed = await expireRetryLogs(db, deliveryId, clock())
      countMessages('failed', failed, 'soft')
      return failed
    },

    async failUnfinished(deliveryId: number, reason: string): Promise<number> {
      const failed = await failUnfinishedLogs(db, deliveryId, reason)
      countMessages('failed', failed, 'soft')
      return failed
    },

    ...createRecurringActivities({ db, clock }),
    ...createWebhookActivities({ db, clock, webhooks: deps.webhooks }),
    ...createImportActivities({ db }),
    ...createRetentionActivities({ db, clock }),
  }
}

export type HeraldActivities = ReturnType<typeof createActivities>
