import { OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { timeout } from 'hono/timeout'
import { HTTPException } from 'hono/http-exception'
import type { Client } from '@temporalio/client'
import { requireTrackingSecret, type HeraldConfig } from '../config/env'
import type { Database } from '../persistence/database'
import type { SmtpSink } from '../mail/smtp-sink'
import { authenticate, type AppEnv } from './auth'
import { ApiError, notFound, toResponse } from './errors'
import { apiContext } from './context'
import { apiRoutes } from './routes'
import { idempotencyKeys } from './idempotency'
import { trackingRoutes } from './routes/tracking'
import { TrackingWriter } from '../persistence/tracking-writer'
import { docsRoutes } from './docs'
import { observeRequests } from '../observability/http'
import { metricsRoute } from './metrics-route'
import { csvImportPath, csvUploadPage, streamedBodyLimit } from './routes/imports'

export interface AppDeps {
  db: Database
  temporal: Client
  config: HeraldConfig
  sink?: SmtpSink
  /** Whether a request carries a live dashboard session, when the dashboard is served (server/app.ts). */
  dashboardSession?: (c: Context) => Promise<boolean>
}

const documentConfig = {
  openapi: '3.1.0',
  info: {
    title: 'Herald API',
    version: '0.1.0',
    description:
      'Email deliveries as durable Temporal workflows. Every route needs `Authorization: Bearer <token>`; ' +
      'each states the roles allowed to call it (`x-roles`) and its error replies, ' +
      'all shaped `{"error": {"code", "message", "field"?}}`. ' +
      "A command (prepare, approve, confirm, pause… and a recurring run's confirm) sent again with the same " +
      '`Idempotency-Key` header (1 to 128 visible ASCII characters), to any API replica, is applied once: ' +
      'the retry gets the first outcome.',
  },
}

/** The API takes imports of up to 10,000 profiles; tracking links and dashboard forms a few fields. */
const apiBodyLimit = 20 * 1024 * 1024
const formBodyLimit = 64 * 1024

export const isApiPath = (path: string) => path === '/api' || path.startsWith('/api/')

function tooLarge(limit: string) {
  return (): never => {
    throw new ApiError(413, 'too_large', `body: larger than ${limit}`)
  }
}

/** The handler is not stopped: say so, since a command may still take effect. */
function timedOut(ms: number): HTTPException {
  return new HTTPException(504, {
    message: `no answer within ${ms / 1000} s; the request may still take effect: look before you retry`,
  })
}

/** HTTP's rule: a request has a body when it says how long it is, or that it comes in chunks. */
function hasBody(request: Request): boolean {
  return Number(request.headers.get('content-length') ?? 0) > 0 || request.headers.has('transfer-encoding')
}

/** JSON exactly as Hono's validator reads it (`application/json`, `…+json`, any parameters), or it would skip the body. */
function isJson(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0].trim()
  return /^application\/([\w.-]+\+)?json$/i.test(mediaType)
}

