import { OpenAPIHono } from '@hono/zod-openapi'
import { countSendingLogs } from '../../persistence/sending-logs'
import { countFailureCategories } from '../../persistence/failure-categories'
import { liveKpis } from '../../persistence/stats'
import { trackingSeries } from '../../persistence/tracking'
import type { AppEnv } from '../auth'
import type { ApiContext } from '../context'
import { loadDelivery } from '../loaders'
import * as m from '../monitoring-schemas'
import { allErrors as errors, guardedRoute as route, json, readRoute } from '../openapi'
import { progressOf } from '../presenters/progress'
import * as s from '../schemas'

const kpis = readRoute('read deliveries', {
  path: '/deliveries/{id}/kpis',
  summary: 'KPIs and progress: delivered and bounces live, opens and clicks as last refreshed',
  request: { params: s.IdParam },
  reply: json(
    m.StatsFigures.extend({ progress: s.Progress, failureCategories: m.FailureCategoryCounts }),
    'KPIs, progress and the sending logs per failure category',
  ),
  errors,
})

const computeStats = route('computeStats', 'compute stats', {
  method: 'post',
  path: '/deliveries/{id}/compute-stats',
  summary: 'Compute stats: recompute every KPI from the sending and tracking logs now',
  request: { params: s.IdParam },
  responses: { 200: json(m.StatsFigures, 'The new figures'), ...errors },
})

const series = readRoute('read the opens and clicks over time', {
  path: '/deliveries/{id}/tracking-series',
  summary: 'Unique openers and clickers per interval (a click counts as an open), for the chart',
  request: { params: s.IdParam },
  reply: json(m.TrackingSeries, 'Points in time order'),
  errors,
})

/** A delivery's KPIs (SPEC.md "History and monitoring"): live figures, Compute stats, opens and clicks over time. */
export function deliveryStatsRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const { db } = ctx

  app.openapi(kpis, async (c) => {
    const delivery = await loadDelivery(db, c.req.valid('param').id)
    const counts = await countSendingLogs(db, delivery.id)
    const figures = await liveKpis(db, delivery, counts)
    return c.json(
      {
        ...figures,
        progress: progressOf(delivery.messagesToDeliver, counts),
        failureCategories: await countFailureCategories(db, delivery.id),
      },
      200,
    )
  })

  app.openapi(computeStats, async (c) => {
    const delivery = await loadDelivery(db, c.req.valid('param').id)
    return c.json(await ctx.temporal.stats.compute(delivery.id), 200)
  })

  app.openapi(series, async (c) => {
    const { id } = c.req.valid('param')
    await loadDelivery(db, id)
    return c.json({ points: await trackingSeries(db, id) }, 200)
  })

  return app
}
