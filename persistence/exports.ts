import type { Database } from './database'
import { exclusionLogRow, sendingLogRow, type ExclusionLogRow, type SendingLogRow } from './delivery-logs'
import { presentTrackingLog, trackingLogColumns, trackingLogQuery } from './tracking'

/** A delivery's logs read whole for the CSV exports, a page at a time. */

const exportPageSize = 5000

/** Pages of a delivery's logs in id order (keyset pagination: constant cost per page). */
async function* byId<Row extends { id: number }>(
  fetch: (afterId: number) => Promise<Record<string, unknown>[]>,
  toRow: (row: Record<string, unknown>) => Row,
): AsyncGenerator<Row[]> {
  for (let after = 0; ;) {
    const rows = (await fetch(after)).map(toRow)
    if (rows.length === 0) return
    after = rows[rows.length - 1].id
    yield rows
  }
}

const after = (db: Database, table: string, deliveryId: number, afterId: number) =>
  db
    .knex(table)
    .where('delivery_id', deliveryId)
    .andWhere('id', '>', afterId)
    .orderBy('id')
    .limit(exportPageSize)

export function sendingLogPages(db: Database, deliveryId: number): AsyncGenerator<SendingLogRow[]> {
  return byId((afterId) => after(db, 'sending_log', deliveryId, afterId), sendingLogRow)
}

export function exclusionLogPages(db: Database, deliveryId: number): AsyncGenerator<ExclusionLogRow[]> {
  return byId((afterId) => after(db, 'exclusion_log', deliveryId, afterId), exclusionLogRow)
}

export function trackingLogPages(db: Database, deliveryId: number) {
  return byId(
    (afterId) =>
      trackingLogQuery(db, deliveryId)
        .andWhere('t.id', '>', afterId)
        .select(trackingLogColumns)
        .orderBy('t.id')
        .limit(exportPageSize),
    presentTrackingLog,
  )
}
