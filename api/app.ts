import { OpenAPIHono } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { timeout } from 'hono/timeout'
import type { Client } from '@temporalio/client'
import type { HeraldConfig } from '../config/env'
import type { Database } from '../persistence/database'
import type { SmtpSink } from '../mail/smtp-sink'
import { authenticate, type AppEnv } from './auth'
import { ApiError, toResponse, validationError } from './errors'
import { DeliveryWorkflows } from './deliveries-workflows'
import { deliveryRoutes } from './routes/deliveries'
import { profileRoutes } from './routes/profiles'
import { userRoutes } from './routes/users'
import { sinkRoutes } from './routes/sink'
import { recurringRoutes } from './routes/recurring'
import type { ApiContext } from './context'

export interface AppDeps {
  db: Database
  temporal: Client
  config: HeraldConfig
  sink?: SmtpSink
}

/** Herald's HTTP API: thin routes over the database and the delivery workflows. */
export function createApp(deps: AppDeps) {
  const ctx: ApiContext = {
    db: deps.db,
    config: deps.config,
    sink: deps.sink,
    workflows: new DeliveryWorkflows(deps.temporal, deps.config),
    validationHook: (result) => {
      if (!result.success) throw validationError(result.error)
    },
  }
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  app.onError((err, c) => toResponse(err, c))
  app.notFound((c) => toResponse(new ApiError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`), c))

  app.get('/health', (c) => c.json({ ok: true }))
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: 20 * 1024 * 1024,
      onError: () => {
        throw new ApiError(413, 'too_large', 'body: larger than 20 MB')
      },
    }),
  )
  app.use('/api/*', timeout(30_000))
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' })
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Herald API',
      version: '0.1.0',
      description: 'Email deliveries as durable Temporal workflows.',
    },
  })
  app.use('/api/*', async (c, next) =>
    c.req.path === '/api/openapi.json' ? next() : authenticate(deps.db)(c, next),
  )
  app.route('/api', profileRoutes(ctx))
  app.route('/api', deliveryRoutes(ctx))
  app.route('/api', recurringRoutes(ctx, deps.temporal))
  app.route('/api', userRoutes(ctx))
  if (deps.sink) app.route('/api', sinkRoutes(ctx, deps.sink))
  return app
}

export type HeraldApp = ReturnType<typeof createApp>
