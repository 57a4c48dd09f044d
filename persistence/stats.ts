import type { Knex } from '@mikro-orm/knex'
import type { Database } from './database'
import { computeKpis, type KpiCounts, type StatsFigures } from '../domain/kpis'
import { countSendingLogs, type StatusCounts } from './sending-logs'

/**
 * A delivery's KPIs. Delivered and bounce figures are read live from the sending logs; unique opens and
 * clicks are kept in `delivery_stats`, recomputed from the logs by Compute stats and refreshed
 * incrementally (only tracking logs new since the last refresh are read) by the stats workflow.
 */

export type { StatsFigures }

/**
 * Tracking logs younger than this are not "settled": a lower id could still be in flight in another
 * transaction (ids are allocated before commit). The incremental refresh only moves its mark over
 * settled rows, and counts the others afresh each time.
 */
const settleMs = 10_000

interface Engagement {
  opens: number
  clicks: number
}

/** Every KPI from the sending and tracking logs at once. */
export async function computeDeliveryStats(
  db: Database,
  deliveryId: number,
  now: Date,
): Promise<StatsFigures> {
  const counts = await countSendingLogs(db, deliveryId)
  // Its logs are purged: the figures kept before they went are the delivery's KPIs for good.
  if (counts.logsPurgedAt) return (await readDeliveryStats(db, deliveryId))!
  const settledId = await settledMark(db, deliveryId, now)
  const settled = await uniqueEngagement(db, deliveryId, settledId)
  const recent = await newEngagement(db, deliveryId, settledId)
  await saveStats(db, deliveryId, {
    delivered: counts.sent,
    failed: counts.failed + counts.in_doubt,
    ...engagementColumns(settledId, settled, recent),
    computed_at: db.date(now),
    refreshed_at: db.date(now),
  })
  return (await readDeliveryStats(db, deliveryId))!
}

/**
 * Open and click rates brought up to date by reading only the tracking logs written since the last
 * refresh; delivered and failed keep the figures of the last Compute stats. Null before any.
 */
export async function refreshDeliveryStats(
  db: Database,
  deliveryId: number,
  now: Date,
): Promise<StatsFigures | null> {
  const row = await db.knex('delivery_stats').where('delivery_id', deliveryId).first()
  if (!row) return null
  if (await db.knex('delivery_log_purge').where('delivery_id', deliveryId).first())
    return readDeliveryStats(db, deliveryId)
  const from = Number(row.settled_id)
  const settledId = Math.max(from, await settledMark(db, deliveryId, now))
  const added = await newEngagement(db, deliveryId, from, settledId)
  const settled = {
    opens: Number(row.settled_opens) + added.opens,
    clicks: Number(row.settled_clicks) + added.clicks,
  }
  const recent = await newEngagement(db, deliveryId, settledId)
  await db
    .knex('delivery_stats')
    .where('delivery_id', deliveryId)
    .update({ ...engagementColumns(settledId, settled, recent), refreshed_at: db.date(now) })
  return readDeliveryStats(db, deliveryId)
}

/** Unique opens and clicks: those settled up to tracking log `settledId` (kept for the next refresh) plus newer ones. */
function engagementColumns(settledId: number, settled: Engagement, recent: Engagement) {
  return {
    unique_opens: settled.opens + recent.opens,
    unique_clicks: settled.clicks + recent.clicks,
    settled_id: settledId,
    settled_opens: settled.opens,
    settled_clicks: settled.clicks,
  }
}

/** The KPIs as last computed or refreshed. */
export async function readDeliveryStats(db: Database, deliveryId: number): Promise<StatsFigures | null> {
  const row = await db
    .knex('delivery_stats as s')
    .join('delivery as d', 'd.id', 's.delivery_id')
    .select('s.*', 'd.messages_to_deliver')
    .where('s.delivery_id', deliveryId)
    .first()
  if (!row) return null
  return {
    kpis: computeKpis({
      toDeliver: Number(row.messages_to_deliver),
      delivered: Number(row.delivered),
      failed: Number(row.failed),
      uniqueOpens: Number(row.unique_opens),
      uniqueClicks: Number(row.unique_clicks),
    }),
    computedAt: iso(row.computed_at),
    refreshedAt: iso(row.refreshed_at),
  }
}

