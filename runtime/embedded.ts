import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { Client, Connection } from '@temporalio/client'
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker'
import { loadConfig } from '../config/env'
import { openDatabase } from '../persistence/database'
import { SmtpSink } from '../mail/smtp-sink'
import { createApp } from '../api/app'
import { createHeraldWorker } from '../worker/worker'
import { createActivityDeps } from '../worker/deps'
import { startDevServer } from './dev-server'
import { ensureDemoUsers } from './demo-users'

/**
 * Herald on one machine with nothing installed: a Temporal dev server (persistent SQLite file, UI on
 * 8233), an SMTP sink that keeps every message, SQLite, the worker and the API with the dashboard.
 * Everything lives in ./data, so a restart keeps all data and running workflows.
 */
export async function startEmbedded(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stop: () => Promise<void> }> {
  const dataDir = path.resolve(env.HERALD_DATA_DIR ?? 'data')
  fs.mkdirSync(dataDir, { recursive: true })
  const log = (line: string) => console.log(`[herald] ${line}`)
  Runtime.install({ logger: new DefaultLogger((env.HERALD_LOG_LEVEL as 'WARN') ?? 'WARN') })
  const port = (name: string, fallback: number) => Number(env[name] ?? fallback)

  log('starting the Temporal dev server…')
  const temporal = await startDevServer({
    port: port('HERALD_TEMPORAL_PORT', 7233),
    uiPort: port('HERALD_TEMPORAL_UI_PORT', 8233),
    dbFile: path.join(dataDir, 'temporal.db'),
    log,
  })
  const sink = await new SmtpSink({
    port: port('HERALD_SMTP_PORT', 2525),
    mailDir: path.join(dataDir, 'mail'),
  }).start()
  const config = loadConfig({
    DATABASE_URL: `sqlite:${path.join(dataDir, 'herald.sqlite')}`,
    HERALD_SESSION_SECRET: localSecret(path.join(dataDir, 'session-secret')),
    ...env,
    HERALD_TRACKING_SECRET: env.HERALD_TRACKING_SECRET || localSecret(path.join(dataDir, 'tracking-secret')),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_UI_URL: temporal.uiUrl ?? undefined,
    SMTP_URL: sink.url,
  })
  const db = await openDatabase(config.databaseUrl)
  const tokens = await ensureDemoUsers(db, path.join(dataDir, 'demo-tokens.json'))

  const nativeConnection = await NativeConnection.connect({ address: temporal.address })
  const deps = createActivityDeps(db, config)
  log('bundling workflows and starting the worker…')
  const worker: Worker = await createHeraldWorker({
    connection: nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps,
  })
  const workerRun = worker.run()

  const connection = await Connection.connect({ address: temporal.address })
  const client = new Client({ connection, namespace: config.temporal.namespace })
  const app = createApp({ db, temporal: client, config, sink })
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.api.port, hostname: config.api.host }, () => resolve(s))
  })

  console.log(`
Herald is running.
  Dashboard           ${config.api.publicUrl}        (log in with a demo token below)
  API docs            ${config.api.publicUrl}/api/docs   (OpenAPI: ${config.api.publicUrl}/api/openapi.json)
  Temporal UI         ${temporal.uiUrl}
  SMTP sink           ${sink.url}   messages: ${config.api.publicUrl}/mailbox and ${path.join(dataDir, 'mail')}
  Data                ${dataDir}

Demo API tokens (Authorization: Bearer <token>):
${Object.entries(tokens)
  .map(([role, token]) => `  ${role.padEnd(9)} ${token}`)
  .join('\n')}

Press Ctrl-C to stop; starting again keeps all data and running workflows.
`)

  let stopping: Promise<void> | null = null
  const stop = () =>
    (stopping ??= (async () => {
      log('stopping…')
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await app.drain()
      if (worker.getState() === 'RUNNING') worker.shutdown()
      await workerRun.catch(() => undefined)
      deps.mailer.close()
      await connection.close()
      await nativeConnection.close()
      await sink.stop()
      await db.close()
      await temporal.stop()
      log('stopped')
    })())
  return { stop }
}

/** A secret made on first start and kept in ./data (tracking links, dashboard sessions), so it survives restarts. */
function localSecret(file: string): string {
  if (!fs.existsSync(file))
    fs.writeFileSync(file, crypto.randomBytes(32).toString('base64url'), { mode: 0o600 })
  return fs.readFileSync(file, 'utf8').trim()
}
