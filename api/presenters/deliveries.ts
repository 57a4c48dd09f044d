import { isFinal, logicalStatus, statusLabels, type DeliveryStatus } from '../../domain/delivery-states'
import { inZone } from '../../domain/zoned-time'
import type { IDelivery } from '../../persistence/entities'
import { latestRunWorkflowId } from '../../persistence/recurring-queries'
import { countSendingLogs, waveCounts } from '../../persistence/sending-logs'
import { liveKpis } from '../../persistence/stats'
import type { ApiContext } from '../context'
import { progressOf } from './progress'

export const iso = (date: Date | null | undefined) => date?.toISOString() ?? null

/** What a delivery (or a recurring delivery) sends, and to whom. */
export function messageContent(
  content: Pick<IDelivery, 'subject' | 'html' | 'text' | 'fromName' | 'fromEmail' | 'audience'>,
) {
  return {
    subject: content.subject,
    html: content.html ?? null,
    text: content.text ?? null,
    fromName: content.fromName ?? null,
    fromEmail: content.fromEmail ?? null,
    audience: content.audience,
  }
}

/**
 * A delivery's workflow and its page in the Temporal UI. An execution (of a recurring delivery) has no
 * workflow of its own: the link lists the runs that added to it, and `workflowId` names the latest.
 */
export async function workflowLinks(
  ctx: ApiContext,
  delivery: Pick<IDelivery, 'id' | 'recurringId'>,
): Promise<{ workflowId: string; temporalUrl: string }> {
  const { names } = ctx.temporal
  if (!delivery.recurringId)
    return { workflowId: names.deliveryWorkflowId(delivery.id), temporalUrl: names.deliveryUrl(delivery.id) }
  return {
    workflowId: (await latestRunWorkflowId(ctx.db, delivery.id)) ?? '',
    temporalUrl: names.executionRunsUrl(delivery.id),
  }
}

/**
 * A recipient time zone delivery's waves as prepared (instant, zones), with what each has sent so far;
 * null for a delivery sent at one time.
 */
export async function presentWaves(
  ctx: ApiContext,
  delivery: IDelivery,
  /** A recurring run's waves only: those of the batches it added to its execution. */
  batches?: { first: number; count: number },
) {
  const all = delivery.recipientTimeZone ? delivery.preparationReport?.waves : undefined
  if (!all) return null
  const planned = batches
    ? all.filter((w) => w.firstBatch >= batches.first && w.firstBatch < batches.first + batches.count)
    : all
  const counts = new Map((await waveCounts(ctx.db, delivery.id, batches)).map((c) => [c.at, c]))
  return planned.map((wave) => {
    const at = new Date(wave.at).toISOString()
    const count = counts.get(wave.at)
    return {
      at,
      atText: inZone(at, wave.zones[0] ?? 'UTC', { seconds: true }),
      zones: wave.zones,
      recipients: count?.recipients ?? 0,
      sent: count?.sent ?? 0,
      failed: count?.failed ?? 0,
      unfinished: count?.unfinished ?? 0,
    }
  })
}

/** A delivery as the API replies it: its fields, live progress and KPIs, and its workflow. */
export async function presentDelivery(ctx: ApiContext, delivery: IDelivery) {
  const counts = await countSendingLogs(ctx.db, delivery.id)
  const status = delivery.status as DeliveryStatus
  const waves = await presentWaves(ctx, delivery)
  return {
    id: delivery.id,
    label: delivery.label,
    status,
    statusLabel: statusLabels[status],
    logicalStatus: logicalStatus[status],
    ...messageContent(delivery),
    contactDate: iso(delivery.contactDate),
    /** In words, in the delivery's own zone, naming it: "2026-12-01 09:00 Europe/Paris". */
    contactDateText: delivery.contactDate
      ? inZone(String(iso(delivery.contactDate)), delivery.timeZone ?? 'UTC')
      : null,
    timeZone: delivery.timeZone ?? null,
    recipientTimeZone: delivery.recipientTimeZone,
    waves,
    nextWave: isFinal(status) ? null : (waves?.find((w) => w.unfinished > 0) ?? null),
    tracking: delivery.tracking,
    guarantee: delivery.guarantee,
    requireApproval: delivery.requireApproval,
    requireProof: delivery.requireProof ?? ctx.config.requireProof,
    targetLimit: delivery.targetLimit ?? null,
    version: delivery.version,
    preparedVersion: delivery.preparedVersion ?? null,
    messagesToDeliver: delivery.messagesToDeliver,
    targetCount: delivery.targetCount,
    excludedCount: delivery.excludedCount,
    preparationReport: delivery.preparationReport ?? null,
    rejectionReason: delivery.rejectionReason ?? null,
    approvedBy: delivery.approvedBy ?? null,
    approvedAt: iso(delivery.approvedAt),
    confirmedBy: delivery.confirmedBy ?? null,
    confirmedAt: iso(delivery.confirmedAt),
    sendingStartedAt: iso(delivery.sendingStartedAt),
    finishedAt: iso(delivery.finishedAt),
    sendError: delivery.sendError ?? null,
    createdBy: delivery.createdBy,
    createdAt: iso(delivery.createdAt),
    updatedAt: iso(delivery.updatedAt),
    progress: progressOf(delivery.messagesToDeliver, counts),
    logsPurgedAt: counts.logsPurgedAt ?? null,
    kpis: (await liveKpis(ctx.db, delivery, counts)).kpis,
    recurringId: delivery.recurringId ?? null,
    periodKey: delivery.periodKey ?? null,
    ...(await workflowLinks(ctx, delivery)),
  }
}
