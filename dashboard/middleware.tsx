import type { MiddlewareHandler } from 'hono'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { DashboardApiError } from './api-client'
import { readForm, type Dashboard, type DashboardContext, type DashboardEnv } from './context'
import { csrfToken, isValidCsrfToken, sessionUser } from './session'
import { Layout, query } from './views/layout'

/** What every dashboard request goes through: its error page, its headers, CSRF checks, the session. */

/** Pages allow only their own scripts, styles and forms. */
const pagePolicy =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

const errorTitles: Partial<Record<number, string>> = {
  401: 'Logged out',
  403: 'Not allowed',
  404: 'Not found',
}

/** An error as a page: the API's own message (401, 403, 404…), or a generic one for what went wrong here. */
export function errorPage(dash: Dashboard) {
  return (err: unknown, c: DashboardContext) => {
    const status: ContentfulStatusCode =
      err instanceof DashboardApiError || err instanceof HTTPException
        ? (err.status as ContentfulStatusCode)
        : 500
    if (status === 500) console.error('dashboard error', err)
    const message =
      status === 500 ? 'Something went wrong; the error is in the server log.' : (err as Error).message
    return c.html(
      <Layout title={errorTitles[status] ?? 'Error'} page={dash.pageContext(c, undefined, false)}>
        <h1>{errorTitles[status] ?? 'Error'}</h1>
        <p role="alert">{message}</p>
        <p>{status === 401 ? <a href="/login">Log in</a> : <a href="/">Back to the deliveries</a>}</p>
      </Layout>,
      status,
    )
  }
}

export const securityHeaders: MiddlewareHandler<DashboardEnv> = async (c, next) => {
  await next()
  if (!c.res.headers.has('content-security-policy')) c.res.headers.set('content-security-policy', pagePolicy)
  c.res.headers.set('x-content-type-options', 'nosniff')
  c.res.headers.set('referrer-policy', 'same-origin')
}

/** Forms are refused unless they come from Herald's own pages (Origin / Sec-Fetch-Site). */
export function sameOriginForms(publicUrl: string): MiddlewareHandler<DashboardEnv> {
  const publicOrigin = new URL(publicUrl).origin
  return csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origin === publicOrigin })
}

/**
 * Every page after the login needs a live session (else a GET goes to the login page and comes back,
 * anything else is 401), and every form its session's CSRF token.
 */
export function requireSession(dash: Dashboard): MiddlewareHandler<DashboardEnv> {
  const secret = dash.sessionSecret
  return async (c, next) => {
    const found = await sessionUser(c, dash.deps.db, secret)
    if (!found) {
      if (c.req.method !== 'GET' || c.req.path.endsWith('/live')) {
        throw new HTTPException(401, { message: 'Your session has ended; log in again.' })
      }
      const url = new URL(c.req.url)
      return c.redirect(`/login${query({ next: url.pathname + url.search })}`, 303)
    }
    const { session, user } = found
    c.set('user', user)
    c.set('session', session)
    c.set('csrf', csrfToken(secret, session))
    if (c.req.method === 'POST' && !isValidCsrfToken(secret, session, (await readForm(c))._csrf)) {
      throw new HTTPException(403, {
        message: 'This form has expired or did not come from this page; reload the page and try again.',
      })
    }
    await next()
  }
}
