import type { Knex } from '@mikro-orm/knex'
import type { Database } from './database'
import { settleStatement, type SettleStatement } from './log-statements'
import { finalSendingStatuses, type FailureType, type SendingStatus } from '../domain/sending'
import type { FailureCategory } from '../domain/failure-categories'
import { countMessages } from '../observability/metrics'

/** A sending log joined with what personalisation needs from its profile. */
export interface Recipient {
  id: number
  profileId: number
  email: string
  status: SendingStatus
  claim: string | null
  inDoubt: boolean
  attempts: number
  firstName: string | null
  lastName: string | null
  timeZone: string | null
  attributes: Record<string, unknown>
}

function parseJson(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') return JSON.parse(value) as Record<string, unknown>
  return (value as Record<string, unknown>) ?? {}
}

/**
 * The rows one batch activity is responsible for: pending ones, soft failures whose retry is due, and
 * rows still marked `sending` — left by an attempt that died with their message in flight.
 */
export async function loadBatch(
  db: Database,
  deliveryId: number,
  batchNo: number,
  now: Date,
): Promise<Recipient[]> {
  const rows: Record<string, unknown>[] = await db
    .knex('sending_log as s')
    .join('profile as p', 'p.id', 's.profile_id')
    .select(
      's.id',
      's.profile_id',
      's.email',
      's.status',
      's.claim',
      's.in_doubt',
      's.attempts',
      'p.first_name',
      'p.last_name',
      'p.time_zone',
      'p.attributes',
    )
    .where('s.delivery_id', deliveryId)
    .andWhere('s.batch_no', batchNo)
    .andWhere((q) =>
      q
        .whereIn('s.status', ['pending', 'sending'])
        .orWhere((r) => r.where('s.status', 'retry').andWhere('s.next_retry_at', '<=', db.date(now))),
    )
    .orderBy('s.id')
  return rows.map((r) => ({
    id: Number(r.id),
    profileId: Number(r.profile_id),
    email: String(r.email),
    status: r.status as SendingStatus,
    claim: (r.claim as string | null) ?? null,
    inDoubt: Boolean(r.in_doubt),
    attempts: Number(r.attempts),
    firstName: (r.first_name as string | null) ?? null,
    lastName: (r.last_name as string | null) ?? null,
    timeZone: (r.time_zone as string | null) ?? null,
    attributes: parseJson(r.attributes),
  }))
}

/** What happened to one claimed message, to be written to its sending log. */
export type SendResult =
  | { kind: 'sent'; smtpCode: number | null }
  | {
      kind: 'failed'
      failureType: FailureType
      category: FailureCategory
      reason: string
      smtpCode: number | null
    }
  | { kind: 'retry'; category: FailureCategory; reason: string; smtpCode: number | null; nextRetryAt: Date }
  /** certainly not sent (the server was unreachable): back to pending */
  | { kind: 'released' }
  /** at-most-once: an in-doubt message is left unsent and final */
  | { kind: 'in_doubt'; reason: string }

/**
 * Writes the claims and results of one activity attempt. A lane sends a message only after its claim
 * is committed, and gives it up only by a committed result, so rows marked `sending` are exactly the
 * messages in flight. The common step — this message sent, claim the next — is one prepared statement;
 * failures and in-doubt takeovers, which are rare, go through knex. After a failed write the writer
 * refuses everything: the attempt must end and be retried.
 */
export class SendingLogWriter {
  private broken: Error | null = null
  private readonly settleStatement: SettleStatement

  constructor(
    private readonly db: Database,
    /** Identifies this activity attempt; results only apply to rows it still holds. */
    private readonly claimToken: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.settleStatement = settleStatement(db, claimToken, clock)
  }

  /** Marks a row `sending` for this attempt; false when another attempt already holds or finished it. */
  claim(id: number, takeover = false): Promise<boolean> {
    if (takeover) return this.guard(() => this.takeOver(id))
    return this.guard(() => this.settleStatement.run({ sentId: null, claimId: id }))
  }

