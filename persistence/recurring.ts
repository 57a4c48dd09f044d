import type { Knex } from '@mikro-orm/knex'
import type { Database } from './database'
import { Delivery, RecurringDelivery, type IDelivery, type IRecurringDelivery } from './entities'
import type { RunStatus } from '../domain/recurring-runs'
import type { StatusCounts } from './sending-logs'
import { updateRunWithEvents } from './webhook-events'

/**
 * Recurring deliveries in the database: their runs, and their executions (deliveries with a
 * `recurring_id` and the aggregation period they cover).
 */

export async function loadRecurring(db: Database, id: number): Promise<IRecurringDelivery | null> {
  return db.em().findOne(RecurringDelivery, id)
}

/** Records a run the first time its workflow asks (activity retries find the same row). */
export async function recordRunStart(
  db: Database,
  input: { recurringId: number; workflowId: string; scheduledAt: number; startedAt: number },
): Promise<number> {
  await db
    .knex('recurring_run')
    .insert({
      recurring_id: input.recurringId,
      workflow_id: input.workflowId,
      scheduled_at: db.date(new Date(input.scheduledAt)),
      started_at: db.date(new Date(input.startedAt)),
      status: 'started',
      batch_count: 0,
      messages_to_deliver: 0,
      excluded_count: 0,
    })
    .onConflict('workflow_id')
    .ignore()
  const row = await db.knex('recurring_run').select('id').where('workflow_id', input.workflowId).first()
  return Number(row.id)
}

export interface RunPatch {
  status?: RunStatus
  reason?: string | null
  executionId?: number
  firstBatch?: number
  batchCount?: number
  messagesToDeliver?: number
  excludedCount?: number
  confirmedBy?: string
  confirmedAt?: number
  finishedAt?: number
}

const runColumns: Record<keyof RunPatch, [string, 'date' | 'value']> = {
  status: ['status', 'value'],
  reason: ['reason', 'value'],
  executionId: ['delivery_id', 'value'],
  firstBatch: ['first_batch', 'value'],
  batchCount: ['batch_count', 'value'],
  messagesToDeliver: ['messages_to_deliver', 'value'],
  excludedCount: ['excluded_count', 'value'],
  confirmedBy: ['confirmed_by', 'value'],
  confirmedAt: ['confirmed_at', 'date'],
  finishedAt: ['finished_at', 'date'],
}

export async function recordRun(
  db: Database,
  runId: number,
  patch: RunPatch,
  knex: Knex = db.knex,
): Promise<void> {
  const row: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(patch)) {
    const column = runColumns[key as keyof RunPatch]
    if (!column) throw new Error(`unknown run field ${key}`)
    row[column[0]] =
      column[1] === 'date' && typeof value === 'number'
        ? db.date(new Date(value))
        : key === 'reason' && typeof value === 'string'
          ? value.slice(0, 500)
          : value
  }
  const apply = (trx: Knex) => trx('recurring_run').where('id', runId).update(row)
  if (!patch.status) {
    if (Object.keys(row).length) await apply(knex)
  } else if (knex === db.knex) {
    await db.knex.transaction((trx) => updateRunWithEvents(db, trx, runId, patch.status, apply))
  } else {
    await updateRunWithEvents(db, knex, runId, patch.status, apply)
  }
}

/** What a run's committed preparation recorded (a retry returns it as it was), or null before it. */
export async function preparedRun(
  db: Database,
  runId: number,
): Promise<{ executionId: number; firstBatch: number; batches: number; toDeliver: number } | null> {
  const row = await db.knex('recurring_run').where('id', runId).first()
  if (row?.first_batch == null) return null
  return {
    executionId: Number(row.delivery_id),
    firstBatch: Number(row.first_batch),
    batches: Number(row.batch_count),
    toDeliver: Number(row.messages_to_deliver),
  }
}

/** The time the schedule meant a run for (epoch ms), as its start recorded it. */
export async function runScheduledAt(db: Database, runId: number): Promise<number> {
  const row = await db.knex('recurring_run').select('scheduled_at').where('id', runId).first()
  return new Date(row.scheduled_at as string | number | Date).getTime()
}

/**
 * An execution sent at each recipient's local time takes the occurrence a run prepared it for: its
 * contact date (the wall-clock time, as the instant it names in the recurrence's zone) and the flag.
 */
export async function recordExecutionOccurrence(
  db: Database,
  executionId: number,
  contactDate: number,
): Promise<void> {
  await db
    .knex('delivery')
    .where('id', executionId)
    .update({ recipient_time_zone: true, contact_date: db.date(new Date(contactDate)) })
}

/**
 * The execution covering `periodKey`, created on the first run of the period with the recurrence's
 * content (a delivery that needs no approval: the recurrence was set up by someone allowed to).
 */
