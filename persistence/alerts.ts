import type { Database } from './database'
import type { AlertCriterion } from '../domain/alerts'
import { enqueueAlertEvent } from './webhook-events'

/** Delivery alerts (ACS "receiving alerts when failures happen"): one per criterion per delivery. */

export type { AlertCriterion }

/** Records the alert and returns its id; null when this delivery already had one for the criterion. */
export async function recordAlert(
  db: Database,
  alert: { deliveryId: number; criterion: AlertCriterion; message: string; at: Date },
): Promise<number | null> {
  return db.knex.transaction(async (trx) => {
    const rows: { id: number }[] = await trx('delivery_alert')
      .insert({
        delivery_id: alert.deliveryId,
        criterion: alert.criterion,
        message: alert.message.slice(0, 1000),
        created_at: db.date(alert.at),
      })
      .onConflict(['delivery_id', 'criterion'])
      .ignore()
      .returning(['id'])
    if (!rows.length) return null
    // Only an alert raised now is an event: the same one raised again is ignored above.
    await enqueueAlertEvent(db, trx, { ...alert, id: Number(rows[0].id) })
    return Number(rows[0].id)
  })
}

export async function markAlertEmailed(db: Database, alertId: number, to: string[], at: Date): Promise<void> {
  await db
    .knex('delivery_alert')
    .where('id', alertId)
    .update({ emailed_to: to.join(', ').slice(0, 1000), emailed_at: db.date(at) })
}

export async function listAlerts(
  db: Database,
  q: { deliveryId?: number; criterion?: AlertCriterion; page: number; pageSize: number },
) {
  const query = db.knex('delivery_alert as a').join('delivery as d', 'd.id', 'a.delivery_id')
  if (q.deliveryId) query.where('a.delivery_id', q.deliveryId)
  if (q.criterion) query.where('a.criterion', q.criterion)
  const [{ total }] = (await query.clone().count('* as total')) as { total: number | string }[]
  const rows: Record<string, unknown>[] = await query
    .select('a.*', 'd.label')
    .orderBy('a.id', 'desc')
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
  const iso = (value: unknown) => (value == null ? null : new Date(value as string | number).toISOString())
  const items = rows.map((r) => ({
    id: Number(r.id),
    deliveryId: Number(r.delivery_id),
    deliveryLabel: String(r.label),
    criterion: r.criterion as AlertCriterion,
    message: String(r.message),
    emailedTo: (r.emailed_to as string | null) ?? null,
    emailedAt: iso(r.emailed_at),
    createdAt: iso(r.created_at),
  }))
  return { items, page: q.page, pageSize: q.pageSize, total: Number(total) }
}

/** The delivery's alert of this criterion, for a `whereNotExists`: the watchdog skips deliveries that had it. */
function alertOf(db: Database, criterion: AlertCriterion) {
  return db
    .knex('delivery_alert as a')
    .select(db.knex.raw('1'))
    .whereRaw('a.delivery_id = d.id')
    .andWhere('a.criterion', criterion)
}

const toDate = (value: unknown) => new Date(value as string | number)

/**
 * Confirmed deliveries whose sending has not started though they were due to start before `dueBefore`
 * (confirmed, and their contact date if any, before it), and that have no `start_pending` alert yet.
 */
export async function deliveriesNotStarted(
  db: Database,
  dueBefore: Date,
): Promise<{ id: number; status: string; confirmedAt: Date; contactDate: Date | null }[]> {
  const before = db.date(dueBefore)
  const rows: Record<string, unknown>[] = await db
    .knex('delivery as d')
    .select('d.id', 'd.status', 'd.confirmed_at', 'd.contact_date')
    .whereIn('d.status', ['start_pending', 'sending'])
    .whereNull('d.sending_started_at')
    .whereNotNull('d.confirmed_at')
    .where('d.confirmed_at', '<=', before)
    .where((q) => q.whereNull('d.contact_date').orWhere('d.contact_date', '<=', before))
    .whereNotExists(alertOf(db, 'start_pending'))
    .orderBy('d.id')
  return rows.map((r) => ({
    id: Number(r.id),
    status: String(r.status),
    confirmedAt: toDate(r.confirmed_at),
    contactDate: r.contact_date == null ? null : toDate(r.contact_date),
  }))
}

/**
 * Deliveries sending, in that status since `since` at least (a resume or the end of a retry wait starts
 * the count again), without a `min_rate` alert yet; each with the messages it processed since `since`
 * (sent, failed, retried or left in doubt).
 */
export async function sendingThroughput(
  db: Database,
  since: Date,
): Promise<{ id: number; processed: number }[]> {
  const from = db.date(since)
  const processed = db
    .knex('sending_log as l')
    .count('*')
    .whereRaw('l.delivery_id = d.id')
    .whereIn('l.status', ['sent', 'failed', 'retry', 'in_doubt'])
    .where('l.updated_at', '>=', from)
  const rows: { id: number | string; processed: number | string }[] = await db
    .knex('delivery as d')
    .select('d.id', processed.as('processed'))
    .where('d.status', 'sending')
    .whereNotNull('d.sending_started_at')
    .where('d.sending_started_at', '<=', from)
    .where('d.updated_at', '<=', from)
    .whereNotExists(alertOf(db, 'min_rate'))
    .orderBy('d.id')
  return rows.map((r) => ({ id: Number(r.id), processed: Number(r.processed) }))
}