  record(id: number, result: SendResult): Promise<void> {
    if (result.kind === 'sent') {
      return this.guard(async () => {
        await this.settleStatement.run({ sentId: id, claimId: null })
      })
    }
    return this.guard(() => this.recordOther(id, result))
  }

  /**
   * Records one message and claims the lane's next one in the same commit: a lane waits for the
   * database once per message, and still never holds more than one unrecorded row.
   */
  async settle(id: number, result: SendResult, next?: { id: number; takeover: boolean }): Promise<boolean> {
    if (result.kind !== 'sent' || !next || next.takeover) {
      await this.record(id, result)
      return next ? this.claim(next.id, next.takeover) : false
    }
    return this.guard(() => this.settleStatement.run({ sentId: id, claimId: next.id }))
  }

  private async guard<T>(write: () => Promise<T>): Promise<T> {
    if (this.broken) throw this.broken
    try {
      return await write()
    } catch (err) {
      this.broken = err as Error
      throw err
    }
  }

  /** A row left `sending` by an attempt that died: this attempt takes it over, marked in doubt. */
  private async takeOver(id: number): Promise<boolean> {
    const changed = await this.db
      .knex('sending_log')
      .where('id', id)
      .where('status', 'sending')
      .andWhere((q) => q.whereNull('claim').orWhereNot('claim', this.claimToken))
      .update({ claim: this.claimToken, in_doubt: true, updated_at: this.db.date(this.clock()) })
    return changed === 1
  }

  private async recordOther(id: number, r: Exclude<SendResult, { kind: 'sent' }>): Promise<void> {
    const now = this.db.date(this.clock())
    const row = this.db.knex('sending_log').where({ id, claim: this.claimToken })
    const finished = { claim: null, updated_at: now, attempts: this.db.knex.raw('attempts + 1') }
    let written = 0
    switch (r.kind) {
      case 'failed':
        written = await row.update({
          ...finished,
          status: 'failed',
          failure_type: r.failureType,
          failure_category: r.category,
          failure_reason: r.reason,
          smtp_code: r.smtpCode,
        })
        break
      case 'retry':
        written = await row.update({
          ...finished,
          status: 'retry',
          failure_type: 'soft',
          failure_category: r.category,
          failure_reason: r.reason,
          smtp_code: r.smtpCode,
          next_retry_at: this.db.date(r.nextRetryAt),
        })
        break
      case 'released':
        await row.update({ status: 'pending', claim: null, updated_at: now })
        break
      case 'in_doubt':
        written = await row.update({
          ...finished,
          status: 'in_doubt',
          in_doubt: true,
          failure_type: 'ignored',
          failure_category: 'not_connected',
          failure_reason: r.reason,
        })
    }
    if (r.kind !== 'released') countMessages(r.kind, written, r.kind === 'failed' ? r.failureType : undefined)
  }
}

export type StatusCounts = Record<SendingStatus, number> & { inDoubt: number; total: number }

/** `logsPurgedAt`: retention purged the delivery's logs, and the counts are those kept just before. */
export type DeliveryCounts = StatusCounts & { logsPurgedAt?: string }

export async function countSendingLogs(
  db: Database,
  deliveryId: number,
  knex: Knex = db.knex,
): Promise<DeliveryCounts> {
  const purged = await knex('delivery_log_purge').where('delivery_id', deliveryId).first()
  if (purged) {
    const kept = typeof purged.counts === 'string' ? JSON.parse(purged.counts) : purged.counts
    return { ...kept, logsPurgedAt: new Date(purged.purged_at).toISOString() }
  }
  const rows: { status: SendingStatus; in_doubt: unknown; count: number | string }[] = await knex(
    'sending_log',
  )
    .select('status', 'in_doubt')
    .count('* as count')
    .where('delivery_id', deliveryId)
    .groupBy('status', 'in_doubt')
  const counts: StatusCounts = {
    pending: 0,
    sending: 0,
    sent: 0,
    failed: 0,
    retry: 0,
    in_doubt: 0,
    inDoubt: 0,
    total: 0,
  }
  for (const row of rows) {
    const n = Number(row.count)
    counts[row.status] += n
    counts.total += n
    if (row.in_doubt === true || row.in_doubt === 1) counts.inDoubt += n
  }
  return counts
}

