import fs from 'node:fs'
import path from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { Client, Connection } from '@temporalio/client'
import { NativeConnection } from '@temporalio/worker'
import { loadConfig, type HeraldConfig } from '../config/env'
import { openDatabase } from '../persistence/database'
import { SmtpSink } from '../mail/smtp-sink'
import { createApp } from '../server/app'
import { startAlertWatchdog } from '../server/alert-watchdog'
import { createHeraldWorker, type HeraldWorker } from '../worker/worker'
import { ensureRetentionSchedule } from '../worker/retention-schedule'
import { createActivityDeps } from '../worker/deps'
import { startDevServer } from './dev-server'
import { ensureDemoUsers } from './demo-users'
import { lockDataDir, type DataLock } from './data-lock'
import { ensurePortFree, isPortTaken, portTakenError, type PortUse } from './ports'
import { localSecret } from './secrets'
import { createLogger, useLogger } from '../observability/logger'
import { temporalMetricsPort, workerMetricsPort } from '../observability/metrics'
import { startWorkerObservability } from '../observability/worker'
import { startTracing, tracingClientInterceptors } from '../observability/tracing'

type Ports = Record<'temporal' | 'temporalUi' | 'smtp' | 'api' | 'metrics' | 'temporalMetrics', PortUse>

/**
 * Herald on one machine with nothing installed: a Temporal dev server (persistent SQLite file, UI on
 * 8233), an SMTP sink that keeps every message, SQLite, the worker and the API with the dashboard.
 * Everything lives in ./data, so a restart keeps all data and running workflows. The data directory's
 * lock records the dev server this process owns; a watchdog stops that server if this process dies.
 */
export async function startEmbedded(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stop: () => Promise<void> }> {
  const dataDir = path.resolve(env.HERALD_DATA_DIR ?? 'data')
  fs.mkdirSync(dataDir, { recursive: true })
  const log = (line: string) => console.log(`[herald] ${line}`)
  // Pretty lines in a terminal; quiet unless asked (HERALD_LOG_LEVEL=INFO shows every request).
  useLogger(createLogger({ pretty: true, level: env.HERALD_LOG_LEVEL ?? 'WARN' }))
  const number = (name: string, fallback: number) => Number(env[name] ?? fallback)
  const temporalPort = number('HERALD_TEMPORAL_PORT', 7233)
  const uiPort = number('HERALD_TEMPORAL_UI_PORT', 8233)
  const smtpPort = number('HERALD_SMTP_PORT', 2525)
  const config = loadConfig({
    DATABASE_URL: `sqlite:${path.join(dataDir, 'herald.sqlite')}`,
    HERALD_SESSION_SECRET: localSecret(path.join(dataDir, 'session-secret')),
    ...env,
    HERALD_TRACKING_SECRET: env.HERALD_TRACKING_SECRET || localSecret(path.join(dataDir, 'tracking-secret')),
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    TEMPORAL_UI_URL: uiPort ? `http://localhost:${uiPort}` : undefined,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
  })
  const host = '127.0.0.1'
  const ports: Ports = {
    temporal: { port: temporalPort, host, what: 'the Temporal dev server', setting: 'HERALD_TEMPORAL_PORT' },
    temporalUi: { port: uiPort, host, what: 'the Temporal UI', setting: 'HERALD_TEMPORAL_UI_PORT' },
    smtp: { port: smtpPort, host, what: 'the SMTP sink', setting: 'HERALD_SMTP_PORT' },
    api: { port: config.api.port, host: config.api.host, what: 'the API', setting: 'HERALD_PORT' },
    metrics: {
      port: workerMetricsPort(env),
      host,
      what: "the worker's metrics",
      setting: 'HERALD_METRICS_PORT',
    },
    temporalMetrics: {
      port: temporalMetricsPort(env),
      host,
      what: "the Temporal SDK's metrics",
      setting: 'HERALD_TEMPORAL_METRICS_PORT',
    },
  }

  // Before anything starts: the dev server a crash left behind is stopped, then every port is checked.
  const lock = await lockDataDir(dataDir, log)
  const started = new Stack()
  try {
    for (const use of Object.values(ports)) if (use.port) await ensurePortFree(use)
    const bundle = env.HERALD_WORKFLOW_BUNDLE || undefined
    await startServices({ dataDir, config, ports, bundle, lock, started, log })
  } catch (err) {
    await started.unwind()
    lock.release()
    throw err
  }
  return {
    stop: async () => {
      log('stopping…')
      await started.unwind()
      lock.release()
      log('stopped')
    },
  }
}

interface Startup {
  dataDir: string
  config: HeraldConfig
  ports: Ports
  /** A pre-built workflow bundle (tests build one per run); otherwise the worker bundles workflows/. */
  bundle: string | undefined
  lock: DataLock
  /** Each part pushes how to stop it as soon as it runs. */
  started: Stack
  log: (line: string) => void
}

