import type { Database } from './database'
import { compileTrackedHtml } from '../domain/tracked-links'
import type { TrackingKind } from '../domain/tracking-token'

/** Tracked URLs per delivery and the tracking log: one row per open, click, unsubscribe or mirror view. */

/**
 * Each preparation stores the delivery's tracked URLs anew (content may have changed since): a click
 * redirects only to a URL stored for the delivery its link came from.
 */
export async function replaceTrackedUrls(
  db: Database,
  delivery: { id: number; tracking: boolean; html?: string | null },
): Promise<void> {
  const links = delivery.tracking ? compileTrackedHtml(delivery.html ?? '').links : []
  await db.knex.transaction(async (trx) => {
    await trx('tracked_url').where('delivery_id', delivery.id).delete()
    if (links.length)
      await trx('tracked_url').insert(
        links.map((link) => ({ delivery_id: delivery.id, link_no: link.linkNo, url: link.url })),
      )
  })
}

export async function findTrackedUrl(
  db: Database,
  deliveryId: number,
  linkNo: number,
): Promise<string | null> {
  const row = await db
    .knex('tracked_url')
    .select('url')
    .where({ delivery_id: deliveryId, link_no: linkNo })
    .first()
  return row ? String(row.url) : null
}

export interface TrackingEvent {
  deliveryId: number
  profileId: number
  type: TrackingKind
  linkNo?: number | null
  userAgent?: string | null
  at: Date
}

/** False when the delivery or the profile no longer exists (nothing is recorded then). */

const iso = (value: unknown) => (value == null ? null : new Date(value as string | number).toISOString())

export interface TrackingLogFilter {
  type?: TrackingKind
  profileId?: number
}

/** Tracking logs of a delivery joined with the URL of each click. */
export function trackingLogQuery(db: Database, deliveryId: number, filter: TrackingLogFilter = {}) {
  const query = db
    .knex('tracking_log as t')
    .leftJoin('tracked_url as u', (j) =>
      j.on('u.delivery_id', 't.delivery_id').andOn('u.link_no', 't.link_no'),
    )
    .where('t.delivery_id', deliveryId)
  if (filter.type) query.andWhere('t.type', filter.type)
  if (filter.profileId) query.andWhere('t.profile_id', filter.profileId)
  return query
}

export function presentTrackingLog(r: Record<string, unknown>) {
  return {
    id: Number(r.id),
    profileId: Number(r.profile_id),
    type: r.type as TrackingKind,
    url: (r.url as string | null) ?? null,
    userAgent: (r.user_agent as string | null) ?? null,
    at: iso(r.created_at),
  }
}

export const trackingLogColumns = ['t.id', 't.profile_id', 't.type', 'u.url', 't.user_agent', 't.created_at']

/** The delivery's tracked URLs with their clicks and the profiles who clicked them. */
export async function trackedUrlsWithClicks(db: Database, deliveryId: number) {
  const rows: Record<string, unknown>[] = await db
    .knex('tracked_url as u')
    .leftJoin('tracking_log as t', (j) =>
      j.on('t.delivery_id', 'u.delivery_id').andOn('t.link_no', 'u.link_no').andOnVal('t.type', 'click'),
    )
    .where('u.delivery_id', deliveryId)
    .groupBy('u.id', 'u.link_no', 'u.url')
    .select('u.link_no', 'u.url')
    .count('t.id as clicks')
    .countDistinct('t.profile_id as clickers')
    .orderBy('u.link_no')
  return rows.map((r) => ({
    linkNo: Number(r.link_no),
    url: String(r.url),
    clicks: Number(r.clicks),
    uniqueClicks: Number(r.clickers),
  }))
}

/** The address a delivery's message went to, as written in its sending log; null if none was sent. */
export async function sentAddress(
  db: Database,
  deliveryId: number,
  profileId: number,
): Promise<string | null> {
  const row = await db
    .knex('sending_log')
    .select('email')
    .where({ delivery_id: deliveryId, profile_id: profileId })
    .first()
  return row ? String(row.email) : null
}

export async function unsubscribeProfile(db: Database, profileId: number, at: Date): Promise<void> {
  await db
    .knex('profile')
    .where('id', profileId)
    .update({ subscribed: false, updated_at: db.date(at) })
}

/** Bucket sizes for the opens and clicks chart: the smallest that keeps it under 60 points. */
const bucketSizes = [60_000, 300_000, 900_000, 3_600_000, 6 * 3_600_000, 24 * 3_600_000, 7 * 24 * 3_600_000]

export interface TrackingPoint {
  at: string
  /** profiles with any tracking event in the interval (a click is an open) */
  opens: number
  /** profiles who clicked in the interval */
  clicks: number
}

/** Unique openers and clickers per interval since the first event, grouped in the database. */
export async function trackingSeries(db: Database, deliveryId: number): Promise<TrackingPoint[]> {
  const range = (await db
    .knex('tracking_log')
    .where('delivery_id', deliveryId)
    .min('created_at as first')
    .max('created_at as last')) as {
    first: unknown
    last: unknown
  }[]
  if (range[0]?.first == null) return []
  const first = new Date(range[0].first as string | number).getTime()
  const last = new Date(range[0].last as string | number).getTime()
  const size = bucketSizes.find((ms) => (last - first) / ms < 60) ?? bucketSizes[bucketSizes.length - 1]
  const millis = db.dialect === 'postgresql' ? '(extract(epoch from created_at) * 1000)' : 'created_at'
  const rows: { bucket: number | string; opens: number | string; clicks: number | string }[] = await db
    .knex('tracking_log')
    .where('delivery_id', deliveryId)
    .select(db.knex.raw(`floor(${millis} / ?) as bucket`, [size]))
    .select(db.knex.raw('count(distinct profile_id) as opens'))
    .select(db.knex.raw(`count(distinct case when type = 'click' then profile_id end) as clicks`))
    .groupBy('bucket')
    .orderBy('bucket')
  return rows.map((r) => ({
    at: new Date(Number(r.bucket) * size).toISOString(),
    opens: Number(r.opens),
    clicks: Number(r.clicks),
  }))
}
