import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import type { WebhookEventType } from '../domain/webhooks'

/** Outgoing webhooks' tables (migration Migration20261202000000_webhooks); read and written with SQL in persistence/webhooks.ts. */

export const WebhookEndpoint = defineEntity({
  name: 'WebhookEndpoint',
  tableName: 'webhook_endpoint',
  properties: {
    id: p.integer().primary().autoincrement(),
    url: p.string().length(2000),
    /** JSON array of the event types it receives. */
    events: p.text(),
    /** Signs each POST (HMAC-SHA256); kept as given, since the receiver holds the same. */
    secret: p.string().length(255),
    createdBy: p.string().length(255),
    createdAt: p.datetime(),
  },
})
export type IWebhookEndpoint = InferEntity<typeof WebhookEndpoint>

/** The outbox: one row per event per endpoint, delivered in id order. */
export const WebhookEvent = defineEntity({
  name: 'WebhookEvent',
  tableName: 'webhook_event',
  properties: {
    id: p.integer().primary().autoincrement(),
    endpoint: () => p.manyToOne(WebhookEndpoint).deleteRule('cascade'),
    /** The id the receiver sees, the same on every retry. */
    eventId: p.string().length(36).unique(),
    type: p.string().length(64).$type<WebhookEventType>(),
    /** The exact body POSTed, byte for byte the same on every retry. */
    payload: p.text(),
    status: p.string().length(16).$type<'pending' | 'delivered' | 'abandoned'>(),
    attempts: p.integer().default(0),
    lastError: p.string().length(500).nullable(),
    createdAt: p.datetime(),
    lastAttemptAt: p.datetime().nullable(),
    deliveredAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['endpoint', 'status', 'id'] }],
})

export const webhookEntities = [WebhookEndpoint, WebhookEvent]
