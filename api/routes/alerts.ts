import { OpenAPIHono } from '@hono/zod-openapi'
import { listAlerts } from '../../persistence/alerts'
import type { AppEnv } from '../auth'
import type { ApiContext } from '../context'
import * as m from '../monitoring-schemas'
import { allErrors as errors, json, readRoute } from '../openapi'
import * as s from '../schemas'

const alerts = readRoute('read alerts', {
  path: '/alerts',
  summary:
    'Delivery alerts (bounce ratio above the threshold, failed preparation, failed delivery, start pending ' +
    'too long, low throughput), newest first',
  request: { query: m.AlertQuery },
  reply: json(s.page(m.Alert), 'A page of alerts'),
  errors,
})

/** Delivery alerts (SPEC.md "History and monitoring"). */
export function alertRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  app.openapi(alerts, async (c) => c.json(await listAlerts(ctx.db, c.req.valid('query')), 200))
  return app
}
