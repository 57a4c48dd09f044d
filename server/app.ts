import type { Context } from 'hono'
import { actingUser, userForToken, type InProcessEnv } from '../api/auth'
import { apiNotFound, createApiApp, isApiPath, type AppDeps } from '../api/app'
import { dashboardPaths, dashboardRoutes, dashboardSession } from '../dashboard'

export type { AppDeps }

/**
 * Herald's web server: the HTTP API (and its tracking links) with the dashboard beside it. The two know
 * nothing of each other; this is where they meet. The dashboard's pages call the API in-process as
 * their logged-in user, and the tracking links ask the dashboard whether a view comes from one.
 */
export function createApp(deps: AppDeps) {
  const app = createApiApp({ ...deps, dashboardSession: dashboardSession(deps.db, deps.config) })
  const dashboard = dashboardRoutes({
    db: deps.db,
    config: deps.config,
    api: (path, init, user) => app.request(path, init, { [actingUser]: user } satisfies InProcessEnv),
    userForToken: (token) => userForToken(deps.db, token),
    openApiDocument: app.openApiDocument,
  })
  const toDashboard = (c: Context) => dashboard.fetch(c.req.raw, c.env)
  for (const path of dashboardPaths) app.all(path, toDashboard)
  // Any other path outside /api is the dashboard's "not found" page.
  app.notFound((c) => (isApiPath(c.req.path) ? apiNotFound(c) : toDashboard(c)))
  return app
}

export type HeraldApp = ReturnType<typeof createApp>
