import { NativeConnection } from '@temporalio/worker'
import { Client, Connection } from '@temporalio/client'
import { loadConfig } from '../config/env'
import { temporalConnectionOptions } from '../config/temporal'
import { openDatabase, waitForMigrations } from '../persistence/database'
import { createHeraldWorker } from './worker'
import { createActivityDeps } from './deps'
import { startWorkerObservability } from '../observability/worker'
import { logger } from '../observability/logger'
import { ensureRetentionSchedule } from './retention-schedule'

/**
 * A production worker: scale out with more processes on the same task queue. On SIGINT/SIGTERM the
 * SDK stops polling and gives running batches `shutdownGraceTime` to finish their messages in flight.
 */
async function run() {
  const observability = await startWorkerObservability(process.env.HERALD_METRICS_HOST || '0.0.0.0')
  const config = loadConfig()
  const db = await openDatabase(config.databaseUrl, { migrate: false })
  await waitForMigrations(db, (line) => logger.info(line))
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal))
  const clientConnection = await Connection.connect(temporalConnectionOptions(config.temporal))
  await ensureRetentionSchedule(
    new Client({ connection: clientConnection, namespace: config.temporal.namespace }),
    config,
  )
  await clientConnection.close()
  const deps = createActivityDeps(db, config)
  const bundle = process.env.HERALD_WORKFLOW_BUNDLE
  const worker = await createHeraldWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps,
    workflowBundle: bundle ? { codePath: bundle } : undefined,
  })
  await worker.run()
  deps.mailer.close()
  await connection.close()
  await db.close()
  await observability.stop()
}

run().catch((err) => {
  logger.fatal({ err }, 'the worker stopped')
  process.exit(1)
})
