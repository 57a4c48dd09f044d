import type { Database } from './database'
import { Delivery, type IDelivery } from './entities'
import type { DeliveryStatus } from '../domain/delivery-states'
import { likeContaining, type PageRequest } from './sql'

/** Deliveries as the API reads and creates them. */

export function findDelivery(db: Database, id: number): Promise<IDelivery | null> {
  return db.em().findOne(Delivery, id)
}

/** Deliveries newest first, by status and by part of the label. */
export async function listDeliveries(
  db: Database,
  filter: { status?: DeliveryStatus; search?: string },
  { page, pageSize }: PageRequest,
): Promise<{ items: IDelivery[]; total: number }> {
  const where: Record<string, unknown> = {}
  if (filter.status) where.status = filter.status
  if (filter.search) where.label = { $like: likeContaining(filter.search) }
  const [items, total] = await db.em().findAndCount(Delivery, where, {
    orderBy: { id: 'desc' },
    limit: pageSize,
    offset: (page - 1) * pageSize,
  })
  return { items, total }
}

/** Stores a new delivery (a draft) as given. */
export async function insertDelivery(db: Database, fields: Record<string, unknown>): Promise<IDelivery> {
  const em = db.em()
  const delivery = em.create(Delivery, fields as never)
  await em.flush()
  return delivery
}

/** What the mirror page of a delivery's message is made of. */
export function deliveryContent(
  db: Database,
  id: number,
): Promise<{ subject: string; html: string | null; text: string | null; tracking: boolean } | undefined> {
  return db.knex('delivery').select('subject', 'html', 'text', 'tracking').where('id', id).first()
}
