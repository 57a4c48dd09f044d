import type { Database } from './database'
import { exclusionReasons, type ExclusionReason } from '../domain/exclusions'
import type { FailureType, SendingStatus } from '../domain/sending'
import type { FailureCategory } from '../domain/failure-categories'
import type { TrackingKind } from '../domain/tracking-token'
import { likeContaining, pageOf, type PageRequest } from './sql'
import { presentTrackingLog, trackingLogColumns, trackingLogQuery } from './tracking'

/** A delivery's logs as the API lists them: sending logs, exclusion logs and tracking logs. */

export interface SendingLogRow {
  id: number
  profileId: number
  email: string
  batchNo: number
  status: SendingStatus
  failureType: FailureType | null
  failureCategory: FailureCategory | null
  failureReason: string | null
  smtpCode: number | null
  attempts: number
  inDoubt: boolean
  sentAt: Date | null
  nextRetryAt: Date | null
  /** The instant of the recipient's wave (a delivery sent at each recipient's local time), else null. */
  plannedAt: Date | null
}

const dateOrNull = (value: unknown) => (value ? new Date(value as string | number) : null)

export function sendingLogRow(r: Record<string, unknown>): SendingLogRow {
  return {
    id: Number(r.id),
    profileId: Number(r.profile_id),
    email: r.email as string,
    batchNo: Number(r.batch_no),
    status: r.status as SendingStatus,
    failureType: (r.failure_type as FailureType | null) ?? null,
    failureCategory: (r.failure_category as FailureCategory | null) ?? null,
    failureReason: (r.failure_reason as string | null) ?? null,
    smtpCode: (r.smtp_code as number | null) ?? null,
    attempts: Number(r.attempts),
    inDoubt: Boolean(r.in_doubt),
    sentAt: dateOrNull(r.sent_at),
    nextRetryAt: dateOrNull(r.next_retry_at),
    plannedAt: dateOrNull(r.planned_at),
  }
}

export interface SendingLogFilter {
  status?: SendingStatus
  failureType?: FailureType
  /** Part of the failure reason (the SMTP reply), case-insensitive. */
  failureReason?: string
  category?: FailureCategory
  inDoubt?: 'true' | 'false'
}

export async function sendingLogPage(
  db: Database,
  deliveryId: number,
  filter: SendingLogFilter,
  page: PageRequest,
): Promise<{ items: SendingLogRow[]; total: number }> {
  const query = db.knex('sending_log').where('delivery_id', deliveryId)
  if (filter.status) query.andWhere('status', filter.status)
  if (filter.failureType) query.andWhere('failure_type', filter.failureType)
  if (filter.category) query.andWhere('failure_category', filter.category)
  if (filter.failureReason) {
    query.andWhereRaw(`lower(failure_reason) like lower(?) escape '\\'`, [
      likeContaining(filter.failureReason),
    ])
  }
  if (filter.inDoubt) query.andWhere('in_doubt', filter.inDoubt === 'true')
  const { rows, total } = await pageOf(query, '*', 'id', page)
  return { items: rows.map(sendingLogRow), total }
}

export interface ExclusionLogRow {
  id: number
  profileId: number
  email: string
  reason: ExclusionReason
}

export function exclusionLogRow(r: Record<string, unknown>): ExclusionLogRow {
  return {
    id: Number(r.id),
    profileId: Number(r.profile_id),
    email: r.email as string,
    reason: r.reason as ExclusionReason,
  }
}

/** A page of exclusion logs, with the count per reason (every reason, zero included) of the whole delivery. */
export async function exclusionLogPage(
  db: Database,
  deliveryId: number,
  reason: ExclusionReason | undefined,
  { page, pageSize }: PageRequest,
) {
  const grouped: { reason: string; count: number | string }[] = await db
    .knex('exclusion_log')
    .select('reason')
    .count('* as count')
    .where('delivery_id', deliveryId)
    .groupBy('reason')
  const counts = Object.fromEntries(exclusionReasons.map((r) => [r, 0]))
  for (const row of grouped) counts[row.reason] = Number(row.count)
  const query = db.knex('exclusion_log').where('delivery_id', deliveryId)
  if (reason) query.andWhere('reason', reason)
  const rows: Record<string, unknown>[] = await query
    .select('id', 'profile_id', 'email', 'reason')
    .orderBy('id')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
  const total = reason ? counts[reason] : Object.values(counts).reduce((a, b) => a + b, 0)
  return { items: rows.map(exclusionLogRow), counts, total }
}

export async function trackingLogPage(
  db: Database,
  deliveryId: number,
  filter: { type?: TrackingKind; profileId?: number },
  page: PageRequest,
) {
  const query = trackingLogQuery(db, deliveryId, filter)
  const { rows, total } = await pageOf(query, trackingLogColumns, 't.id', page)
  return { items: rows.map(presentTrackingLog), total }
}

/** The address of a message that was sent (or tried): null when no such message left Herald. */
export async function sentMessageAddress(
  db: Database,
  message: { deliveryId: number; profileId: number },
): Promise<string | null> {
  const log = await db
    .knex('sending_log')
    .select('email')
    .where({ delivery_id: message.deliveryId, profile_id: message.profileId })
    .whereNot('status', 'pending')
    .first()
  return log ? String(log.email) : null
}
