import fs from 'node:fs'
import path from 'node:path'
import { Hono, type Context } from 'hono'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { userForToken, userForTokenId, type AuthUser } from '../api/auth'
import type { HeraldConfig } from '../config/env'
import type { Database } from '../persistence/database'
import { deliveryStatuses } from '../domain/delivery-states'
import { recurringCommands, recurringStatuses } from '../domain/recurring-runs'
import { apiAs, bodyOf, DashboardApiError, type ApiCall, type ApiFetch } from './api-client'
import { ApiFeatures } from './features'
import { actionBody, doneMessages, recurringDoneMessages } from './actions'
import { loadLogs, loadRecurring, loadSeries, oneOf, queryNumber, urlNumber } from './reads'
import {
  availableActions,
  deliveryActions,
  deploymentTiles,
  refreshIntervalMs,
  type DeliveryJson,
} from './deployment'
import {
  liveFields,
  liveState,
  recurringActions,
  recurringRefreshMs,
  runConfirmation,
  type RecurringJson,
} from './recurring'
import {
  csrfToken,
  endSession,
  httpsDetector,
  isValidCsrfToken,
  loginFormToken,
  readSession,
  setFlash,
  startSession,
  takeFlash,
  takeLoginFormToken,
  type Session,
} from './session'
import { Layout, query, type PageContext } from './views/layout'
import { LoginPage } from './views/login'
import { DeliveryListPage } from './views/deliveries'
import { DeliveryPage } from './views/delivery'
import { MailboxPage, MessagePage, type ReceivedMessageJson } from './views/mailbox'
import { RecurringListPage, RecurringPage } from './views/recurring'
import { importPages } from './imports'

/**
 * The dashboard: server-rendered pages for approvers and ops, served by the API at `/`. It logs in
 * with an API token and then acts through the API in-process, as that user.
 */

export interface DashboardDeps {
  db: Database
  config: HeraldConfig
  /** The API app, called in-process. */
  api: ApiFetch
  /** The API's OpenAPI document: which routes exist and the right each needs. */
  openApiDocument: () => unknown
}

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

/**
 * The pages a login may lead back to (`next`): any other path, and any other host however it is spelt,
 * leads to `/`.
 */
const pagesToReturnTo = [
  /^\/$/,
  /^\/deliveries\/\d+$/,
  /^\/recurring-deliveries$/,
  /^\/recurring-deliveries\/\d+$/,
  /^\/mailbox$/,
  /^\/mailbox\/\d+$/,
  /^\/imports$/,
]
const nowhere = 'http://dashboard.invalid'

/**
 * Where to go after logging in. Checked after normalising `next` as a browser would (it drops tabs and
 * newlines, reads `\` as `/`, resolves dots), and rebuilt from the normalised URL: only one of the
 * dashboard's own pages, on this host, with its query.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.length > 2000) return '/'
  let url: URL
  try {
    url = new URL(next, nowhere)
  } catch {
    return '/'
  }
  if (url.origin !== nowhere || !pagesToReturnTo.some((page) => page.test(url.pathname))) return '/'
  return url.pathname + url.search
}

type DashboardEnv = { Variables: { user: AuthUser; session: Session; csrf: string } }
type DashboardContext = Context<DashboardEnv>

const pageSize = 25

const assetTypes: Record<string, string> = {
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
}

/** Pages allow only their own scripts, styles and forms. */
const pagePolicy =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
/** A received message's HTML, shown in a sandboxed frame: its own images and inline styles, no script. */
const messagePolicy = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; frame-ancestors 'self'"

const errorTitles: Partial<Record<number, string>> = {
  401: 'Logged out',
  403: 'Not allowed',
  404: 'Not found',
}

