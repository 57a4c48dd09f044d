import { serve } from '@hono/node-server'
import { Client, Connection } from '@temporalio/client'
import { loadConfig } from '../config/env'
import { temporalConnectionOptions } from '../config/temporal'
import { openDatabase } from '../persistence/database'
import { createApp } from './app'

/** The production web server (the API and the dashboard): applies migrations, serves, and drains requests on SIGTERM before exiting. */
async function run() {
  const config = loadConfig()
  const db = await openDatabase(config.databaseUrl, { migrate: true })
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal))
  const client = new Client({ connection, namespace: config.temporal.namespace })
  const app = createApp({ db, temporal: client, config })
  const server = serve({ fetch: app.fetch, port: config.api.port, hostname: config.api.host }, (info) =>
    console.log(`Herald API listening on ${info.address}:${info.port}`),
  )
  const shutdown = () => {
    console.log('draining requests…')
    server.close(() => {
      void app
        .drain()
        .then(() => Promise.all([connection.close(), db.close()]))
        .then(() => process.exit(0))
    })
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
}

run().catch((err) => {
  console.error(err)
  process.exit(1)
})
