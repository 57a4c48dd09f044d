import type { Database } from '../persistence/database'
import type { IDelivery, IRecurringDelivery, IRecurringRun } from '../persistence/entities'
import { findDelivery } from '../persistence/delivery-queries'
import { loadRecurring as findRecurring } from '../persistence/recurring'
import { findRun } from '../persistence/recurring-queries'
import { notFound } from './errors'

/** The records a route's path names, or 404 naming what is missing. */

export async function loadDelivery(db: Database, id: number): Promise<IDelivery> {
  const delivery = await findDelivery(db, id)
  if (!delivery) throw notFound(`delivery ${id}`)
  return delivery
}

export async function loadRecurring(db: Database, id: number): Promise<IRecurringDelivery> {
  const recurring = await findRecurring(db, id)
  if (!recurring) throw notFound(`recurring delivery ${id}`)
  return recurring
}

export async function loadRun(db: Database, id: number, runId: number): Promise<IRecurringRun> {
  const run = await findRun(db, id, runId)
  if (!run) throw notFound(`run ${runId} of recurring delivery ${id}`)
  return run
}
