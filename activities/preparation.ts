import { ApplicationFailure } from '@temporalio/common'
import type { IDelivery } from '../persistence/entities'
import { prepareTarget } from '../persistence/preparation'
import { discardPreparationLogs, findDelivery, recordPreparation } from '../persistence/deliveries'
import { replaceTrackedUrls } from '../persistence/tracking'
import {
  hasCriticalProblem,
  preparationMessages,
  type PreparationMessage,
  type PreparationReport,
} from '../domain/preparation'
import { audienceProblem, preparationInputInvalid } from '../domain/delivery-input'
import { raiseAlert, type AlertDeps } from './alerts'
import type { Wave } from '../domain/waves'

export interface PreparationResult {
  toDeliver: number
  batches: number
  critical: boolean
  /** A delivery sent at each recipient's local time: its waves, earliest first. */
  waves?: Wave[]
}

/** The preparation of a (one-off) delivery: its target, exclusion and sending logs, and its report. */
export const createPreparationActivities = (deps: AlertDeps) => {
  const { db, clock } = deps

  const alertPreparationFailed = async (deliveryId: number, messages: PreparationMessage[]) => {
    const problems = messages.filter((m) => m.severity === 'critical').map((m) => `- ${m.message}`)
    await raiseAlert(
      deps,
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
  const failPreparation = async (delivery: IDelivery, reason: string): Promise<never> => {
    const messages: PreparationMessage[] = [
      { severity: 'critical', message: `the delivery cannot be prepared: ${reason}` },
    ]
    await discardPreparationLogs(db, delivery.id)
    const report = {
      preparedAt: clock().toISOString(),
      target: 0,
      toDeliver: 0,
      excluded: {},
      messages,
      batches: 0,
    }
    await recordPreparation(db, delivery.id, {
      preparationReport: report,
      messagesToDeliver: 0,
      targetCount: 0,
      excludedCount: 0,
    })
    await alertPreparationFailed(delivery.id, messages)
    throw ApplicationFailure.nonRetryable(messages[0].message, preparationInputInvalid)
  }

  return {
    /** Target, exclusion logs and pending sending logs, set-based; the report says what blocks the send. */
    async prepareDelivery(input: { deliveryId: number; batchSize: number }): Promise<PreparationResult> {
      const delivery = await findDelivery(db, input.deliveryId)
      if (!delivery)
        throw ApplicationFailure.nonRetryable(`delivery ${input.deliveryId} not found`, 'DeliveryNotFound')
      const invalid = audienceProblem(delivery.audience)
      if (invalid) return failPreparation(delivery, invalid)
      const counts = await prepareTarget(db, delivery, input.batchSize)
      const messages = preparationMessages(delivery, counts)
      if (delivery.recipientTimeZone && !delivery.contactDate)
        messages.push({
          severity: 'critical',
          message: 'the contact date is read in each recipient’s time zone, but the delivery has none',
        })
      const report: PreparationReport = { preparedAt: clock().toISOString(), ...counts, messages }
      await recordPreparation(db, delivery.id, {
        preparationReport: report,
        messagesToDeliver: counts.toDeliver,
        targetCount: counts.target,
        excludedCount: counts.target - counts.toDeliver,
        preparedVersion: delivery.version,
      })
      await replaceTrackedUrls(db, delivery)
      const critical = hasCriticalProblem(messages)
      if (critical) await alertPreparationFailed(delivery.id, messages)
      const waves = counts.waves ? { waves: counts.waves } : {}
      return { toDeliver: counts.toDeliver, batches: counts.batches, critical, ...waves }
    },
  }
}
