import type { Database } from './database'

/**
 * A profile's history (SPEC.md "History and monitoring"): every delivery sent to it — every sending log
 * that left the pending state — with its status, dates, and the profile's opens and clicks.
 */
export async function profileHistory(db: Database, profileId: number, q: { page: number; pageSize: number }) {
  const engagement = db
    .knex('tracking_log')
    .select('delivery_id')
    .select(db.knex.raw(`sum(case when type = 'open' then 1 else 0 end) as opens`))
    .select(db.knex.raw(`sum(case when type = 'click' then 1 else 0 end) as clicks`))
    .count('* as events')
    .max('created_at as last_activity_at')
    .where('profile_id', profileId)
    .groupBy('delivery_id')
    .as('e')
  const query = db
    .knex('sending_log as s')
    .join('delivery as d', 'd.id', 's.delivery_id')
    .where('s.profile_id', profileId)
    .andWhereNot('s.status', 'pending')
  const [{ total }] = (await query.clone().count('* as total')) as { total: number | string }[]
  const rows: Record<string, unknown>[] = await query
    .leftJoin(engagement, 'e.delivery_id', 's.delivery_id')
    .select(
      's.delivery_id',
      'd.label',
      'd.subject',
      'd.status as delivery_status',
      's.status',
      's.failure_type',
      's.failure_reason',
      's.sent_at',
      's.updated_at',
      'e.opens',
      'e.clicks',
      'e.events',
      'e.last_activity_at',
    )
    .orderBy('s.delivery_id', 'desc')
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
  const iso = (value: unknown) => (value == null ? null : new Date(value as string | number).toISOString())
  const items = rows.map((r) => ({
    deliveryId: Number(r.delivery_id),
    label: String(r.label),
    subject: String(r.subject),
    deliveryStatus: String(r.delivery_status),
    status: String(r.status),
    failureType: (r.failure_type as string | null) ?? null,
    failureReason: (r.failure_reason as string | null) ?? null,
    sentAt: iso(r.sent_at),
    updatedAt: iso(r.updated_at),
    // Any tracking event means the message was opened (a click implies an open).
    opened: Number(r.events ?? 0) > 0,
    opens: Number(r.opens ?? 0),
    clicks: Number(r.clicks ?? 0),
    lastActivityAt: iso(r.last_activity_at),
  }))
  return { items, page: q.page, pageSize: q.pageSize, total: Number(total) }
}
