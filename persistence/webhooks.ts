import crypto from 'node:crypto'
import type { Knex } from '@mikro-orm/knex'
import type { Database } from './database'
import type { WebhookEventType } from '../domain/webhooks'

/** Outgoing webhooks in the database: endpoints, and the outbox their dispatchers deliver from. */

export interface WebhookEndpointView {
  id: number
  url: string
  events: WebhookEventType[]
  createdBy: string
  createdAt: string
  /** Events not yet accepted by the endpoint, and the last error of one not delivered. */
  pending: number
  delivered: number
  abandoned: number
  lastError: string | null
}

export interface OutboxEvent {
  rowId: number
  eventId: string
  type: WebhookEventType
  payload: string
  createdAt: Date
}

const iso = (value: unknown) => new Date(value as string | number).toISOString()

export async function createWebhookEndpoint(
  db: Database,
  input: { url: string; events: WebhookEventType[]; secret: string; createdBy: string },
): Promise<number> {
  const [row] = (await db
    .knex('webhook_endpoint')
    .insert({
      url: input.url,
      events: JSON.stringify(input.events),
      secret: input.secret,
      created_by: input.createdBy,
      created_at: db.date(new Date()),
    })
    .returning(['id'])) as { id: number }[]
  return Number(row.id)
}

export async function listWebhookEndpoints(db: Database): Promise<WebhookEndpointView[]> {
  const endpoints: Record<string, unknown>[] = await db.knex('webhook_endpoint').select('*').orderBy('id')
  const counts: { endpoint_id: number; status: string; n: number | string }[] = await db
    .knex('webhook_event')
    .select('endpoint_id', 'status')
    .count('* as n')
    .groupBy('endpoint_id', 'status')
  // The latest error of an event not delivered (pending, or abandoned with it).
  const errors: { endpoint_id: number; last_error: string }[] = await db
    .knex('webhook_event')
    .select('endpoint_id', 'last_error')
    .whereIn('status', ['pending', 'abandoned'])
    .whereNotNull('last_error')
    .orderBy('id', 'desc')
  return endpoints.map((e) => {
    const count = (status: string) =>
      Number(counts.find((c) => Number(c.endpoint_id) === Number(e.id) && c.status === status)?.n ?? 0)
    return {
      id: Number(e.id),
      url: String(e.url),
      events: JSON.parse(String(e.events)) as WebhookEventType[],
      createdBy: String(e.created_by),
      createdAt: iso(e.created_at),
      pending: count('pending'),
      delivered: count('delivered'),
      abandoned: count('abandoned'),
      lastError: errors.find((r) => Number(r.endpoint_id) === Number(e.id))?.last_error ?? null,
    }
  })
}

/** Deletes the endpoint and its undelivered events (its dispatcher ends when it finds it gone). */
export async function deleteWebhookEndpoint(db: Database, id: number): Promise<boolean> {
  return db.knex.transaction(async (trx) => {
    await trx('webhook_event').where('endpoint_id', id).delete()
    return (await trx('webhook_endpoint').where('id', id).delete()) > 0
  })
}

export async function findWebhookEndpoint(
  db: Database,
  id: number,
): Promise<{ id: number; url: string; secret: string } | null> {
  const row = await db.knex('webhook_endpoint').select('id', 'url', 'secret').where('id', id).first()
  return row ? { id: Number(row.id), url: String(row.url), secret: String(row.secret) } : null
}

/**
 * Writes one event per endpoint that subscribes to its type, in the caller's transaction: the event
 * exists exactly when the change it reports was committed. `data` is only read when someone listens.
 */
export async function enqueueWebhookEvents(
  db: Database,
  trx: Knex,
  types: WebhookEventType[],
  data: () => Promise<Record<string, unknown>>,
): Promise<void> {
  if (types.length === 0) return
  const endpoints: { id: number; events: string }[] = await trx('webhook_endpoint').select('id', 'events')
  const now = new Date()
  const rows: Record<string, unknown>[] = []
  let figures: Record<string, unknown> | null = null
  for (const type of types) {
    for (const endpoint of endpoints) {
      if (!(JSON.parse(endpoint.events) as string[]).includes(type)) continue
      figures ??= await data()
      const eventId = crypto.randomUUID()
      const payload = JSON.stringify({ id: eventId, type, time: now.toISOString(), data: figures })
      rows.push({
        endpoint_id: endpoint.id,
        event_id: eventId,
        type,
        payload,
        status: 'pending',
        attempts: 0,
        created_at: db.date(now),
      })
    }
  }
  // One row at a time, in order: ids follow the order of the events.
  for (const row of rows) await trx('webhook_event').insert(row)
}

/** The endpoint's oldest event not yet delivered: events go out one at a time, in order. */
export async function nextPendingEvent(db: Database, endpointId: number): Promise<OutboxEvent | null> {
  const row = await db
    .knex('webhook_event')
    .select('id', 'event_id', 'type', 'payload', 'created_at')
    .where({ endpoint_id: endpointId, status: 'pending' })
    .orderBy('id')
    .first()
  if (!row) return null
  return {
    rowId: Number(row.id),
    eventId: String(row.event_id),
    type: row.type as WebhookEventType,
    payload: String(row.payload),
    createdAt: new Date(row.created_at as string | number),
  }
}

/** An attempt the endpoint answered with 2xx. */
export async function markEventDelivered(db: Database, rowId: number): Promise<void> {
  const now = db.date(new Date())
  await db
    .knex('webhook_event')
    .where('id', rowId)
    .update({
      status: 'delivered',
      delivered_at: now,
      last_attempt_at: now,
      attempts: db.knex.raw('attempts + 1'),
    })
}

/** An attempt that failed: the event stays pending, to be tried again. */
export async function markEventFailed(db: Database, rowId: number, error: string): Promise<void> {
  await db
    .knex('webhook_event')
    .where('id', rowId)
    .update({
      last_error: error.slice(0, 500),
      last_attempt_at: db.date(new Date()),
      attempts: db.knex.raw('attempts + 1'),
    })
}

/** Given up after the retry period: kept, with its last error, so the list shows it. */
export async function markEventAbandoned(db: Database, rowId: number): Promise<void> {
  await db.knex('webhook_event').where('id', rowId).update({ status: 'abandoned' })
}
