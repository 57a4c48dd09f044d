import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import type { TrackingKind } from '../domain/tracking-token'
import type { AlertCriterion } from '../domain/alerts'
import { Delivery, Profile } from './entities'

/** After the send: tracked URLs, tracking logs, KPI snapshots and alerts (migration `…_tracking`). */

export const TrackedUrl = defineEntity({
  name: 'TrackedUrl',
  properties: {
    id: p.integer().primary().autoincrement(),
    delivery: () => p.manyToOne(Delivery).deleteRule('cascade'),
    /** The number the click tokens carry, from 1. */
    linkNo: p.integer(),
    url: p.text(),
  },
  uniques: [{ properties: ['delivery', 'linkNo'] }],
})
export type ITrackedUrl = InferEntity<typeof TrackedUrl>

export const TrackingLog = defineEntity({
  name: 'TrackingLog',
  properties: {
    id: p.integer().primary().autoincrement(),
    delivery: () => p.manyToOne(Delivery).deleteRule('cascade'),
    profile: () => p.manyToOne(Profile).deleteRule('cascade'),
    type: p.string().length(16).$type<TrackingKind>(),
    /** The tracked URL of a click. */
    linkNo: p.integer().nullable(),
    userAgent: p.string().length(500).nullable(),
    createdAt: p.datetime(),
  },
  indexes: [
    { properties: ['delivery', 'id'] },
    { properties: ['delivery', 'type', 'profile', 'id'] },
    { properties: ['profile', 'delivery', 'id'] },
  ],
})
export type ITrackingLog = InferEntity<typeof TrackingLog>

/** The KPIs the stats workflow keeps; delivered and bounce figures are read live from the sending logs. */
export const DeliveryStats = defineEntity({
  name: 'DeliveryStats',
  properties: {
    delivery: () => p.oneToOne(Delivery).primary().deleteRule('cascade'),
    delivered: p.integer().default(0),
    failed: p.integer().default(0),
    uniqueOpens: p.integer().default(0),
    uniqueClicks: p.integer().default(0),
    /**
     * Incremental refresh: tracking logs up to `settledId` are old enough that no insert of a lower id
     * can still be in flight; the unique opens and clicks among them are `settledOpens`/`settledClicks`.
     */
    settledId: p.integer().default(0),
    settledOpens: p.integer().default(0),
    settledClicks: p.integer().default(0),
    /** Last Compute stats (every KPI from the logs). */
    computedAt: p.datetime().nullable(),
    /** Last refresh of open and click rates. */
    refreshedAt: p.datetime().nullable(),
  },
})
export type IDeliveryStats = InferEntity<typeof DeliveryStats>

export const DeliveryAlert = defineEntity({
  name: 'DeliveryAlert',
  properties: {
    id: p.integer().primary().autoincrement(),
    delivery: () => p.manyToOne(Delivery).deleteRule('cascade'),
    criterion: p.string().length(32).$type<AlertCriterion>(),
    message: p.string().length(1000),
    emailedTo: p.string().length(1000).nullable(),
    emailedAt: p.datetime().nullable(),
    createdAt: p.datetime(),
  },
  uniques: [{ properties: ['delivery', 'criterion'] }],
})
export type IDeliveryAlert = InferEntity<typeof DeliveryAlert>

export const trackingEntities = [TrackedUrl, TrackingLog, DeliveryStats, DeliveryAlert]
