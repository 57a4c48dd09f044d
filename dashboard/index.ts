import { Hono, type Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { HeraldConfig } from '../config/env'
import type { Database } from '../persistence/database'
import { createDashboard, type DashboardDeps, type DashboardEnv } from './context'
import { errorPage, requireSession, sameOriginForms, securityHeaders } from './middleware'
import { assetFiles } from './pages/assets'
import { deliveryPages } from './pages/deliveries'
import { loginPages, logoutPage } from './pages/login'
import { mailboxPages } from './pages/mailbox'
import { importPages } from './pages/imports'
import { recurringPages } from './pages/recurring'
import { sessionUser } from './session'

/**
 * The dashboard: server-rendered pages for approvers and ops, served beside the API at `/`
 * (server/app.ts). It logs in with an API token and then acts through the API in-process, as that user.
 * One module per page under pages/; what they share is in context.ts, what every request goes through
 * in middleware.tsx.
 */

export type { DashboardDeps }
export { safeNext } from './pages/login'

/** The paths the dashboard serves (every other path outside /api answers its "not found" page). */
export const dashboardPaths = [
  '/',
  '/login',
  '/logout',
  '/deliveries/*',
  '/recurring-deliveries',
  '/recurring-deliveries/*',
  '/mailbox',
  '/mailbox/*',
  '/imports',
  '/assets/*',
]

export function dashboardRoutes(deps: DashboardDeps) {
  const app = new Hono<DashboardEnv>()
  const dash = createDashboard(deps)
  const showError = errorPage(dash)
  app.onError(showError)
  app.notFound((c) => showError(new HTTPException(404, { message: 'There is no such page.' }), c))
  // In this order: what comes before the session check is served without one.
  assetFiles(app)
  app.use('*', securityHeaders)
  app.use('*', sameOriginForms(deps.config.api.publicUrl))
  loginPages(app, dash)
  app.use('*', requireSession(dash))
  logoutPage(app, dash)
  deliveryPages(app, dash)
  recurringPages(app, dash)
  mailboxPages(app, dash)
  importPages(app, dash)
  return app
}

/** Whether a request carries a live dashboard session: the tracking links do not count its views. */
export function dashboardSession(db: Database, config: HeraldConfig) {
  return async (c: Context): Promise<boolean> =>
    Boolean(await sessionUser(c, db, config.dashboard.sessionSecret))
}