export interface RetryWork {
  /** Batches holding soft failures whose retry is due now. */
  dueBatches: number[]
  /** When the next soft failure becomes due, if any are waiting. */
  nextRetryAt: number | null
  /** Messages not final yet (pending, in flight or waiting for a retry). */
  unfinished: number
}

/**
 * What is left of a send at `now`. Only waves already due count (a recipient time zone delivery's later
 * waves are the workflow's to start at their instant): a retry never sends a future wave early.
 */
export async function retryWork(db: Database, deliveryId: number, now: Date): Promise<RetryWork> {
  const due: { batch_no: number }[] = await db
    .knex('sending_log')
    .distinct('batch_no')
    .where('delivery_id', deliveryId)
    .andWhere((q) => q.whereNull('planned_at').orWhere('planned_at', '<=', db.date(now)))
    .andWhere((q) =>
      q
        .whereIn('status', ['pending', 'sending'])
        .orWhere((r) => r.where('status', 'retry').andWhere('next_retry_at', '<=', db.date(now))),
    )
    .orderBy('batch_no')
  const next = (await db
    .knex('sending_log')
    .min('next_retry_at as next')
    .count('* as unfinished')
    .where('delivery_id', deliveryId)
    .andWhere((q) => q.whereNull('planned_at').orWhere('planned_at', '<=', db.date(now)))
    .whereIn('status', ['pending', 'sending', 'retry'])) as { next: unknown; unfinished: number | string }[]
  const nextValue = next[0]?.next
  return {
    dueBatches: due.map((r) => Number(r.batch_no)),
    nextRetryAt: nextValue == null ? null : new Date(nextValue as string | number | Date).getTime(),
    unfinished: Number(next[0]?.unfinished ?? 0),
  }
}

/** At the end of the validity period, soft failures still waiting become final failures. */
export async function expireRetries(db: Database, deliveryId: number, now: Date): Promise<number> {
  return db
    .knex('sending_log')
    .where({ delivery_id: deliveryId, status: 'retry' })
    .update({
      status: 'failed',
      failure_type: 'soft',
      failure_reason: db.knex.raw(`'validity period expired: ' || coalesce(failure_reason, '')`),
      updated_at: db.date(now),
    })
}

export interface WaveCount {
  /** Epoch ms of the wave's instant. */
  at: number
  recipients: number
  sent: number
  failed: number
  unfinished: number
}

/** A recipient time zone delivery's sending logs counted per wave (per planned instant), earliest first. */
export async function waveCounts(
  db: Database,
  deliveryId: number,
  /** Only the batches first … first + count - 1 (a recurring run's, in its execution). */
  batches?: { first: number; count: number },
): Promise<WaveCount[]> {
  const query = db
    .knex('sending_log')
    .select('planned_at', 'status')
    .count('* as count')
    .where('delivery_id', deliveryId)
    .whereNotNull('planned_at')
  if (batches) query.whereBetween('batch_no', [batches.first, batches.first + batches.count - 1])
  const rows: { planned_at: unknown; status: string; count: number | string }[] = await query.groupBy(
    'planned_at',
    'status',
  )
  const waves = new Map<number, WaveCount>()
  for (const row of rows) {
    const at = new Date(row.planned_at as string | number | Date).getTime()
    const wave = waves.get(at) ?? { at, recipients: 0, sent: 0, failed: 0, unfinished: 0 }
    const n = Number(row.count)
    wave.recipients += n
    if (row.status === 'sent') wave.sent += n
    else if (finalSendingStatuses.includes(row.status as SendingStatus)) wave.failed += n
    else wave.unfinished += n
    waves.set(at, wave)
  }
  return [...waves.values()].sort((a, b) => a.at - b.at)
}
