import type { Database } from './database'
import { finalStatuses } from '../domain/delivery-states'
import { computeDeliveryStats } from './stats'
import { countSendingLogs } from './sending-logs'
import { releasedStatus } from './address-status'

/**
 * Retention (README "Retention and quarantine clean-up"): the logs of a delivery that ended before the
 * cutoff are purged — its KPIs computed and its sending-log counts kept first, so the delivery still
 * shows its figures and says its logs are gone — and soft quarantines older than their release period
 * end. Every delete takes at most `batchSize` rows of one ended delivery, in a transaction of its own:
 * nothing a send in progress writes is locked for longer than one small statement.
 */

/** Log tables of a delivery, emptied in this order (tracking logs point at profiles a sending log names). */
const logTables = ['tracking_log', 'exclusion_log', 'sending_log'] as const

/** Deliveries that ended before `cutoff` and still have their logs. */
export async function deliveriesToPurge(db: Database, cutoff: Date, limit: number): Promise<number[]> {
  const rows: { id: number }[] = await db
    .knex('delivery as d')
    .select('d.id')
    .whereIn('d.status', finalStatuses as string[])
    .andWhereRaw('coalesce(d.finished_at, d.updated_at) < ?', [db.date(cutoff)])
    .whereNotExists((q) =>
      q.select(db.knex.raw('1')).from('delivery_log_purge as p').whereRaw('p.delivery_id = d.id'),
    )
    .orderBy('d.id')
    .limit(limit)
  return rows.map((r) => Number(r.id))
}

/**
 * Keeps a delivery's KPIs, then marks it purged: from then on its counts are read from what was kept
 * (see `countSendingLogs`), even while its rows are being deleted.
 */
export async function keepKpisBeforePurge(db: Database, deliveryId: number, now: Date): Promise<void> {
  await computeDeliveryStats(db, deliveryId, now)
  const { logsPurgedAt: _, ...counts } = await countSendingLogs(db, deliveryId)
  await db
    .knex('delivery_log_purge')
    .insert({ delivery_id: deliveryId, purged_at: db.date(now), counts: JSON.stringify(counts) })
    .onConflict('delivery_id')
    .ignore()
}

/** Deletes up to `batchSize` log rows of a purged delivery; 0 once none is left. */
export async function deleteLogBatch(db: Database, deliveryId: number, batchSize: number): Promise<number> {
  for (const table of logTables) {
    const ids = db.knex(table).select('id').where('delivery_id', deliveryId).limit(batchSize)
    const deleted = await db.knex(table).whereIn('id', ids).delete()
    if (deleted > 0) return deleted
  }
  return 0
}

/** Counts kept when a delivery's logs were purged, or null. */
export async function purgedCounts(
  db: Database,
  deliveryId: number,
): Promise<{ purgedAt: string; counts: Record<string, number> } | null> {
  const row = await db.knex('delivery_log_purge').where('delivery_id', deliveryId).first()
  if (!row) return null
  const counts = typeof row.counts === 'string' ? JSON.parse(row.counts) : row.counts
  return { purgedAt: new Date(row.purged_at).toISOString(), counts }
}

/**
 * Releases up to `batchSize` soft quarantines (soft bounces) whose last error is older than `cutoff`,
 * each release written in the address's history. Hard quarantines stay until an administrator releases them.
 */
export async function releaseSoftQuarantines(
  db: Database,
  cutoff: Date,
  batchSize: number,
  now: Date,
  reason: string,
): Promise<string[]> {
  return db.knex.transaction(async (trx) => {
    const due: { email: string }[] = await trx('address_status')
      .select('email')
      .where({ status: 'quarantined', quarantine_type: 'soft' })
      .andWhere('last_error_at', '<', db.date(cutoff))
      .orderBy('email')
      .limit(batchSize)
    const emails = due.map((r) => r.email)
    if (emails.length === 0) return []
    await trx('address_status')
      .whereIn('email', emails)
      .andWhere({ status: 'quarantined', quarantine_type: 'soft' })
      .update(releasedStatus(db, now))
    await trx('address_history').insert(
      emails.map((email) => ({
        email,
        status: 'valid',
        previous_status: 'quarantined',
        reason,
        actor: 'retention',
        at: db.date(now),
      })),
    )
    return emails
  })
}
