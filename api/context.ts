import type { OpenAPIHonoOptions } from '@hono/zod-openapi'
import type { Client } from '@temporalio/client'
import { requireTrackingSecret, type HeraldConfig } from '../config/env'
import type { Database } from '../persistence/database'
import type { SmtpSink } from '../mail/smtp-sink'
import type { AppEnv } from './auth'
import { validationError } from './errors'
import { heraldTemporal, type HeraldTemporal } from './temporal'

/** What every router needs. */
export interface ApiContext {
  db: Database
  /** Delivery workflows, stats workflows and recurring schedules (api/temporal). */
  temporal: HeraldTemporal
  config: HeraldConfig
  /** Signs the tracking links a reply shows (a profile history's mirror pages). */
  trackingSecret: string
  /** The embedded SMTP sink, when Herald runs with one. */
  sink?: SmtpSink
  validationHook: OpenAPIHonoOptions<AppEnv>['defaultHook']
}

export function apiContext(deps: {
  db: Database
  temporal: Client
  config: HeraldConfig
  sink?: SmtpSink
}): ApiContext {
  return {
    db: deps.db,
    temporal: heraldTemporal(deps.temporal, deps.config, deps.db),
    config: deps.config,
    trackingSecret: requireTrackingSecret(deps.config),
    sink: deps.sink,
    validationHook: (result) => {
      if (!result.success) throw validationError(result.error)
    },
  }
}
