import type { Database } from './database'
import {
  Delivery,
  RecurringDelivery,
  RecurringRun,
  type IDelivery,
  type IRecurringDelivery,
  type IRecurringRun,
} from './entities'
import type { RecurringStatus, RunStatus } from '../domain/recurring-runs'
import type { PageRequest } from './sql'

/** Recurring deliveries, their runs and their executions as the API reads and changes them. */

const newestFirst = ({ page, pageSize }: PageRequest) => ({
  orderBy: { id: 'desc' } as const,
  limit: pageSize,
  offset: (page - 1) * pageSize,
})

/** Stores a new recurring delivery as given. */
export async function insertRecurring(
  db: Database,
  fields: Record<string, unknown>,
): Promise<IRecurringDelivery> {
  const em = db.em()
  const recurring = em.create(RecurringDelivery, fields as never)
  await em.flush()
  return recurring
}

export async function deleteRecurringRow(db: Database, id: number): Promise<void> {
  await db.knex('recurring_delivery').where('id', id).delete()
}

/** Records the status (and sets it on the entity given) when it changed. */
export async function setRecurringStatus(
  db: Database,
  recurring: IRecurringDelivery,
  status: RecurringStatus,
): Promise<void> {
  if (recurring.status === status) return
  recurring.status = status
  await db
    .knex('recurring_delivery')
    .where('id', recurring.id)
    .update({ status, updated_at: db.date(new Date()) })
}

export async function listRecurring(
  db: Database,
  status: RecurringStatus | undefined,
  page: PageRequest,
): Promise<{ items: IRecurringDelivery[]; total: number }> {
  const where = status ? { status } : {}
  const [items, total] = await db.em().findAndCount(RecurringDelivery, where, newestFirst(page))
  return { items, total }
}

/** Every execution of a recurring delivery. */
export function findExecutions(db: Database, recurringId: number): Promise<IDelivery[]> {
  return db.em().find(Delivery, { recurringId })
}

export async function executionPage(
  db: Database,
  recurringId: number,
  page: PageRequest,
): Promise<{ items: IDelivery[]; total: number }> {
  const [items, total] = await db.em().findAndCount(Delivery, { recurringId }, newestFirst(page))
  return { items, total }
}

/** How many runs added to each execution of a recurring delivery, by execution id. */
export async function runCountsByExecution(db: Database, recurringId: number): Promise<Map<number, number>> {
  const runs: { delivery_id: number; count: number | string }[] = await db
    .knex('recurring_run')
    .where('recurring_id', recurringId)
    .whereNotNull('delivery_id')
    .select('delivery_id')
    .count('* as count')
    .groupBy('delivery_id')
  return new Map(runs.map((r) => [Number(r.delivery_id), Number(r.count)]))
}

/** The workflow of the latest run that added to an execution; null before any did. */
export async function latestRunWorkflowId(db: Database, executionId: number): Promise<string | null> {
  const latest = await db
    .knex('recurring_run')
    .select('workflow_id')
    .where('delivery_id', executionId)
    .orderBy('id', 'desc')
    .first()
  return latest?.workflow_id ?? null
}

export function findRun(db: Database, recurringId: number, runId: number): Promise<IRecurringRun | null> {
  return db.em().findOne(RecurringRun, { id: runId, recurring: recurringId })
}

export function latestRun(db: Database, recurringId: number): Promise<IRecurringRun | null> {
  return db.em().findOne(RecurringRun, { recurring: recurringId }, { orderBy: { id: 'desc' } })
}

export async function runPage(
  db: Database,
  recurringId: number,
  status: RunStatus | undefined,
  page: PageRequest,
): Promise<{ items: IRecurringRun[]; total: number }> {
  const where = { recurring: recurringId, ...(status ? { status } : {}) }
  const [items, total] = await db.em().findAndCount(RecurringRun, where, newestFirst(page))
  return { items, total }
}
