import type { Context, Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { HeraldConfig } from '../config/env'
import type { AuthUser } from '../domain/auth-user'
import type { Database } from '../persistence/database'
import { apiAs, type ApiCall, type ApiFetch, type ApiReply } from './api-client'
import { ApiFeatures } from './features'
import { httpsDetector, setFlash, takeFlash, type Session, type SessionOptions } from './session'
import type { PageContext } from './views/layout'

/** What the dashboard's pages share: their dependencies, the session settings, the API as the user. */

export interface DashboardDeps {
  db: Database
  config: HeraldConfig
  /** The API app, called in-process. */
  api: ApiFetch
  /** The user of an API token (the login form), as the API authenticates it. */
  userForToken: (token: string) => Promise<AuthUser | null>
  /** The API's OpenAPI document: which routes exist and the right each needs. */
  openApiDocument: () => unknown
}

export type DashboardEnv = { Variables: { user: AuthUser; session: Session; csrf: string } }
export type DashboardContext = Context<DashboardEnv>
export type DashboardApp = Hono<DashboardEnv>

/** Rows per page of the lists (deliveries, recurring deliveries, mailbox). */
export const pageSize = 25

export interface Dashboard {
  deps: DashboardDeps
  sessionSecret: string
  /** Whether the browser reached Herald over HTTPS (the cookies' `Secure` flag). */
  isSecure: (c: Context) => boolean
  sessionOptions: (c: Context) => SessionOptions
  /** What the API offers (read once from its OpenAPI document). */
  features: () => ApiFeatures
  /** The API, called in-process as the logged-in user. */
  callAs: (c: DashboardContext) => ApiCall
  /** The layout's context: user, CSRF token, the one-time notice, the sections the API offers. */
  pageContext: (c: DashboardContext, section?: PageContext['section'], withFlash?: boolean) => PageContext
  /** The notice the next page shows after an action: `done` when the API accepted it, else its error. */
  flashReply: (c: Context, reply: ApiReply<unknown>, done: string) => void
}

export function createDashboard(deps: DashboardDeps): Dashboard {
  const { sessionSecret, sessionTtlMs: ttlMs } = deps.config.dashboard
  const isSecure = httpsDetector(deps.config.api.publicUrl, deps.config.api.trustProxy)
  let features: ApiFeatures | null = null
  const api = () => (features ??= new ApiFeatures(deps.openApiDocument() as never))
  return {
    deps,
    sessionSecret,
    isSecure,
    sessionOptions: (c) => ({ secret: sessionSecret, ttlMs, secure: isSecure(c) }),
    features: api,
    callAs: (c) => apiAs(deps.api, c.get('user')),
    pageContext: (c, section, withFlash = true) => ({
      user: c.get('user') ?? null,
      csrf: c.get('csrf') ?? null,
      flash: withFlash ? takeFlash(c, isSecure(c)) : null,
      mailbox: Boolean(c.get('user')) && api().has('mailbox'),
      recurring: Boolean(c.get('user')) && api().has('recurring'),
      section,
    }),
    flashReply: (c, reply, done) =>
      setFlash(
        c,
        reply.ok ? { kind: 'ok', text: done } : { kind: 'error', text: reply.error.message },
        isSecure(c),
      ),
  }
}

/** The posted form; a body that cannot be read as one is the sender's mistake (400), not ours. */
export async function readForm(c: Context): Promise<Record<string, unknown>> {
  try {
    return await c.req.parseBody()
  } catch {
    throw new HTTPException(400, { message: 'This form could not be read; reload the page and try again.' })
  }
}
