import type { Database } from './database'
import { enqueueAlertEvent } from './webhook-events'

/** Delivery alerts (ACS "receiving alerts when failures happen"): one per criterion per delivery. */

export type AlertCriterion = 'bounce_ratio' | 'preparation_failed'

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

export async function listAlerts(db: Database, q: { deliveryId?: number; page: number; pageSize: number }) {
  const query = db.knex('delivery_alert as a').join('delivery as d', 'd.id', 'a.delivery_id')
  if (q.deliveryId) query.where('a.delivery_id', q.deliveryId)
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
