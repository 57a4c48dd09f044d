import type { OpenAPIHonoOptions } from '@hono/zod-openapi'
import type { HeraldConfig } from '../config/env'
import type { Database } from '../persistence/database'
import type { DeliveryWorkflows } from './deliveries-workflows'
import type { SmtpSink } from '../mail/smtp-sink'
import type { AppEnv } from './auth'

/** What every router needs. */
export interface ApiContext {
  db: Database
  workflows: DeliveryWorkflows
  config: HeraldConfig
  /** The embedded SMTP sink, when Herald runs with one. */
  sink?: SmtpSink
  validationHook: OpenAPIHonoOptions<AppEnv>['defaultHook']
}
