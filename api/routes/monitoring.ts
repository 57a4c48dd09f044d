import { OpenAPIHono, z } from '@hono/zod-openapi'
import { stringify } from 'csv-stringify/sync'
import { messageIdFor } from '../../domain/message-id'
import { renderHeader } from '../../domain/personalisation'
import { Delivery as DeliveryEntity, type IDelivery } from '../../persistence/entities'
import { countSendingLogs } from '../../persistence/sending-logs'
import { liveKpis } from '../../persistence/stats'
import { countFailureCategories } from '../../persistence/failure-categories'
import {
  presentTrackingLog,
  trackedUrlsWithClicks,
  trackingLogColumns,
  trackingLogQuery,
  trackingSeries,
} from '../../persistence/tracking'
import { profileHistory } from '../../persistence/profile-history'
import { getProfile } from '../../persistence/profiles'
import { listAlerts } from '../../persistence/alerts'
import { TrackingUrls } from '../../mail/tracking-urls'
import type { Database } from '../../persistence/database'
import type { AppEnv } from '../auth'
import { notFound } from '../errors'
import * as s from '../schemas'
import * as m from '../monitoring-schemas'
import { allErrors as errors, guardedRoute as route, json } from '../openapi'
import type { ApiContext } from '../context'
import type { StatsWorkflows } from '../stats-workflows'
import { progressOf } from './deliveries'

/**
 * After the send (SPEC.md "History and monitoring"): KPIs and Compute stats, tracking logs, tracked URLs,
 * CSV exports of the logs, alerts, and a profile's history.
 */
