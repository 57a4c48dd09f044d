import type { Database } from './database'
import { failureCategories, type FailureCategory } from '../domain/failure-categories'

export type CategoryCounts = Record<FailureCategory, number>

/** How many of a delivery's sending logs fall in each failure category (every category listed). */
export async function countFailureCategories(db: Database, deliveryId: number): Promise<CategoryCounts> {
  const rows: { failure_category: FailureCategory; count: number | string }[] = await db
    .knex('sending_log')
    .select('failure_category')
    .count('* as count')
    .where('delivery_id', deliveryId)
    .whereNotNull('failure_category')
    .groupBy('failure_category')
  const counts = Object.fromEntries(failureCategories.map((c) => [c, 0])) as CategoryCounts
  for (const row of rows) counts[row.failure_category] = Number(row.count)
  return counts
}

/**
 * A failure reported after the relay accepted the message (POST /api/bounces). ACS: a hard bounce turns
 * the log from sent to failed; a soft one leaves it sent (the relay retries), and an auto-reply is no
 * failure at all — both only note their category and reason, so the log filter and the counts find them.
 */
export async function recordReportedFailure(
  db: Database,
  message: { deliveryId: number; profileId: number },
  report: { type: 'hard' | 'soft' | 'ignored'; category: FailureCategory; reason: string },
): Promise<void> {
  const prefix = report.type === 'ignored' ? 'reported as ignored' : `asynchronous ${report.type} bounce`
  await db
    .knex('sending_log')
    .where({ delivery_id: message.deliveryId, profile_id: message.profileId, status: 'sent' })
    .update({
      ...(report.type === 'hard' ? { status: 'failed', failure_type: 'hard' } : {}),
      failure_category: report.category,
      failure_reason: `${prefix}: ${report.reason}`.slice(0, 500),
      updated_at: db.date(new Date()),
    })
}