export async function openExecution(
  db: Database,
  recurring: IRecurringDelivery,
  periodKey: string,
  label: string,
): Promise<{ execution: IDelivery; created: boolean }> {
  const em = db.em()
  const found = await em.findOne(Delivery, { recurringId: recurring.id, periodKey })
  if (found) return { execution: found, created: false }
  const execution = em.create(Delivery, {
    label: label.slice(0, 255),
    subject: recurring.subject,
    html: recurring.html,
    text: recurring.text,
    fromName: recurring.fromName,
    fromEmail: recurring.fromEmail,
    audience: recurring.audience,
    timeZone: recurring.timeZone,
    tracking: recurring.tracking,
    guarantee: recurring.guarantee,
    requireApproval: false,
    targetLimit: recurring.targetLimit,
    status: 'preparing',
    recurringId: recurring.id,
    periodKey,
    createdBy: recurring.createdBy,
  } as never)
  await em.flush()
  return { execution, created: true }
}

/** Counts an execution holds once a run has added to it. */
export async function refreshExecutionCounts(db: Database, executionId: number): Promise<void> {
  const count = async (table: string) =>
    Number(
      ((await db.knex(table).where('delivery_id', executionId).count('* as n')) as { n: unknown }[])[0].n,
    )
  const [toDeliver, excluded] = [await count('sending_log'), await count('exclusion_log')]
  await db
    .knex('delivery')
    .where('id', executionId)
    .update({
      messages_to_deliver: toDeliver,
      excluded_count: excluded,
      target_count: toDeliver + excluded,
      updated_at: db.date(new Date()),
    })
}

export const emptyCounts = (): StatusCounts => ({
  pending: 0,
  sending: 0,
  sent: 0,
  failed: 0,
  retry: 0,
  in_doubt: 0,
  inDoubt: 0,
  total: 0,
})

function tally(
  rows: { key: unknown; status: keyof StatusCounts; in_doubt: unknown; count: number | string }[],
): Map<number, StatusCounts> {
  const byKey = new Map<number, StatusCounts>()
  for (const row of rows) {
    const key = Number(row.key)
    const counts = byKey.get(key) ?? emptyCounts()
    const n = Number(row.count)
    counts[row.status] += n
    counts.total += n
    if (row.in_doubt === true || row.in_doubt === 1) counts.inDoubt += n
    byKey.set(key, counts)
  }
  return byKey
}

/** Sending-log counts of each run: the logs in the batches it added to its execution. */
export async function countRunLogs(db: Database, runIds: number[]): Promise<Map<number, StatusCounts>> {
  if (!runIds.length) return new Map()
  const rows = await db
    .knex('recurring_run as r')
    .join('sending_log as s', (join) =>
      join
        .on('s.delivery_id', 'r.delivery_id')
        .andOn('s.batch_no', '>=', 'r.first_batch')
        .andOn(db.knex.raw('s.batch_no < r.first_batch + r.batch_count')),
    )
    .whereIn('r.id', runIds)
    .select('r.id as key', 's.status', 's.in_doubt')
    .count('* as count')
    .groupBy('r.id', 's.status', 's.in_doubt')
  const byRun = tally(rows as never)
  return new Map(runIds.map((id) => [id, byRun.get(id) ?? emptyCounts()]))
}

/**
 * Sending-log counts of each execution of a recurring delivery; an execution whose logs were purged
 * (retention) counts what was kept before they went, as a delivery's own counts do.
 */
export async function countExecutionLogs(
  db: Database,
  recurringId: number,
): Promise<Map<number, StatusCounts>> {
  const rows = await db
    .knex('sending_log as s')
    .join('delivery as d', 'd.id', 's.delivery_id')
    .where('d.recurring_id', recurringId)
    .select('s.delivery_id as key', 's.status', 's.in_doubt')
    .count('* as count')
    .groupBy('s.delivery_id', 's.status', 's.in_doubt')
  const counts = tally(rows as never)
  const purged: { delivery_id: number; counts: unknown }[] = await db
    .knex('delivery_log_purge as p')
    .join('delivery as d', 'd.id', 'p.delivery_id')
    .where('d.recurring_id', recurringId)
    .select('p.delivery_id', 'p.counts')
  for (const row of purged) {
    const kept = (
      typeof row.counts === 'string' ? JSON.parse(row.counts) : row.counts
    ) as Partial<StatusCounts>
    counts.set(Number(row.delivery_id), { ...emptyCounts(), ...kept })
  }
  return counts
}

export async function countRunsByStatus(
  db: Database,
  recurringId: number,
): Promise<Partial<Record<RunStatus, number>>> {
  const rows: { status: RunStatus; count: number | string }[] = await db
    .knex('recurring_run')
    .where('recurring_id', recurringId)
    .select('status')
    .count('* as count')
    .groupBy('status')
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]))
}

/** Runs that may still act: the ones a stop must expire (or, with `status` sending, stop sending waves). */
export async function unfinishedRunWorkflows(
  db: Database,
  recurringId: number,
  statuses: RunStatus[] = ['started', 'preparing', 'waiting_for_confirmation'],
): Promise<string[]> {
  const rows: { workflow_id: string }[] = await db
    .knex('recurring_run')
    .where('recurring_id', recurringId)
    .whereIn('status', statuses)
    .select('workflow_id')
  return rows.map((r) => r.workflow_id)
}