/** An unknown path under /api: the API's 404, in its one JSON error shape. */
export function apiNotFound(c: Context): Response | Promise<Response> {
  return toResponse(new ApiError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`), c)
}

/**
 * Herald's HTTP API: thin routes over the database and the delivery workflows, and the tracking links.
 * server/app.ts mounts the dashboard beside it.
 */
export function createApiApp(deps: AppDeps) {
  const ctx = apiContext(deps)
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  app.onError((err, c) => toResponse(err, c))
  // Request id, log line, metrics and (when on) a trace span for every request.
  app.use('*', observeRequests())

  // Requests begun and not yet answered (a body still arriving counts): what a shutdown waits for.
  let requestsInProgress = 0
  app.use('*', async (_, next) => {
    requestsInProgress++
    try {
      await next()
    } finally {
      requestsInProgress--
    }
  })

  limitRequests(app, deps.config)

  const trackingSecret = requireTrackingSecret(deps.config)
  const trackingWriter = new TrackingWriter(deps.db, deps.config.trackingBuffer)
  app.get('/metrics', metricsRoute())
  // Not counting itself. Tracking hits waiting for the database, and those refused since the start.
  app.get('/health', (c) =>
    c.json({
      ok: true,
      requestsInProgress: requestsInProgress - 1,
      trackingHits: { held: trackingWriter.held, refused: trackingWriter.refused },
    }),
  )
  // Tracking links carry a signature, not an API token.
  app.route(
    '/t',
    trackingRoutes({
      db: deps.db,
      secret: trackingSecret,
      publicUrl: deps.config.api.publicUrl,
      quarantine: deps.config.quarantine,
      writer: trackingWriter,
      dashboardSession: deps.dashboardSession,
    }),
  )
  // A path under /t that is no tracking link (no token, a dot segment) is a missing link, not a page.
  app.all('/t/*', () => {
    throw notFound('tracking link')
  })
  readApiBodiesAsJson(app)
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' })
  app.doc31('/api/openapi.json', documentConfig)
  app.route('/api', docsRoutes())
  const open = (path: string) =>
    path === '/api/openapi.json' || path === '/api/docs' || path.startsWith('/api/docs/')
  app.use('/api/*', async (c, next) => (open(c.req.path) ? next() : authenticate(deps.db)(c, next)))
  app.use('/api/*', idempotencyKeys())
  app.route('/api', apiRoutes(ctx))

  app.notFound(apiNotFound)
  let document: unknown = null
  // Shutdown: the tracking hits answered but not yet stored are stored before the process ends.
  return Object.assign(app, {
    drain: () => trackingWriter.drain(),
    /** The OpenAPI document: which routes exist and the right each needs. */
    openApiDocument: () => (document ??= app.getOpenAPI31Document(documentConfig)),
  })
}

export type ApiApp = ReturnType<typeof createApiApp>

/**
 * Every request, API, tracking link or dashboard page alike: an answer within the timeout, a body
 * refused as soon as it passes its limit (never read whole), errors in the one JSON shape.
 */
function limitRequests(app: OpenAPIHono<AppEnv>, config: HeraldConfig): void {
  const { requestTimeoutMs } = config.api
  // A CSV import streams a file of any length: it has its own size limit and no time limit.
  const answerInTime = timeout(requestTimeoutMs, () => timedOut(requestTimeoutMs))
  app.use('*', (c, next) => (c.req.path === csvImportPath ? next() : answerInTime(c, next)))
  const apiBodies = bodyLimit({ maxSize: apiBodyLimit, onError: tooLarge('20 MB') })
  const formBodies = bodyLimit({ maxSize: formBodyLimit, onError: tooLarge('64 KB') })
  const csvBodies = streamedBodyLimit(config.imports.maxBytes)
  app.use('*', (c, next) =>
    // A GET or HEAD without a body is let through untouched: reading `body` would build the whole
    // fetch Request, the main cost of an open-pixel hit otherwise.
    withoutBody(c)
      ? next()
      : c.req.path === csvImportPath || c.req.path === csvUploadPage
        ? csvBodies(c, next)
        : isApiPath(c.req.path)
          ? apiBodies(c, next)
          : formBodies(c, next),
  )
}

function readApiBodiesAsJson(app: OpenAPIHono<AppEnv>): void {
  // A body the API cannot read as JSON is refused, rather than ignored by the routes whose body is optional.
  app.use('/api/*', async (c, next) => {
    // The CSV import checks its own body's type, once it knows who asks.
    const csvImport = c.req.path === csvImportPath
    if (hasBody(c.req.raw) && !isJson(c.req.header('content-type')) && !csvImport)
      throw new ApiError(
        415,
        'unsupported_media_type',
        'body: send JSON, with Content-Type: application/json',
      )
    await next()
  })
  // A command without a body, sent with a JSON content type (as many clients do), means `{}`.
  app.use('/api/*', async (c, next) => {
    if (c.req.header('content-length') === '0' && c.req.header('content-type')?.includes('json')) {
      c.req.raw = new Request(c.req.raw, { body: '{}' })
    }
    await next()
  })
}

function withoutBody(c: Context): boolean {
  return (
    (c.req.method === 'GET' || c.req.method === 'HEAD') &&
    c.req.header('content-length') === undefined &&
    c.req.header('transfer-encoding') === undefined
  )
}