/** Live KPIs: delivered and bounces from the sending logs now, opens and clicks as last refreshed. */
/** A delivery's counts for its KPIs: sending logs live, opens and clicks as last computed or refreshed. */
export async function kpiCountsOf(
  db: Database,
  delivery: { id: number; messagesToDeliver: number },
  counts?: StatusCounts,
): Promise<KpiCounts & { computedAt: string | null; refreshedAt: string | null }> {
  const live = counts ?? (await countSendingLogs(db, delivery.id))
  const row = await db
    .knex('delivery_stats')
    .select('unique_opens', 'unique_clicks', 'computed_at', 'refreshed_at')
    .where('delivery_id', delivery.id)
    .first()
  return {
    toDeliver: delivery.messagesToDeliver,
    delivered: live.sent,
    failed: live.failed + live.in_doubt,
    uniqueOpens: Number(row?.unique_opens ?? 0),
    uniqueClicks: Number(row?.unique_clicks ?? 0),
    computedAt: iso(row?.computed_at),
    refreshedAt: iso(row?.refreshed_at),
  }
}

export async function liveKpis(
  db: Database,
  delivery: { id: number; messagesToDeliver: number },
  counts?: StatusCounts,
): Promise<StatsFigures> {
  const { computedAt, refreshedAt, ...kpiCounts } = await kpiCountsOf(db, delivery, counts)
  return { kpis: computeKpis(kpiCounts), computedAt, refreshedAt }
}

const iso = (value: unknown) => (value == null ? null : new Date(value as string | number).toISOString())

/** The newest tracking log old enough that every lower id is committed. */
async function settledMark(db: Database, deliveryId: number, now: Date): Promise<number> {
  const row = await db
    .knex('tracking_log')
    .select('id')
    .where('delivery_id', deliveryId)
    .andWhere('created_at', '<', db.date(new Date(now.getTime() - settleMs)))
    .orderBy('id', 'desc')
    .first()
  return row ? Number(row.id) : 0
}

/** Unique profiles with any tracking event, and who clicked, among logs up to `upTo`. */
async function uniqueEngagement(db: Database, deliveryId: number, upTo: number): Promise<Engagement> {
  const [row] = await db
    .knex('tracking_log')
    .where('delivery_id', deliveryId)
    .andWhere('id', '<=', upTo)
    .select(
      db.knex.raw('count(distinct profile_id) as opens'),
      db.knex.raw(`count(distinct case when type = 'click' then profile_id end) as clicks`),
    )
  return { opens: Number(row?.opens ?? 0), clicks: Number(row?.clicks ?? 0) }
}

/** Profiles whose first event (first click) lies after `after` (and up to `upTo`, when given). */
async function newEngagement(
  db: Database,
  deliveryId: number,
  after: number,
  upTo?: number,
): Promise<Engagement> {
  const firstSince = (clicksOnly: boolean) => {
    const query = db
      .knex('tracking_log as t')
      .countDistinct('t.profile_id as n')
      .where('t.delivery_id', deliveryId)
      .andWhere('t.id', '>', after)
      .whereNotExists((q: Knex.QueryBuilder) => {
        q.select(db.knex.raw('1'))
          .from('tracking_log as o')
          .where('o.delivery_id', deliveryId)
          .andWhereRaw('o.profile_id = t.profile_id')
          .andWhere('o.id', '<=', after)
        if (clicksOnly) q.andWhere('o.type', 'click')
      })
    if (upTo !== undefined) query.andWhere('t.id', '<=', upTo)
    if (clicksOnly) query.andWhere('t.type', 'click')
    return query.first()
  }
  if (upTo !== undefined && upTo <= after) return { opens: 0, clicks: 0 }
  const [opens, clicks] = await Promise.all([firstSince(false), firstSince(true)])
  return { opens: Number(opens?.n ?? 0), clicks: Number(clicks?.n ?? 0) }
}

async function saveStats(db: Database, deliveryId: number, row: Record<string, unknown>): Promise<void> {
  await db
    .knex('delivery_stats')
    .insert({ delivery_id: deliveryId, ...row })
    .onConflict('delivery_id')
    .merge()
}
