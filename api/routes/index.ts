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
import { proofRoutes } from './proofs'
import { recurringCommandRoutes } from './recurring-commands'
import { recurringRunRoutes } from './recurring-runs'
import { recurringRoutes } from './recurring'
import { sinkRoutes } from './sink'
import { userRoutes } from './users'
import { webhookRoutes } from './webhooks'
import { importRoutes } from './imports'
import { addressHistoryRoutes } from './address-history'

/** Every route of the API (mounted under /api, behind authentication), each router one part of the spec. */
export function apiRoutes(ctx: ApiContext) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const routers = [
    // Before the profile routes: /profiles/import is no profile.
    importRoutes,
    profileRoutes,
    deliveryRoutes,
    deliveryCommandRoutes,
    proofRoutes,
    deliveryLogRoutes,
    recurringRoutes,
    recurringRunRoutes,
    recurringCommandRoutes,
    userRoutes,
    deliveryStatsRoutes,
    alertRoutes,
    profileHistoryRoutes,
    addressRoutes,
    addressHistoryRoutes,
    webhookRoutes,
  ]
  for (const routes of routers) app.route('/', routes(ctx))
  if (ctx.sink) app.route('/', sinkRoutes(ctx, ctx.sink))
  return app
}