export function monitoringRoutes(ctx: ApiContext, stats: StatsWorkflows, trackingSecret: string) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const { db } = ctx

  const load = async (id: number): Promise<IDelivery> => {
    const delivery = await db.em().findOne(DeliveryEntity, id)
    if (!delivery) throw notFound(`delivery ${id}`)
    return delivery
  }

  app.openapi(
    route('read', 'read deliveries', {
      method: 'get',
      path: '/deliveries/{id}/kpis',
      summary: 'KPIs and progress: delivered and bounces live, opens and clicks as last refreshed',
      request: { params: s.IdParam },
      responses: {
        200: json(
          m.StatsFigures.extend({ progress: s.Progress, failureCategories: m.FailureCategoryCounts }),
          'KPIs, progress and the sending logs per failure category',
        ),
        ...errors,
      },
    }),
    async (c) => {
      const delivery = await load(c.req.valid('param').id)
      const counts = await countSendingLogs(db, delivery.id)
      return c.json(
        {
          ...(await liveKpis(db, delivery, counts)),
          progress: progressOf(delivery, counts),
          failureCategories: await countFailureCategories(db, delivery.id),
        },
        200,
      )
    },
  )

  app.openapi(
    route('computeStats', 'compute stats', {
      method: 'post',
      path: '/deliveries/{id}/compute-stats',
      summary: 'Compute stats: recompute every KPI from the sending and tracking logs now',
      request: { params: s.IdParam },
      responses: { 200: json(m.StatsFigures, 'The new figures'), ...errors },
    }),
    async (c) => {
      const delivery = await load(c.req.valid('param').id)
      return c.json(await stats.compute(delivery.id), 200)
    },
  )

  app.openapi(
    route('read', 'read the opens and clicks over time', {
      method: 'get',
      path: '/deliveries/{id}/tracking-series',
      summary: 'Unique openers and clickers per interval (a click counts as an open), for the chart',
      request: { params: s.IdParam },
      responses: { 200: json(m.TrackingSeries, 'Points in time order'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      await load(id)
      return c.json({ points: await trackingSeries(db, id) }, 200)
    },
  )

  app.openapi(
    route('read', 'read tracking logs', {
      method: 'get',
      path: '/deliveries/{id}/tracking-logs',
      summary: 'Tracking logs: opens, clicks (with the URL), unsubscribes and mirror-page views',
      request: { params: s.IdParam, query: m.TrackingLogQuery },
      responses: { 200: json(s.page(m.TrackingLog), 'A page of tracking logs'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const { page, pageSize, type, profileId } = c.req.valid('query')
      await load(id)
      const query = trackingLogQuery(db, id, { type, profileId })
      const [{ total }] = (await query.clone().count('* as total')) as { total: number | string }[]
      const rows: Record<string, unknown>[] = await query
        .select(trackingLogColumns)
        .orderBy('t.id')
        .limit(pageSize)
        .offset((page - 1) * pageSize)
      return c.json({ items: rows.map(presentTrackingLog), page, pageSize, total: Number(total) }, 200)
    },
  )

  app.openapi(
    route('read', 'read tracked URLs', {
      method: 'get',
      path: '/deliveries/{id}/tracked-urls',
      summary: 'The links of the message, with their clicks and the profiles who clicked',
      request: { params: s.IdParam },
      responses: { 200: json(z.object({ items: z.array(m.TrackedUrl) }), 'Tracked URLs'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      await load(id)
      return c.json({ items: await trackedUrlsWithClicks(db, id) }, 200)
    },
  )

  app.openapi(
    route('read', 'export logs', {
      method: 'get',
      path: '/deliveries/{id}/export/{log}',
      summary: 'Sending, exclusion or tracking logs of a delivery as CSV',
      request: { params: m.ExportParam },
      responses: { 200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } }, ...errors },
    }),
    async (c) => {
      const { id, log } = c.req.valid('param')
      await load(id)
      const exporter = exporters[log](db, id, ctx.config.smtp.messageIdDomain)
      return c.body(csvStream(exporter.columns, exporter.pages), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="delivery-${id}-${log}.csv"`,
      })
    },
  )

  app.openapi(
    route('read', 'read alerts', {
      method: 'get',
      path: '/alerts',
      summary: 'Delivery alerts (bounce ratio above the threshold, failed preparations), newest first',
      request: { query: s.PageQuery.extend({ deliveryId: s.numberQueryParam() }) },
      responses: { 200: json(s.page(m.Alert), 'A page of alerts'), ...errors },
    }),
    async (c) => c.json(await listAlerts(db, c.req.valid('query')), 200),
  )

  app.openapi(
    route('read', 'read profiles', {
      method: 'get',
      path: '/profiles/{id}/history',
      summary: "A profile's history: every delivery sent to it, with status, dates, opens and clicks",
      request: { params: s.IdParam, query: s.PageQuery },
      responses: {
        200: json(s.page(m.ProfileHistoryEntry), 'A page of the history, newest first'),
        ...errors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const profile = await getProfile(db, id)
      if (!profile) throw notFound('profile')
      const history = await profileHistory(db, id, c.req.valid('query'))
      const items = history.items.map((entry) => ({
        ...entry,
        subject: renderHeader(entry.subject, profile),
        messageId: messageIdFor(entry.deliveryId, id, ctx.config.smtp.messageIdDomain),
        mirrorPageUrl: new TrackingUrls(trackingSecret, ctx.config.api.publicUrl, entry.deliveryId).url(
          'mirror',
          id,
        ),
      }))
      return c.json({ ...history, items }, 200)
    },
  )

  return app
}

// ── CSV exports ─────────────────────────────────────────────────────────────────────────────────

interface Exporter {
  columns: string[]
  pages: AsyncGenerator<Record<string, unknown>[]>
}

const exportPageSize = 5000

/** Pages of a delivery's logs in id order (keyset pagination: constant cost per page). */
async function* byId(
  fetch: (afterId: number) => Promise<Record<string, unknown>[]>,
  present: (row: Record<string, unknown>) => Record<string, unknown>,
): AsyncGenerator<Record<string, unknown>[]> {
  for (let after = 0; ;) {
    const rows = await fetch(after)
    if (rows.length === 0) return
    after = Number(rows[rows.length - 1].id)
    yield rows.map(present)
  }
}

const iso = (value: unknown) => (value == null ? '' : new Date(value as string | number).toISOString())

const exporters: Record<
  (typeof m.exportableLogs)[number],
  (db: Database, id: number, domain: string) => Exporter
> = {
  'sending-logs': (db, id, domain) => ({
    columns: [
      'id',
      'profileId',
      'email',
      'status',
      'failureType',
      'failureCategory',
      'failureReason',
      'smtpCode',
      'attempts',
      'inDoubt',
      'sentAt',
      'messageId',
    ],
    pages: byId(
      (after) =>
        db
          .knex('sending_log')
          .where('delivery_id', id)
          .andWhere('id', '>', after)
          .orderBy('id')
          .limit(exportPageSize),
      (r) => ({
        id: r.id,
        profileId: r.profile_id,
        email: r.email,
        status: r.status,
        failureType: r.failure_type,
        failureCategory: r.failure_category,
        failureReason: r.failure_reason,
        smtpCode: r.smtp_code,
        attempts: r.attempts,
        inDoubt: Boolean(r.in_doubt),
        sentAt: iso(r.sent_at),
        messageId: messageIdFor(id, Number(r.profile_id), domain),
      }),
    ),
  }),
  'exclusion-logs': (db, id) => ({
    columns: ['id', 'profileId', 'email', 'reason'],
    pages: byId(
      (after) =>
        db
          .knex('exclusion_log')
          .where('delivery_id', id)
          .andWhere('id', '>', after)
          .orderBy('id')
          .limit(exportPageSize),
      (r) => ({ id: r.id, profileId: r.profile_id, email: r.email, reason: r.reason }),
    ),
  }),
  'tracking-logs': (db, id) => ({
    columns: ['id', 'profileId', 'type', 'url', 'userAgent', 'at'],
    pages: byId(
      (after) =>
        trackingLogQuery(db, id)
          .andWhere('t.id', '>', after)
          .select(trackingLogColumns)
          .orderBy('t.id')
          .limit(exportPageSize),
      presentTrackingLog,
    ),
  }),
}

/**
 * A value a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or carriage return first — user
 * agents and SMTP replies come from outside) is written with a leading `'`, as csv-stringify does it.
 */
const csvOptions = { escape_formulas: true, cast: { boolean: String } }

function csvStream(
  columns: string[],
  pages: AsyncGenerator<Record<string, unknown>[]>,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let header = true
  return new ReadableStream({
    async pull(controller) {
      const next = await pages.next()
      if (next.done) {
        if (header)
          controller.enqueue(encoder.encode(stringify([], { ...csvOptions, header: true, columns })))
        return controller.close()
      }
      controller.enqueue(encoder.encode(stringify(next.value, { ...csvOptions, header, columns })))
      header = false
    },
    async cancel() {
      await pages.return(undefined)
    },
  })
}
