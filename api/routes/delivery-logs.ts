import { OpenAPIHono, z } from '@hono/zod-openapi'
import { exclusionLogPage, sendingLogPage, trackingLogPage } from '../../persistence/delivery-logs'
import { trackedUrlsWithClicks } from '../../persistence/tracking'
import type { AppEnv } from '../auth'
import type { ApiContext } from '../context'
import { loadDelivery } from '../loaders'
import * as m from '../monitoring-schemas'
import { allErrors as errors, json, readRoute } from '../openapi'
import { presentSendingLog } from '../presenters/delivery-logs'
import { csvStream, exporters } from '../presenters/exports'
import * as s from '../schemas'

const sendingLogs = readRoute('read sending logs', {
  path: '/deliveries/{id}/sending-logs',
  summary: 'Sending logs: one per recipient, the source of truth of what was sent',
  description:
    'Each log has its status, failure, SMTP code, attempts, `sentAt`, `messageId` and `plannedAt`: the ' +
    'instant of the recipient’s wave when the delivery is sent at each recipient’s local time (else null).',
  request: { params: s.IdParam, query: s.SendingLogQuery },
  reply: json(s.page(z.record(z.string(), z.unknown())), 'A page of sending logs'),
})

const exclusionLogs = readRoute('read exclusion logs', {
  path: '/deliveries/{id}/exclusion-logs',
  summary: 'Profiles left out at preparation, with the reason, and the count per reason',
  request: { params: s.IdParam, query: s.ExclusionLogQuery },
  reply: json(z.record(z.string(), z.unknown()), 'A page of exclusion logs and counts per reason'),
})

const trackingLogs = readRoute('read tracking logs', {
  path: '/deliveries/{id}/tracking-logs',
  summary: 'Tracking logs: opens, clicks (with the URL), unsubscribes and mirror-page views',
  request: { params: s.IdParam, query: m.TrackingLogQuery },
  reply: json(s.page(m.TrackingLog), 'A page of tracking logs'),
  errors,
})

const trackedUrls = readRoute('read tracked URLs', {
  path: '/deliveries/{id}/tracked-urls',
  summary: 'The links of the message, with their clicks and the profiles who clicked',
  request: { params: s.IdParam },
  reply: json(z.object({ items: z.array(m.TrackedUrl) }), 'Tracked URLs'),
  errors,
})

const exportLogs = readRoute('export logs', {
  path: '/deliveries/{id}/export/{log}',
  summary: 'Sending, exclusion or tracking logs of a delivery as CSV',
  request: { params: m.ExportParam },
  reply: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } },
  errors,
})

/** A delivery's logs (SPEC.md "History and monitoring"): sending, exclusion and tracking logs, CSV exports. */
export function deliveryLogRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const { db } = ctx

  app.openapi(sendingLogs, async (c) => {
    const { id } = c.req.valid('param')
    const { page, pageSize, ...filter } = c.req.valid('query')
    await loadDelivery(db, id)
    const { items, total } = await sendingLogPage(db, id, filter, { page, pageSize })
    const domain = ctx.config.smtp.messageIdDomain
    return c.json(
      { items: items.map((log) => presentSendingLog(log, id, domain)), page, pageSize, total },
      200,
    )
  })

  app.openapi(exclusionLogs, async (c) => {
    const { id } = c.req.valid('param')
    const { page, pageSize, reason } = c.req.valid('query')
    await loadDelivery(db, id)
    const { items, counts, total } = await exclusionLogPage(db, id, reason, { page, pageSize })
    return c.json({ items, counts, page, pageSize, total }, 200)
  })

  app.openapi(trackingLogs, async (c) => {
    const { id } = c.req.valid('param')
    const { page, pageSize, type, profileId } = c.req.valid('query')
    await loadDelivery(db, id)
    const { items, total } = await trackingLogPage(db, id, { type, profileId }, { page, pageSize })
    return c.json({ items, page, pageSize, total }, 200)
  })

  app.openapi(trackedUrls, async (c) => {
    const { id } = c.req.valid('param')
    await loadDelivery(db, id)
    return c.json({ items: await trackedUrlsWithClicks(db, id) }, 200)
  })

  app.openapi(exportLogs, async (c) => {
    const { id, log } = c.req.valid('param')
    await loadDelivery(db, id)
    return c.body(csvStream(exporters[log](db, id, ctx.config.smtp.messageIdDomain)), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="delivery-${id}-${log}.csv"`,
    })
  })

  return app
}
