import { serve } from '@hono/node-server'
import { Client, Connection } from '@temporalio/client'
import { loadConfig } from '../config/env'
import { temporalConnectionOptions } from '../config/temporal'
import { openDatabase } from '../persistence/database'
import { createApp } from './app'
import { startAlertWatchdog } from './alert-watchdog'
import { logger } from '../observability/logger'
import { startTracing, stopTracing, tracingClientInterceptors } from '../observability/tracing'

/** The production web server (the API and the dashboard): applies migrations, serves, and drains requests on SIGTERM before exiting. */
async function run() {
  await startTracing('herald-api')
  const config = loadConfig()
  const db = await openDatabase(config.databaseUrl, { migrate: true })
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal))
  const interceptors = await tracingClientInterceptors()
  const client = new Client({ connection, namespace: config.temporal.namespace, interceptors })
  const app = createApp({ db, temporal: client, config })
  const watchdog = startAlertWatchdog({ db, config })
  const server = serve({ fetch: app.fetch, port: config.api.port, hostname: config.api.host }, (info) =>
    logger.info({ address: info.address, port: info.port }, 'Herald API listening'),
  )
  const shutdown = () => {
    logger.info('draining requests…')
    server.close(() => {
      void app
        .drain()
        .then(() => watchdog.stop())
        .then(() => Promise.all([connection.close(), db.close(), stopTracing()]))
        .then(() => process.exit(0))
    })
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
}

run().catch((err) => {
  logger.fatal({ err }, 'the API stopped')
  process.exit(1)
})
