import type { Database } from './database'
import { Delivery, type IDelivery } from './entities'
import type { DeliveryChanges } from '../domain/delivery'
import { updateDeliveryWithEvents } from './webhook-events'
import { replanWaves, type Wave } from '../domain/waves'

/** Fields the workflow records as the delivery moves through its lifecycle. */
export interface DeliveryStatePatch {
  status?: IDelivery['status']
  approvedBy?: string
  approvedAt?: number
  confirmedBy?: string | null
  confirmedAt?: number | null
  rejectionReason?: string | null
  sendingStartedAt?: number
  finishedAt?: number
  sendError?: string | null
}

const columns: Record<keyof DeliveryStatePatch, [string, 'date' | 'value']> = {
  status: ['status', 'value'],
  approvedBy: ['approved_by', 'value'],
  approvedAt: ['approved_at', 'date'],
  confirmedBy: ['confirmed_by', 'value'],
  confirmedAt: ['confirmed_at', 'date'],
  rejectionReason: ['rejection_reason', 'value'],
  sendingStartedAt: ['sending_started_at', 'date'],
  finishedAt: ['finished_at', 'date'],
  sendError: ['send_error', 'value'],
}

export async function recordDeliveryState(
  db: Database,
  deliveryId: number,
  patch: DeliveryStatePatch,
): Promise<void> {
  const row: Record<string, unknown> = { updated_at: db.date(new Date()) }
  for (const [key, value] of Object.entries(patch)) {
    const column = columns[key as keyof DeliveryStatePatch]
    if (!column) throw new Error(`unknown delivery state field ${key}`)
    row[column[0]] = column[1] === 'date' && typeof value === 'number' ? db.date(new Date(value)) : value
  }
  await updateDeliveryWithEvents(db, deliveryId, patch, (knex) =>
    knex('delivery').where('id', deliveryId).update(row),
  )
}

export async function setSendError(db: Database, deliveryId: number, message: string | null): Promise<void> {
  await db
    .knex('delivery')
    .where('id', deliveryId)
    .update({ send_error: message?.slice(0, 1000) ?? null })
}

/** The delivery as an entity (the preparation reads its audience and content), or null once deleted. */
export async function findDelivery(db: Database, deliveryId: number): Promise<IDelivery | null> {
  return db.em().findOne(Delivery, deliveryId)
}

/** Whether the delivery tracks opens and clicks; null once it is deleted. */
export async function deliveryTracking(db: Database, deliveryId: number): Promise<boolean | null> {
  const row = await db.knex('delivery').select('tracking').where('id', deliveryId).first()
  return row ? Boolean(row.tracking) : null
}

/** The delivery's label (alert emails name it), or null once it is deleted. */
export async function deliveryLabel(db: Database, deliveryId: number): Promise<string | null> {
  const row = await db.knex('delivery').select('label').where('id', deliveryId).first()
  return row ? String(row.label ?? '') : null
}

/** What a batch needs of its delivery to compose its messages. */
export interface SendContent {
  subject: string
  html: string | null
  text: string | null
  fromName: string | null
  fromEmail: string | null
  guarantee: IDelivery['guarantee']
  tracking: boolean
}

/** A delivery's content as its batches send it, or null once the delivery is deleted. */
export async function loadSendContent(db: Database, deliveryId: number): Promise<SendContent | null> {
  const row = await db
    .knex('delivery')
    .select('subject', 'html', 'text', 'from_name', 'from_email', 'guarantee', 'tracking')
    .where('id', deliveryId)
    .first()
  if (!row) return null
  return {
    subject: row.subject,
    html: row.html ?? null,
    text: row.text ?? null,
    fromName: row.from_name,
    fromEmail: row.from_email,
    guarantee: row.guarantee,
    tracking: Boolean(row.tracking),
  }
}

/** What a preparation found, stored on its delivery. */
export type PreparationFields = Partial<
  Pick<
    IDelivery,
    'preparationReport' | 'messagesToDeliver' | 'targetCount' | 'excludedCount' | 'preparedVersion'
  >
