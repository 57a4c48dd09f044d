import { ApplicationFailure } from '@temporalio/common'
import type { Database } from '../persistence/database'
import type { Mailer } from '../mail/transport'
import type { SendRateLimiter } from '../mail/rate-limiter'
import type { DeliveryChanges } from '../domain/delivery'
import type { EntityManager } from '@mikro-orm/knex'
import { Delivery, type IDelivery } from '../persistence/entities'
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
import {
  hasCriticalProblem,
  preparationMessages,
  type PreparationMessage,
  type PreparationReport,
} from '../domain/preparation'
import { audienceProblem, preparationInputInvalid } from '../domain/delivery-input'
import type { QuarantineRules } from '../domain/quarantine'
import { replaceTrackedUrls } from '../persistence/tracking'
import { computeDeliveryStats, refreshDeliveryStats } from '../persistence/stats'
import type { StatsFigures } from '../domain/kpis'
import { sendBatch, type BatchResult, type SendBatchInput } from './send-batch'
import { checkBounceRatio, raiseAlert, type AlertSettings } from './alerts'
import { createRecurringActivities } from './recurring'
import { createImportActivities } from './imports'
import { createRetentionActivities } from './retention'

export type { BatchResult, SendBatchInput, StatsFigures }
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
}

/** What the stats workflow learns from a refresh; null once the delivery is gone. */
export type StatsResult = { figures: StatsFigures; tracking: boolean } | null

/** During a send, the bounce ratio is checked at most this often per delivery (and always by Compute stats). */
const bounceCheckIntervalMs = 30_000

export interface PreparationResult {
  toDeliver: number
  batches: number
  critical: boolean
}

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
  const trackingOf = async (deliveryId: number): Promise<boolean | null> => {
    const row = await db.knex('delivery').select('tracking').where('id', deliveryId).first()
    return row ? Boolean(row.tracking) : null
  }

  const alertPreparationFailed = async (deliveryId: number, messages: PreparationMessage[]) => {
    const problems = messages.filter((m) => m.severity === 'critical').map((m) => `- ${m.message}`)
    await raiseAlert(
      alertDeps,
      deliveryId,
      'preparation_failed',
      `The preparation of delivery ${deliveryId} failed:\n${problems.join('\n')}`,
    )
  }

  /**
   * A delivery whose own data cannot be prepared (an audience the API would refuse, stored before a rule
   * existed) fails its preparation for good: retrying cannot fix it. The report says why, no earlier
   * sending log stays behind, and the workflow ends the preparation as failed.
   */
  const failPreparation = async (em: EntityManager, delivery: IDelivery, reason: string): Promise<never> => {
    const messages: PreparationMessage[] = [
      { severity: 'critical', message: `the delivery cannot be prepared: ${reason}` },
    ]
    await db.knex.transaction(async (trx) => {
      await trx('sending_log').where('delivery_id', delivery.id).delete()
      await trx('exclusion_log').where('delivery_id', delivery.id).delete()
    })
    const report = {
      preparedAt: clock().toISOString(),
      target: 0,
      toDeliver: 0,
      excluded: {},
      messages,
      batches: 0,
    }
    em.assign(delivery, { preparationReport: report, messagesToDeliver: 0, targetCount: 0, excludedCount: 0 })
    await em.flush()
    await alertPreparationFailed(delivery.id, messages)
    throw ApplicationFailure.nonRetryable(messages[0].message, preparationInputInvalid)
  }

  return {
    /** Target, exclusion logs and pending sending logs, set-based; the report says what blocks the send. */
    async prepareDelivery(input: { deliveryId: number; batchSize: number }): Promise<PreparationResult> {
      const em = db.em()
      const delivery = await em.findOne(Delivery, input.deliveryId)
      if (!delivery)
        throw ApplicationFailure.nonRetryable(`delivery ${input.deliveryId} not found`, 'DeliveryNotFound')
      const invalid = audienceProblem(delivery.audience)
      if (invalid) return failPreparation(em, delivery, invalid)
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
      await replaceTrackedUrls(db, delivery)
      const critical = hasCriticalProblem(messages)
      if (critical) await alertPreparationFailed(delivery.id, messages)
      return { toDeliver: counts.toDeliver, batches: counts.batches, critical }
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
      return sendBatch({ ...deps, clock, onFailures: checkBouncesNowAndThen }, input)
    },

    /** Compute stats: every KPI from the sending and tracking logs at once; checks the bounce ratio. */
    async computeStats(deliveryId: number): Promise<StatsResult> {
      const tracking = await trackingOf(deliveryId)
      if (tracking === null) return null
      const figures = await computeDeliveryStats(db, deliveryId, clock())
      await checkBounceRatio(alertDeps, deliveryId)
      return { figures, tracking }
    },

    /** The hourly refresh of open and click rates: reads only the tracking logs new since the last one. */
    async refreshStats(deliveryId: number): Promise<StatsResult> {
      const tracking = await trackingOf(deliveryId)
      if (tracking === null) return null
      const figures =
        (await refreshDeliveryStats(db, deliveryId, clock())) ??
        (await computeDeliveryStats(db, deliveryId, clock()))
      return { figures, tracking }
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
    ...createImportActivities({ db }),
    ...createRetentionActivities({ db, clock }),
  }
}

export type HeraldActivities = ReturnType<typeof createActivities>
