import type { Knex } from '@mikro-orm/knex'
import type { Database } from './database'
import type { DeliveryStatus } from '../domain/delivery-states'
import type { RunStatus } from '../domain/recurring-runs'
import { deliveryEventsFor, runEventFor, type DeliveryTransition } from '../domain/webhooks'
import { countSendingLogs } from './sending-logs'
import { enqueueWebhookEvents } from './webhooks'

/**
 * The webhook events of recorded changes: each function runs in the transaction of the change, reads
 * what the row held before it (locked until the commit), and enqueues the events
 * that change raises, with the figures a receiver wants.
 */

const iso = (value: unknown) => (value == null ? null : new Date(value as string | number).toISOString())

/**
 * The row's status before the change, read after a write that changes nothing: the write locks the row
 * (PostgreSQL) or takes the database's write lock first (SQLite, where a transaction that reads, then
 * writes, fails when another process wrote in between).
 */
async function statusBefore(trx: Knex, table: string, id: number): Promise<string | null> {
  await trx(table)
    .where('id', id)
    .update({ status: trx.raw('??', ['status']) })
  const row = (await trx(table).select('status').where('id', id).first()) as { status: string } | undefined
  return row?.status ?? null
}

async function deliveryFigures(
  db: Database,
  trx: Knex,
  deliveryId: number,
): Promise<Record<string, unknown>> {
  const d = await trx('delivery').where('id', deliveryId).first()
  const counts = await countSendingLogs(db, deliveryId, trx)
  return {
    delivery: {
      id: deliveryId,
      label: d?.label ?? null,
      status: d?.status ?? null,
      recurringId: d?.recurring_id == null ? null : Number(d.recurring_id),
      messagesToDeliver: Number(d?.messages_to_deliver ?? 0),
      targetCount: Number(d?.target_count ?? 0),
      excludedCount: Number(d?.excluded_count ?? 0),
      approvedBy: d?.approved_by ?? null,
      confirmedBy: d?.confirmed_by ?? null,
      sendingStartedAt: iso(d?.sending_started_at),
      finishedAt: iso(d?.finished_at),
      sendError: d?.send_error ?? null,
      progress: {
        sent: counts.sent,
        failed: counts.failed,
        inDoubt: counts.inDoubt,
        pending: counts.pending + counts.sending + counts.retry,
        processed: counts.sent + counts.failed + counts.in_doubt,
      },
    },
  }
}

/** Applies `update` to the delivery and enqueues the events of its status change, in one transaction. */
export async function updateDeliveryWithEvents(
  db: Database,
  deliveryId: number,
  change: DeliveryTransition,
  update: (trx: Knex) => Promise<unknown>,
): Promise<void> {
  if (!change.status) {
    await update(db.knex)
    return
  }
  await db.knex.transaction(async (trx) => {
    const previous = (await statusBefore(trx, 'delivery', deliveryId)) as DeliveryStatus | null
    await update(trx)
    await enqueueWebhookEvents(db, trx, deliveryEventsFor(previous, change), () =>
      deliveryFigures(db, trx, deliveryId),
    )
  })
}

async function runFigures(trx: Knex, runId: number): Promise<Record<string, unknown>> {
  const r = await trx('recurring_run as r')
    .join('recurring_delivery as d', 'd.id', 'r.recurring_id')
    .select('r.*', 'd.label')
    .where('r.id', runId)
    .first()
  return {
    run: {
      id: runId,
      recurringId: Number(r?.recurring_id),
      recurringLabel: r?.label ?? null,
      workflowId: r?.workflow_id ?? null,
      status: r?.status ?? null,
      scheduledAt: iso(r?.scheduled_at),
      executionId: r?.delivery_id == null ? null : Number(r.delivery_id),
      messagesToDeliver: Number(r?.messages_to_deliver ?? 0),
      excludedCount: Number(r?.excluded_count ?? 0),
      reason: r?.reason ?? null,
    },
  }
}

/** Applies `update` to the recurring run and enqueues the event of its status change, in one transaction. */
export async function updateRunWithEvents(
  db: Database,
  trx: Knex,
  runId: number,
  next: RunStatus | undefined,
  update: (trx: Knex) => Promise<unknown>,
): Promise<void> {
  if (!next) {
    await update(trx)
    return
  }
  const previous = (await statusBefore(trx, 'recurring_run', runId)) as RunStatus | null
  await update(trx)
  const event = runEventFor(previous, next)
  await enqueueWebhookEvents(db, trx, event ? [event] : [], () => runFigures(trx, runId))
}

/** The alert event, in the transaction that records the alert. */
export async function enqueueAlertEvent(
  db: Database,
  trx: Knex,
  alert: { id: number; deliveryId: number; criterion: string; message: string; at: Date },
): Promise<void> {
  await enqueueWebhookEvents(db, trx, ['alert.raised'], async () => {
    const d = await trx('delivery').select('label', 'status').where('id', alert.deliveryId).first()
    return {
      alert: {
        id: alert.id,
        criterion: alert.criterion,
        message: alert.message.slice(0, 1000),
        raisedAt: alert.at.toISOString(),
      },
      delivery: { id: alert.deliveryId, label: d?.label ?? null, status: d?.status ?? null },
    }
  })
}