async function startServices({ dataDir, config, ports, bundle, lock, started, log }: Startup): Promise<void> {
  log('starting the Temporal dev server…')
  const dbFile = path.join(dataDir, 'temporal.db')
  const temporal = await startDevServer({
    port: ports.temporal.port,
    uiPort: ports.temporalUi.port,
    dbFile,
    logFile: path.join(dataDir, 'temporal.log'),
    log,
    onStarted: (pid) =>
      lock.recordServer({ pid, port: ports.temporal.port, uiPort: ports.temporalUi.port, dbFile }),
  })
  started.push(() => temporal.stop())
  const sink = new SmtpSink({ port: ports.smtp.port, mailDir: path.join(dataDir, 'mail') })
  await listening(ports.smtp, () => sink.start())
  started.push(() => sink.stop())
  const db = await openDatabase(config.databaseUrl)
  started.push(() => db.close())
  const tokens = await ensureDemoUsers(db, path.join(dataDir, 'demo-tokens.json'))

  await startTracing('herald')
  const observability = await startWorkerObservability(ports.metrics.host, {
    HERALD_METRICS_PORT: String(ports.metrics.port),
    HERALD_TEMPORAL_METRICS_PORT: String(ports.temporalMetrics.port),
  })
  started.push(() => observability.stop())
  const nativeConnection = await NativeConnection.connect({ address: temporal.address })
  started.push(() => nativeConnection.close())
  const deps = createActivityDeps(db, config)
  started.push(() => deps.mailer.close())
  log(bundle ? 'starting the worker…' : 'bundling workflows and starting the worker…')
  const worker: HeraldWorker = await createHeraldWorker({
    connection: nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps,
    workflowBundle: bundle ? { codePath: bundle } : undefined,
  })
  const workerRun = worker.run()
  started.push(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown()
    await workerRun.catch(() => undefined)
  })

  const connection = await Connection.connect({ address: temporal.address })
  started.push(() => connection.close())
  const interceptors = await tracingClientInterceptors()
  const client = new Client({ connection, namespace: config.temporal.namespace, interceptors })
  await ensureRetentionSchedule(client, config)
  const app = createApp({ db, temporal: client, config, sink })
  const watchdog = startAlertWatchdog({ db, config })
  started.push(() => watchdog.stop())
  const server = await listening(ports.api, () => listen(app.fetch, config))
  started.push(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await app.drain()
  })
  printWelcome(config, temporal.uiUrl, sink.url, dataDir, tokens, observability)
}

/** Starts a listener; a port taken since the check is reported like the check reports it. */
async function listening<T>(use: PortUse, start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (err) {
    throw isPortTaken(err) ? portTakenError(use) : err
  }
}

function listen(fetch: Parameters<typeof serve>[0]['fetch'], config: HeraldConfig): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: config.api.port, hostname: config.api.host }, () => resolve(server))
    server.once('error', reject)
  })
}

function printWelcome(
  config: HeraldConfig,
  temporalUi: string | null,
  smtpUrl: string,
  dataDir: string,
  tokens: Record<string, string>,
  metrics: { metricsUrl: string | null; temporalMetricsUrl: string | null },
): void {
  const workerMetrics = [
    metrics.metricsUrl,
    metrics.temporalMetricsUrl && `Temporal SDK: ${metrics.temporalMetricsUrl}`,
  ]
  console.log(`
Herald is running.
  Dashboard           ${config.api.publicUrl}        (log in with a demo token below)
  API docs            ${config.api.publicUrl}/api/docs   (OpenAPI: ${config.api.publicUrl}/api/openapi.json)
  Temporal UI         ${temporalUi}
  SMTP sink           ${smtpUrl}   messages: ${config.api.publicUrl}/mailbox and ${path.join(dataDir, 'mail')}
  Metrics (API)       ${config.api.publicUrl}/metrics
  Metrics (worker)    ${workerMetrics.filter(Boolean).join('   ') || 'off (HERALD_METRICS_PORT=0)'}
  Data                ${dataDir}

Demo API tokens (Authorization: Bearer <token>):
${Object.entries(tokens)
  .map(([role, token]) => `  ${role.padEnd(9)} ${token}`)
  .join('\n')}

Press Ctrl-C to stop; starting again keeps all data and running workflows.
`)
}

/** What was started, stopped in the reverse order: on stop, or when a later part fails to start. */
class Stack {
  private readonly steps: (() => Promise<void> | void)[] = []
  private unwinding: Promise<void> | null = null

  push(step: () => Promise<void> | void): void {
    this.steps.push(step)
  }

  unwind(): Promise<void> {
    return (this.unwinding ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        try {
          await step()
        } catch (err) {
          console.error('[herald] while stopping:', err)
        }
      }
    })())
  }
}
