import { logicalStatus, statusLabels, type DeliveryStatus } from '../../domain/delivery-states'
import { inZone } from '../../domain/zoned-time'
import type { IDelivery } from '../../persistence/entities'
import { latestRunWorkflowId } from '../../persistence/recurring-queries'
import { countSendingLogs } from '../../persistence/sending-logs'
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

/** A delivery as the API replies it: its fields, live progress and KPIs, and its workflow. */
export async function presentDelivery(ctx: ApiContext, delivery: IDelivery) {
  const counts = await countSendingLogs(ctx.db, delivery.id)
  const status = delivery.status as DeliveryStatus
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