>

export async function recordPreparation(
  db: Database,
  deliveryId: number,
  fields: PreparationFields,
): Promise<void> {
  const em = db.em()
  const delivery = await em.findOneOrFail(Delivery, deliveryId)
  em.assign(delivery, fields)
  await em.flush()
}

/** An execution's report once a run added to it (the counts are refreshed from its logs apart). */
export async function recordExecutionReport(
  db: Database,
  executionId: number,
  report: IDelivery['preparationReport'],
  preparedVersion: number,
): Promise<void> {
  await db
    .knex('delivery')
    .where('id', executionId)
    .update({ preparation_report: JSON.stringify(report), prepared_version: preparedVersion })
}

/** A preparation that cannot be made leaves no log of an earlier one behind. */
export async function discardPreparationLogs(db: Database, deliveryId: number): Promise<void> {
  await db.knex.transaction(async (trx) => {
    await trx('sending_log').where('delivery_id', deliveryId).delete()
    await trx('exclusion_log').where('delivery_id', deliveryId).delete()
  })
}

/** An edit invalidates the preparation: the version moves on and the workflow returns to draft. */
export async function saveDeliveryChanges(
  db: Database,
  deliveryId: number,
  changes: DeliveryChanges,
): Promise<void> {
  const em = db.em()
  const delivery = await em.findOneOrFail(Delivery, deliveryId)
  em.assign(delivery, { ...changes, version: delivery.version + 1 })
  await em.flush()
}

/**
 * A delivery sent in waves moves the waves not started yet (batches from `fromBatch` on) to a new contact
 * time: their pending sending logs and the preparation report take the new instants, in one transaction.
 */
export async function moveRemainingWaves(
  db: Database,
  deliveryId: number,
  fromBatch: number,
): Promise<Wave[]> {
  const em = db.em()
  const delivery = await em.findOneOrFail(Delivery, deliveryId)
  const report = delivery.preparationReport
  if (!report?.waves || !delivery.contactDate) return report?.waves ?? []
  const waves = replanWaves(report.waves, delivery.contactDate.getTime(), delivery.timeZone, fromBatch)
  await db.knex.transaction(async (trx) => {
    for (const wave of waves.filter((w) => w.firstBatch >= fromBatch)) {
      await trx('sending_log')
        .where('delivery_id', deliveryId)
        .whereBetween('batch_no', [wave.firstBatch, wave.firstBatch + wave.batches - 1])
        .update({ planned_at: db.date(new Date(wave.at)) })
    }
    await trx('delivery')
      .where('id', deliveryId)
      .update({ preparation_report: JSON.stringify({ ...report, waves }) })
  })
  return waves
}

export async function saveDeliverySchedule(
  db: Database,
  deliveryId: number,
  contactDate: number | null,
  timeZone: string | null | undefined,
): Promise<void> {
  const em = db.em()
  const delivery = await em.findOneOrFail(Delivery, deliveryId)
  delivery.contactDate = contactDate === null ? null : new Date(contactDate)
  if (timeZone !== undefined) delivery.timeZone = timeZone
  if (delivery.status !== 'start_pending') delivery.version += 1
  await em.flush()
}

export async function deleteDeliveryRow(db: Database, deliveryId: number): Promise<void> {
  await db.knex.transaction(async (trx) => {
    await trx('sending_log').where('delivery_id', deliveryId).delete()
    await trx('exclusion_log').where('delivery_id', deliveryId).delete()
    await trx('delivery').where('id', deliveryId).delete()
  })
}

/** A send that failed for good leaves no log pending: what was not sent is failed with the reason. */
export async function failUnfinishedLogs(db: Database, deliveryId: number, reason: string): Promise<number> {
  return db
    .knex('sending_log')
    .where('delivery_id', deliveryId)
    .whereIn('status', ['pending', 'retry'])
    .update({
      status: 'failed',
      failure_type: 'soft',
      failure_reason: reason.slice(0, 500),
      updated_at: db.date(new Date()),
    })
}