export function dashboardRoutes(deps: DashboardDeps) {
  const app = new Hono<DashboardEnv>()
  const { sessionSecret, sessionTtlMs: ttlMs } = deps.config.dashboard
  const publicOrigin = new URL(deps.config.api.publicUrl).origin
  const isSecure = httpsDetector(deps.config.api.publicUrl, deps.config.api.trustProxy)
  const sessionOptions = (c: Context) => ({ secret: sessionSecret, ttlMs, secure: isSecure(c) })
  let features: ApiFeatures | null = null
  const api = () => (features ??= new ApiFeatures(deps.openApiDocument() as never))
  const callAs = (c: DashboardContext): ApiCall => apiAs(deps.api, c.get('user'))

  const pageContext = (
    c: DashboardContext,
    section?: PageContext['section'],
    withFlash = true,
  ): PageContext => ({
    user: c.get('user') ?? null,
    csrf: c.get('csrf') ?? null,
    flash: withFlash ? takeFlash(c, isSecure(c)) : null,
    mailbox: Boolean(c.get('user')) && api().has('mailbox'),
    recurring: Boolean(c.get('user')) && api().has('recurring'),
    section,
  })

  const errorPage = (err: unknown, c: DashboardContext) => {
    const status: ContentfulStatusCode =
      err instanceof DashboardApiError || err instanceof HTTPException
        ? (err.status as ContentfulStatusCode)
        : 500
    if (status === 500) console.error('dashboard error', err)
    const message =
      status === 500 ? 'Something went wrong; the error is in the server log.' : (err as Error).message
    return c.html(
      <Layout title={errorTitles[status] ?? 'Error'} page={pageContext(c, undefined, false)}>
        <h1>{errorTitles[status] ?? 'Error'}</h1>
        <p role="alert">{message}</p>
        <p>{status === 401 ? <a href="/login">Log in</a> : <a href="/">Back to the deliveries</a>}</p>
      </Layout>,
      status,
    )
  }
  app.onError((err, c) => errorPage(err, c as DashboardContext))
  app.notFound((c) =>
    errorPage(new HTTPException(404, { message: 'There is no such page.' }), c as DashboardContext),
  )

  app.get('/assets/:name{dashboard\\.(css|js)}', (c) => {
    const name = c.req.param('name')
    const body = fs.readFileSync(path.join(__dirname, 'assets', name))
    return c.body(new Uint8Array(body), 200, {
      'content-type': assetTypes[name],
      'cache-control': 'no-cache',
    })
  })

  app.use('*', async (c, next) => {
    await next()
    if (!c.res.headers.has('content-security-policy'))
      c.res.headers.set('content-security-policy', pagePolicy)
    c.res.headers.set('x-content-type-options', 'nosniff')
    c.res.headers.set('referrer-policy', 'same-origin')
  })
  // Forms are refused unless they come from Herald's own pages (Origin / Sec-Fetch-Site).
  app.use(
    '*',
    csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origin === publicOrigin }),
  )

  // ── Login ────────────────────────────────────────────────────────────────────────────────────

  const loginPage = async (
    c: DashboardContext,
    next: string,
    error: string | null,
    status: 200 | 401 | 403 = 200,
  ) => {
    const token = await loginFormToken(c, sessionOptions(c), c.req.method === 'POST')
    return c.html(<LoginPage page={pageContext(c)} next={next} csrf={token} error={error} />, status)
  }

  app.get('/login', async (c) => {
    const next = safeNext(c.req.query('next'))
    const session = await readSession(c, deps.db, sessionSecret)
    if (session && (await userForTokenId(deps.db, session.tokenId))) return c.redirect(next, 303)
    return loginPage(c, next, null)
  })

  app.post('/login', async (c) => {
    const form = await readForm(c)
    const next = safeNext(form.next)
    // Before the token is even looked at: a form that did not come from this browser's login page.
    if (!(await takeLoginFormToken(c, sessionSecret, form._csrf, isSecure(c)))) {
      const error =
        'This login form has expired or did not come from the login page; reload the page and log in again.'
      return loginPage(c, next, error, 403)
    }
    const token = typeof form.token === 'string' ? form.token.trim() : ''
    const user = token ? await userForToken(deps.db, token) : null
    if (!user) return loginPage(c, next, 'This API token is unknown or revoked.', 401)
    await startSession(c, deps.db, user.tokenId, sessionOptions(c))
    return c.redirect(next, 303)
  })

  // ── Everything else needs a session; every form carries its CSRF token ─────────────────────

  app.use('*', async (c, next) => {
    const session = await readSession(c, deps.db, sessionSecret)
    const user = session && (await userForTokenId(deps.db, session.tokenId))
    if (!session || !user) {
      if (c.req.method !== 'GET' || c.req.path.endsWith('/live')) {
        throw new HTTPException(401, { message: 'Your session has ended; log in again.' })
      }
      const url = new URL(c.req.url)
      return c.redirect(`/login${query({ next: url.pathname + url.search })}`, 303)
    }
    c.set('user', user)
    c.set('session', session)
    c.set('csrf', csrfToken(sessionSecret, session))
    if (c.req.method === 'POST') {
      const form = await readForm(c)
      if (!isValidCsrfToken(sessionSecret, session, form._csrf)) {
        throw new HTTPException(403, {
          message: 'This form has expired or did not come from this page; reload the page and try again.',
        })
      }
    }
    await next()
  })

  importPages(app, { api: deps.api, pageContext: (c) => pageContext(c, 'imports') })

  app.post('/logout', async (c) => {
    await endSession(c, deps.db, c.get('session'), isSecure(c))
    return c.redirect('/login', 303)
  })

  // ── Deliveries ───────────────────────────────────────────────────────────────────────────────

  app.get('/', async (c) => {
    const pageNo = queryNumber('page', c.req.query('page')) ?? 1
    const status = oneOf(c.req.query('status'), deliveryStatuses) ?? ''
    const search = (c.req.query('search') ?? '').slice(0, 255)
    const reply = bodyOf(
      await callAs(c)<{ items: DeliveryJson[]; total: number }>(
        'GET',
        `/api/deliveries${query({ page: pageNo, pageSize, status, search })}`,
      ),
    )
    return c.html(
      <DeliveryListPage
        page={pageContext(c, 'deliveries')}
        items={reply.items}
        total={reply.total}
        pageNo={pageNo}
        pageSize={pageSize}
        status={status}
        search={search}
      />,
    )
  })

  const deliveryId = (c: DashboardContext) => {
    return urlNumber('id', c.req.param('id') ?? '')
  }

  app.get('/deliveries/:id', async (c) => {
    const id = deliveryId(c)
    const call = callAs(c)
    const delivery = bodyOf(await call<DeliveryJson>('GET', `/api/deliveries/${id}`))
    const actions = availableActions(delivery, c.get('user').roles, (action) =>
      api().rightFor('post', `/api/deliveries/{id}/${action}`),
    )
    const [logs, series] = await Promise.all([
      loadLogs(call, id, c.req.query(), api().has('trackingLogs')),
      api().has('trackingSeries') && delivery.sendingStartedAt ? loadSeries(call, id) : null,
    ])
    return c.html(
      <DeliveryPage
        page={pageContext(c, delivery.recurringId ? 'recurring' : 'deliveries')}
        delivery={delivery}
        actions={actions}
        tiles={deploymentTiles(delivery)}
        refreshMs={refreshIntervalMs(delivery.status)}
        logs={logs}
        hasTrackingLogs={api().has('trackingLogs')}
        series={series}
        timeZones={timeZones}
      />,
    )
  })

  /** The Deployment block's figures, polled by the page while the delivery moves. */
  app.get('/deliveries/:id/live', async (c) => {
    const d = bodyOf(await callAs(c)<DeliveryJson>('GET', `/api/deliveries/${deliveryId(c)}`))
    return c.json({
      state: d.status,
      status: d.status,
      statusLabel: d.statusLabel,
      logicalStatus: d.logicalStatus,
      progress: d.progress,
      tiles: deploymentTiles(d),
      refreshMs: refreshIntervalMs(d.status),
    })
  })

  app.post('/deliveries/:id/:action', async (c) => {
    const id = deliveryId(c)
    const action = oneOf(c.req.param('action'), deliveryActions)
    if (!action) throw new HTTPException(404, { message: 'There is no such action.' })
    const form = await readForm(c)
    const reply = await callAs(c)('POST', `/api/deliveries/${id}/${action}`, actionBody(action, form))
    setFlash(
      c,
      reply.ok ? { kind: 'ok', text: doneMessages[action] } : { kind: 'error', text: reply.error.message },
      isSecure(c),
    )
    return c.redirect(`/deliveries/${id}`, 303)
  })

  // ── Recurring deliveries ─────────────────────────────────────────────────────────────────────

  const requireRecurring = () => {
    if (!api().has('recurring'))
      throw new HTTPException(404, { message: 'This Herald has no recurring deliveries.' })
  }

  app.get('/recurring-deliveries', async (c) => {
    requireRecurring()
    const pageNo = queryNumber('page', c.req.query('page')) ?? 1
    const status = oneOf(c.req.query('status'), recurringStatuses) ?? ''
    const call = callAs(c)
    const reply = bodyOf(
      await call<{ items: RecurringJson[]; total: number }>(
        'GET',
        `/api/recurring-deliveries${query({ page: pageNo, pageSize, status })}`,
      ),
    )
    // The list leaves out the schedules; each recurring delivery reads its own from Temporal (next runs).
    // One after the other: 25 in a row take about 250 ms; described concurrently, a schedule more often
    // stalls for 5 s on the Temporal dev server.
    const items: RecurringJson[] = []
    for (const item of reply.items) {
      const one = await call<RecurringJson>('GET', `/api/recurring-deliveries/${item.id}`)
      items.push(one.ok ? one.body : item)
    }
    return c.html(
      <RecurringListPage
        page={pageContext(c, 'recurring')}
        items={items}
        total={reply.total}
        pageNo={pageNo}
        pageSize={pageSize}
        status={status}
      />,
    )
  })

  const recurringId = (c: DashboardContext) => {
    requireRecurring()
    return urlNumber('id', c.req.param('id') ?? '')
  }

  /** The page's figures, and what a reload would change: polled while a run waits or sends. */
  const recurringView = async (c: DashboardContext) => {
    const id = recurringId(c)
    const view = await loadRecurring(callAs(c), id, c.req.query())
    const { recurring, runs, executions } = view
    return {
      ...view,
      tiles: deploymentTiles(recurring.totals),
      live: {
        url: `/recurring-deliveries/${id}/live${query(view.paging)}`,
        state: liveState(recurring, runs.items, executions.items),
        refreshMs: recurringRefreshMs(recurring, runs.items, Date.now()),
      },
    }
  }

  app.get('/recurring-deliveries/:id', async (c) => {
    const view = await recurringView(c)
    const roles = c.get('user').roles
    const confirmRight = api().rightFor('post', '/api/recurring-deliveries/{id}/runs/{runId}/confirm')
    const confirmations = new Map(
      view.runs.items.flatMap((run) => {
        const confirmation = runConfirmation(run, roles, confirmRight)
        return confirmation ? [[run.id, confirmation] as const] : []
      }),
    )
    const actions = recurringActions(view.recurring, roles, (command) =>
      api().rightFor('post', `/api/recurring-deliveries/{id}/${command}`),
    )
    return c.html(
      <RecurringPage
        page={pageContext(c, 'recurring')}
        recurring={view.recurring}
        actions={actions}
        confirmations={confirmations}
        tiles={view.tiles}
        runs={view.runs}
        executions={view.executions}
        live={view.live}
        query={view.paging}
      />,
    )
  })

  app.get('/recurring-deliveries/:id/live', async (c) => {
    const { recurring, runs, executions, tiles, live } = await recurringView(c)
    return c.json({
      state: live.state,
      status: recurring.status,
      tiles,
      fields: liveFields(runs.items, executions.items),
      refreshMs: live.refreshMs,
    })
  })

  app.post('/recurring-deliveries/:id/runs/:runId/confirm', async (c) => {
    const id = recurringId(c)
    const runId = urlNumber('runId', c.req.param('runId') ?? '')
    const form = await c.req.parseBody()
    const reply = await callAs(c)(
      'POST',
      `/api/recurring-deliveries/${id}/runs/${runId}/confirm`,
      actionBody('confirm', form),
    )
    setFlash(
      c,
      reply.ok
        ? { kind: 'ok', text: `Run ${runId} confirmed: sending.` }
        : { kind: 'error', text: reply.error.message },
      isSecure(c),
    )
    return c.redirect(`/recurring-deliveries/${id}`, 303)
  })

  app.post('/recurring-deliveries/:id/:action', async (c) => {
    const id = recurringId(c)
    const action = oneOf(c.req.param('action'), recurringCommands)
    if (!action) throw new HTTPException(404, { message: 'There is no such action.' })
    const reply = await callAs(c)('POST', `/api/recurring-deliveries/${id}/${action}`, {})
    setFlash(
      c,
      reply.ok
        ? { kind: 'ok', text: recurringDoneMessages[action] }
        : { kind: 'error', text: reply.error.message },
      isSecure(c),
    )
    return c.redirect(`/recurring-deliveries/${id}`, 303)
  })

  // ── The embedded SMTP sink ───────────────────────────────────────────────────────────────────

  const requireMailbox = () => {
    if (!api().has('mailbox')) throw new HTTPException(404, { message: 'This Herald has no local mailbox.' })
  }

  app.get('/mailbox', async (c) => {
    requireMailbox()
    const pageNo = queryNumber('page', c.req.query('page')) ?? 1
    const reply = bodyOf(
      await callAs(c)<{ items: ReceivedMessageJson[]; total: number }>(
        'GET',
        `/api/sink/messages${query({ page: pageNo, pageSize })}`,
      ),
    )
    return c.html(
      <MailboxPage
        page={pageContext(c, 'mailbox')}
        items={reply.items}
        total={reply.total}
        pageNo={pageNo}
        pageSize={pageSize}
      />,
    )
  })

  const receivedMessage = async (c: DashboardContext) => {
    requireMailbox()
    const seq = urlNumber('seq', c.req.param('seq') ?? '')
    return bodyOf(
      await callAs(c)<
        ReceivedMessageJson & { headers: Record<string, string>; text: string | null; html: string | null }
      >('GET', `/api/sink/messages/${seq}`),
    )
  }

  app.get('/mailbox/:seq', async (c) =>
    c.html(<MessagePage page={pageContext(c, 'mailbox')} message={await receivedMessage(c)} />),
  )

  app.get('/mailbox/:seq/html', async (c) => {
    const message = await receivedMessage(c)
    c.header('content-security-policy', messagePolicy)
    return c.html(message.html ?? '')
  })

  return app
}

const timeZones = Intl.supportedValuesOf('timeZone')

/** The posted form; a body that cannot be read as one is the sender's mistake (400), not ours. */
async function readForm(c: Context): Promise<Record<string, unknown>> {
  try {
    return await c.req.parseBody()
  } catch {
    throw new HTTPException(400, { message: 'This form could not be read; reload the page and try again.' })
  }
}
