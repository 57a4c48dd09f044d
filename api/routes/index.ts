import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../auth'
import type { ApiContext } from '../context'
import { addressRoutes } from './addresses'
import { alertRoutes } from './alerts'
import { deliveryCommandRoutes } from './delivery-commands'
import { deliveryLogRoutes } from './delivery-logs'
import { deliveryStatsRoutes } from './delivery-stats'
import { deliveryRoutes } from './deliveries'
import { profileHistoryRoutes } from './profile-history'
import { profileRoutes } from './profiles'
import { recurringCommandRoutes } from './recurring-commands'
import { recurringRunRoutes } from './recurring-runs'
import { recurringRoutes } from './recurring'
import { sinkRoutes } from './sink'
import { userRoutes } from './users'

/** Every route of the API (mounted under /api, behind authentication), each router one part of the spec. */
export function apiRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  app.route('/', profileRoutes(ctx))
  app.route('/', deliveryRoutes(ctx))
  app.route('/', deliveryCommandRoutes(ctx))
  app.route('/', deliveryLogRoutes(ctx))
  app.route('/', recurringRoutes(ctx))
  app.route('/', recurringRunRoutes(ctx))
  app.route('/', recurringCommandRoutes(ctx))
  app.route('/', userRoutes(ctx))
  app.route('/', deliveryStatsRoutes(ctx))
  app.route('/', alertRoutes(ctx))
  app.route('/', profileHistoryRoutes(ctx))
  app.route('/', addressRoutes(ctx))
  if (ctx.sink) app.route('/', sinkRoutes(ctx, ctx.sink))
  return app
}
