import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { Client, Connection } from '@temporalio/client'
import { bundleWorkflowCode } from '@temporalio/worker'
import { knex } from '@mikro-orm/knex'
import type { Role } from '../domain/roles'
import { openDatabase } from '../persistence/database'
import { nodeOptionsOf, readCompose, repositoryRoot, serviceEnvironment, type ComposeFile } from './compose'
import { ensureDemoUsers } from './demo-users'
import { ManagedProcess, SinkProcess, httpOk, portOpen, runJob, waitUntil } from './supervisor'
import { findTemporalCli } from './temporal-cli'
import { findTemporalServer, findTemporalUi, type TemporalServerBinaries } from './temporal-server'
import { localSecret } from './secrets'

/**
 * docker-compose.yml's topology on one machine, without Docker (`npm run cluster`): the Temporal server
 * of the compose file's version on the local PostgreSQL, each of its services a process of its own,
 * started from the same configuration file and variables; the schema and setup jobs (the same scripts);
 * the Temporal UI when it builds; Herald's API replicas and workers, with the compose file's variables;
 * and Herald's SMTP sink in place of Mailpit. Each process logs to `<dataDir>/logs/<name>.log`.
 */

export const temporalServices = ['history', 'matching', 'frontend', 'worker'] as const
export type TemporalService = (typeof temporalServices)[number]

/** The compose service that runs each Temporal service. */
export const composeServiceOf: Record<TemporalService, string> = {
  frontend: 'temporal',
  history: 'temporal-history',
  matching: 'temporal-matching',
  worker: 'temporal-worker',
}

/** What docker-compose.yml mounts from `deploy/temporal` into its Temporal containers, used as is here. */
export const temporalDeployDir = 'deploy/temporal'
export const temporalDeployFiles = {
  server: 'server.yaml',
  dynamicConfig: 'dynamicconfig.yaml',
  schema: 'schema.sh',
  setup: 'setup.sh',
} as const

export interface ClusterPorts {
  temporal: Record<TemporalService, { grpc: number; membership: number }>
  /** Each Temporal service's Prometheus endpoint, when asked for (the benchmarks count requests). */
  metrics?: Record<TemporalService, number>
  frontendHttp: number
  ui: number
  smtp: number
  apis: number[]
}

/** Temporal's own defaults (distinct, so its four services share a host), and compose's published ports. */
const defaultPorts: ClusterPorts = {
  temporal: {
    frontend: { grpc: 7233, membership: 6933 },
    history: { grpc: 7234, membership: 6934 },
    matching: { grpc: 7235, membership: 6935 },
    worker: { grpc: 7239, membership: 6939 },
  },
  frontendHttp: 7243,
  ui: 8080,
  smtp: 1025,
  apis: [3000, 3001, 3002, 3003],
}

export interface PostgresServer {
  host: string
  port: number
  user: string
  password: string
}

export interface ClusterDatabases {
  herald: string
  temporal: string
  visibility: string
}

/** Herald's database `<prefix>`, Temporal's `<prefix>_temporal` and `<prefix>_temporal_visibility`. */
export function clusterDatabases(prefix: string): ClusterDatabases {
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix))
    throw new Error(`database prefix '${prefix}': lower-case letters, digits and _ only`)
  return { herald: prefix, temporal: `${prefix}_temporal`, visibility: `${prefix}_temporal_visibility` }
}

export function postgresServer(url: string): PostgresServer {
  const u = new URL(url)
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password),
  }
}

/**
 * A Temporal service's variables: its compose service's, with what differs between containers on a
 * network and processes on one host — where PostgreSQL and the two databases are, the address and the
 * distinct ports of each service, and the absolute paths of the very files compose mounts.
 */
export function temporalServiceEnv(
  service: TemporalService,
  where: { ports: ClusterPorts; postgres: PostgresServer; databases: ClusterDatabases },
  compose: ComposeFile = readCompose(),
): Record<string, string> {
  const deploy = path.join(repositoryRoot, temporalDeployDir)
  const portVariables = Object.fromEntries(
    temporalServices.flatMap((s) => [
      [`${s.toUpperCase()}_GRPC_PORT`, String(where.ports.temporal[s].grpc)],
      [`${s.toUpperCase()}_MEMBERSHIP_PORT`, String(where.ports.temporal[s].membership)],
    ]),
  )
  return {
    ...serviceEnvironment(composeServiceOf[service], {}, compose),
    TEMPORAL_SERVER_CONFIG_FILE_PATH: path.join(deploy, temporalDeployFiles.server),
    DYNAMIC_CONFIG_FILE_PATH: path.join(deploy, temporalDeployFiles.dynamicConfig),
    POSTGRES_SEEDS: where.postgres.host,
    DB_PORT: String(where.postgres.port),
    POSTGRES_USER: where.postgres.user,
    POSTGRES_PWD: where.postgres.password,
    DBNAME: where.databases.temporal,
    VISIBILITY_DBNAME: where.databases.visibility,
    BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    ...portVariables,
    FRONTEND_HTTP_PORT: String(where.ports.frontendHttp),
    ...(where.ports.metrics ? { PROMETHEUS_ENDPOINT: `127.0.0.1:${where.ports.metrics[service]}` } : {}),
    // Info logs of four services cost CPU the benchmarks measure; warnings and errors still show.
    LOG_LEVEL: 'warn',
  }
}

/**
 * An API's or a worker's variables: the compose file's (interpolated with `shellEnv`, as compose would
 * with the shell and a .env file), with the addresses of this host's PostgreSQL, Temporal and sink.
 */
export function heraldServiceEnv(
  where: {
    databaseUrl: string
    temporalAddress: string
    uiUrl: string | null
    smtpUrl: string
    publicUrl: string
    sessionSecret: string
    workflowBundle: string
  },
  shellEnv: Record<string, string | undefined> = {},
  compose: ComposeFile = readCompose(),
): Record<string, string> {
  const fromCompose = serviceEnvironment('api', shellEnv, compose)
  return {
    ...fromCompose,
    DATABASE_URL: where.databaseUrl,
    TEMPORAL_ADDRESS: where.temporalAddress,
    TEMPORAL_UI_URL: where.uiUrl ?? fromCompose.TEMPORAL_UI_URL,
    SMTP_URL: where.smtpUrl,
    HERALD_HOST: '127.0.0.1',
    HERALD_PUBLIC_URL: where.publicUrl,
    // Replicas share dashboard sessions only with one secret (compose leaves it to the operator).
    HERALD_SESSION_SECRET: fromCompose.HERALD_SESSION_SECRET || where.sessionSecret,
    HERALD_WORKFLOW_BUNDLE: where.workflowBundle,
  }
}

export interface ClusterOptions {
  /** Logs, the workflow bundle, the demo tokens, the UI's configuration, the sink's mail. */
  dataDir: string
  /** Names of the three databases (see clusterDatabases). */
  databasePrefix: string
  /** A PostgreSQL superuser's URL; Herald's and Temporal's databases are created there. */
  postgresUrl?: string
  apis?: number
  workers?: number
  /** Run the Temporal UI if it can be built (on by default). */
  ui?: boolean
  /** Compose's ports when free, else any free port; false: free ports only (tests). */
  preferDefaultPorts?: boolean
  /** The shell's variables, as compose reads them (npm run cluster passes process.env). */
  shellEnv?: Record<string, string | undefined>
  /** Variables for every API and worker, over the compose file's (tests: pool size, batch size). */
  heraldEnv?: Record<string, string>
  sink?: { replyDelayMs?: number; keepMail?: boolean }
  /** Prometheus endpoints on the Temporal services (ports.metrics). */
  temporalMetrics?: boolean
  log?: (line: string) => void
}

export interface Cluster {
  dataDir: string
  ports: ClusterPorts
  databases: ClusterDatabases
  databaseUrl: string
  temporalAddress: string
  namespace: string
  taskQueue: string
  apiUrls: string[]
  uiUrl: string | null
  sink: SinkProcess
  tokens: Record<Role, string>
  client: Client
  temporal: Record<TemporalService, ManagedProcess>
  apis: ManagedProcess[]
  workers: ManagedProcess[]
  ui: ManagedProcess | null
  /** A new worker process (a scale-out), started and polling; `nodeOptions` (`--cpu-prof`) after compose's. */
  addWorker(nodeOptions?: string[], env?: Record<string, string>): Promise<ManagedProcess>
  /** Stops everything it started: Herald's processes first, Temporal's services, the sink last. */
  stop(): Promise<void>
}

export async function startCluster(given: ClusterOptions): Promise<Cluster> {
  const dataDir = path.resolve(given.dataDir)
  fs.mkdirSync(dataDir, { recursive: true })
  // Compose stops without the operator's tracking secret; here, like npm start, one is made once in
  // the data folder when the shell sets none.
  const trackingSecret = localSecret(path.join(dataDir, 'tracking-secret'))
  const options = { ...given, shellEnv: { HERALD_TRACKING_SECRET: trackingSecret, ...given.shellEnv } }
  const setup: Setup = {
    options,
    log: options.log ?? (() => undefined),
    compose: readCompose(),
    dataDir,
    logs: path.join(dataDir, 'logs'),
    started: [],
    sink: null,
  }
  fs.mkdirSync(setup.logs, { recursive: true })
  // Whatever happens to this process, nothing it started outlives it.
  const orphans = () => setup.started.forEach((p) => void p.kill())
  process.once('exit', orphans)
  try {
    const postgresUrl = options.postgresUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres'
    const where: Where = {
      ports: await choosePorts(
        options.preferDefaultPorts ?? true,
        options.apis ?? 2,
        options.temporalMetrics ?? false,
      ),
      postgres: postgresServer(postgresUrl),
      databases: clusterDatabases(options.databasePrefix),
    }
    const uiBinary = options.ui === false ? null : findTemporalUi(setup.log)
    // The workflow bundle is built meanwhile: webpack takes a while, the server starts in seconds.
    const bundle = bundleWorkflows(path.join(dataDir, 'workflow-bundle.js'))
    bundle.catch(() => undefined) // awaited below; a failure before then is reported by what failed first
    const databaseUrl = withDatabase(postgresUrl, where.databases.herald)
    await createDatabase(postgresUrl, where.databases.herald)
    const temporal = await startTemporal(setup, where)
    setup.sink = await SinkProcess.start({
      port: where.ports.smtp,
      replyDelayMs: options.sink?.replyDelayMs,
      ...(options.sink?.keepMail ? { mailDir: path.join(dataDir, 'mail') } : {}),
    })
    const uiUrl = uiBinary ? `http://localhost:${where.ports.ui}` : null
    const publicUrl = `http://localhost:${where.ports.apis[0]}`
    const herald = await startHerald(setup, where, temporal, {
      databaseUrl,
      temporalAddress: temporal.address,
      uiUrl,
      smtpUrl: setup.sink.url,
      publicUrl,
      sessionSecret: localSecret(path.join(dataDir, 'session-secret')),
      workflowBundle: await bundle,
    })
    const ui = uiBinary
      ? uiProcess(uiBinary, dataDir, temporal.address, where.ports.ui, publicUrl, setup.logs)
      : null
    if (ui) {
      setup.started.push(ui)
      await ui.start()
    }
    const sink = setup.sink
    return {
      dataDir,
      ports: where.ports,
      databases: where.databases,
      databaseUrl,
      temporalAddress: temporal.address,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      apiUrls: where.ports.apis.map((port) => `http://127.0.0.1:${port}`),
      uiUrl,
      sink,
      tokens: herald.tokens,
      client: temporal.client,
      temporal: temporal.processes,
      apis: herald.apis,
      workers: herald.workers,
      ui,
      addWorker: herald.addWorker,
      async stop() {
        await Promise.all([ui, ...herald.workers].map((p) => p?.stop()))
        await Promise.all(herald.apis.map((p) => p.stop()))
        await temporal.client.connection.close()
        await Promise.all(Object.values(temporal.processes).map((p) => p.stop(20_000)))
        sink.stop()
        process.off('exit', orphans)
      },
    }
  } catch (err) {
    await Promise.all(setup.started.map((p) => p.kill()))
    setup.sink?.stop()
    process.off('exit', orphans)
    throw err
  }
}

/** What the steps of startCluster share. */
interface Setup {
  options: ClusterOptions
  log: (line: string) => void
  compose: ComposeFile
  dataDir: string
  logs: string
  /** Everything started so far, to stop if a later step fails. */
  started: ManagedProcess[]
  sink: SinkProcess | null
}

type Where = Parameters<typeof temporalServiceEnv>[1]

interface StartedTemporal {
  processes: Record<TemporalService, ManagedProcess>
  address: string
  namespace: string
  taskQueue: string
  client: Client
}

/** The schema job, the four services (the frontend first), the setup job; a client of the frontend. */
async function startTemporal(setup: Setup, where: Where): Promise<StartedTemporal> {
  const { compose, log, options } = setup
  const binaries = findTemporalServer(log)
  const cli = findTemporalCli(log)
  if (cli.kind !== 'binary') throw new Error('the cluster needs the Temporal CLI binary (see README)')
  const job = (name: string, script: string, env: Record<string, string>) =>
    runJob({
      name,
      command: 'sh',
      args: [path.join(repositoryRoot, temporalDeployDir, script)],
      env: { PATH: process.env.PATH ?? '', ...env },
      logFile: path.join(setup.logs, `${name}.log`),
    })
  const { temporal: temporalDb, visibility } = where.databases
  log(`Temporal ${path.basename(path.dirname(binaries.server))}: schemas in ${temporalDb}, ${visibility}…`)
  await job('temporal-schema', temporalDeployFiles.schema, {
    ...temporalServiceEnv('frontend', where, compose),
    TEMPORAL_SQL_TOOL: binaries.sql,
    TEMPORAL_SCHEMA_DIR: binaries.schemaDir,
  })
  const processes = Object.fromEntries(
    temporalServices.map((service) => [
      service,
      temporalProcess(service, binaries, where, compose, setup.logs),
    ]),
  ) as Record<TemporalService, ManagedProcess>
  setup.started.push(...Object.values(processes))
  // The first service to start writes the cluster's metadata into a new database; several at once
  // race for it and all but one exit (compose restarts them; here the frontend goes first).
  await processes.frontend.start()
  await Promise.all(temporalServices.filter((s) => s !== 'frontend').map((s) => processes[s].start()))
  const address = `127.0.0.1:${where.ports.temporal.frontend.grpc}`
  const fromCompose = serviceEnvironment('api', options.shellEnv ?? {}, compose)
  const namespace = options.heraldEnv?.TEMPORAL_NAMESPACE ?? fromCompose.TEMPORAL_NAMESPACE
  const taskQueue = options.heraldEnv?.TEMPORAL_TASK_QUEUE ?? fromCompose.TEMPORAL_TASK_QUEUE
  log('Temporal services started; namespace and search attributes…')
  await job('temporal-setup', temporalDeployFiles.setup, {
    HOME: process.env.HOME ?? os.homedir(),
    TEMPORAL_CLI: cli.path,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
  })
  const client = new Client({ connection: await Connection.connect({ address }), namespace })
  return { processes, address, namespace, taskQueue, client }
}

/** Herald's API replicas (the first alone: it applies the migrations), the demo users, the workers. */
async function startHerald(
  setup: Setup,
  where: Where,
  temporal: StartedTemporal,
  addresses: Parameters<typeof heraldServiceEnv>[0],
) {
  const { compose, options } = setup
  const heraldEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.homedir(),
    ...heraldServiceEnv(addresses, options.shellEnv, compose),
    ...options.heraldEnv,
  }
  const herald = (entry: string, name: string, env: Record<string, string>, extra: string[] = []) =>
    new ManagedProcess({
      name,
      command: process.execPath,
      args: [...nodeOptionsOf(entry, compose), ...extra, path.join(repositoryRoot, entry)],
      env: { ...heraldEnv, ...env },
      cwd: repositoryRoot,
      logFile: path.join(setup.logs, `${name}.log`),
      ready:
        entry === 'server/main.ts'
          ? apiReady(env.HERALD_PORT)
          : workerReady(temporal.client, temporal.namespace, temporal.taskQueue),
    })
  const apis = where.ports.apis.map((port, i) =>
    herald('server/main.ts', `api-${i + 1}`, { HERALD_PORT: String(port) }),
  )
  setup.started.push(...apis)
  setup.log('Herald: API replicas…')
  await apis[0].start()
  await Promise.all(apis.slice(1).map((api) => api.start()))
  const tokens = await demoTokens(addresses.databaseUrl, path.join(setup.dataDir, 'demo-tokens.json'))

  const workers: ManagedProcess[] = []
  // Workers share this host: each its own pair of metrics ports (Herald's, the Temporal SDK's) from 9464.
  const metricsBase = Number((heraldEnv as Record<string, string>).HERALD_METRICS_PORT ?? 9464)
  const addWorker = async (nodeOptions: string[] = [], env: Record<string, string> = {}) => {
    const metricsPort = metricsBase ? metricsBase + 2 * workers.length : 0
    const worker = herald(
      'worker/main.ts',
      `worker-${workers.length + 1}`,
      { HERALD_METRICS_HOST: '127.0.0.1', HERALD_METRICS_PORT: String(metricsPort), ...env },
      nodeOptions,
    )
    workers.push(worker)
    setup.started.push(worker)
    return worker.start()
  }
  setup.log('Herald: workers…')
  await Promise.all(Array.from({ length: options.workers ?? 3 }, () => addWorker()))
  return { apis, workers, addWorker, tokens }
}

/** Drops the cluster's three databases (tests use fresh ones each run). */
export async function dropClusterDatabases(
  prefix: string,
  postgresUrl = 'postgres://postgres@127.0.0.1:5432/postgres',
): Promise<void> {
  const admin = knex({ client: 'pg', connection: postgresUrl, pool: { min: 0, max: 1 } })
  try {
    for (const name of Object.values(clusterDatabases(prefix)))
      await admin.raw(`drop database if exists ${name} with (force)`)
  } finally {
    await admin.destroy()
  }
}

function withDatabase(postgresUrl: string, database: string): string {
  const url = new URL(postgresUrl)
  url.pathname = `/${database}`
  return url.toString()
}

async function createDatabase(postgresUrl: string, name: string): Promise<void> {
  const admin = knex({ client: 'pg', connection: postgresUrl, pool: { min: 0, max: 1 } })
  try {
    const exists = await admin.raw('select 1 from pg_database where datname = ?', [name])
    if (exists.rows.length === 0) await admin.raw(`create database ${name}`)
  } finally {
    await admin.destroy()
  }
}

/**
 * Compose's ports where free, or free ones below 32768: Temporal records each service's port in a
 * smallint column (its membership table), and the kernel hands out ephemeral ports above that.
 */
async function choosePorts(
  preferDefaults: boolean,
  apiCount: number,
  metrics: boolean,
): Promise<ClusterPorts> {
  const taken = new Set<number>()
  const usable = async (port: number) => !taken.has(port) && (await canListen(port))
  const pick = async (preferred: number) => {
    let port = preferred
    if (!preferDefaults || !(await usable(port))) {
      do port = 10_000 + crypto.randomInt(22_000)
      while (!(await usable(port)))
    }
    taken.add(port)
    return port
  }
  const temporal = {} as ClusterPorts['temporal']
  for (const service of temporalServices) {
    const defaults = defaultPorts.temporal[service]
    temporal[service] = { grpc: await pick(defaults.grpc), membership: await pick(defaults.membership) }
  }
  const apis: number[] = []
  for (let i = 0; i < apiCount; i++) apis.push(await pick(defaultPorts.apis[i] ?? defaultPorts.apis[0] + i))
  const metricsPorts = {} as Record<TemporalService, number>
  if (metrics) for (const service of temporalServices) metricsPorts[service] = await pick(9090)
  return {
    temporal,
    ...(metrics ? { metrics: metricsPorts } : {}),
    frontendHttp: await pick(defaultPorts.frontendHttp),
    ui: await pick(defaultPorts.ui),
    smtp: await pick(defaultPorts.smtp),
    apis,
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

function temporalProcess(
  service: TemporalService,
  binaries: TemporalServerBinaries,
  where: Parameters<typeof temporalServiceEnv>[1],
  compose: ComposeFile,
  logs: string,
): ManagedProcess {
  const env = temporalServiceEnv(service, where, compose)
  // Temporal's internal worker serves no gRPC: its membership port says it is up.
  const port = where.ports.temporal[service][service === 'worker' ? 'membership' : 'grpc']
  return new ManagedProcess({
    name: `temporal-${service}`,
    command: binaries.server,
    args: ['start'],
    env,
    logFile: path.join(logs, `temporal-${service}.log`),
    ready: (p) => waitUntil(`temporal ${service} listening on ${port}`, () => portOpen(port), { process: p }),
  })
}

function apiReady(port: string) {
  return (p: ManagedProcess) =>
    waitUntil(`${p.name} answering on ${port}`, () => httpOk(`http://127.0.0.1:${port}/health`), {
      process: p,
      timeoutMs: 120_000,
    })
}

/** Task queue types of DescribeTaskQueue: 1 workflow, 2 activity. */
const taskQueueTypes = [1, 2]

/** A worker is ready when Temporal sees it poll both its workflow and activity task queues. */
function workerReady(client: Client, namespace: string, taskQueue: string) {
  return (p: ManagedProcess) => {
    const identity = `${p.pid}@${os.hostname()}`
    return waitUntil(
      `${p.name} polling ${taskQueue}`,
      async () => {
        for (const taskQueueType of taskQueueTypes) {
          const { pollers } = await client.workflowService.describeTaskQueue({
            namespace,
            taskQueue: { name: taskQueue },
            taskQueueType,
          })
          if (!pollers?.some((poller) => poller.identity === identity)) return false
        }
        return true
      },
      { process: p, timeoutMs: 120_000 },
    )
  }
}

function uiProcess(
  binary: string,
  dataDir: string,
  temporalAddress: string,
  port: number,
  publicUrl: string,
  logs: string,
): ManagedProcess {
  // The UI server reads <root>/<config>/<env>.yaml: compose's temporal-ui gets the same by variables.
  const configDir = path.join(dataDir, 'temporal-ui')
  fs.mkdirSync(configDir, { recursive: true })
  fs.writeFileSync(
    path.join(configDir, 'cluster.yaml'),
    [
      `temporalGrpcAddress: ${temporalAddress}`,
      'host: 127.0.0.1',
      `port: ${port}`,
      'enableUi: true',
      'defaultNamespace: default',
      'cors:',
      '  allowOrigins:',
      `    - ${publicUrl}`,
      '',
    ].join('\n'),
  )
  return new ManagedProcess({
    name: 'temporal-ui',
    command: binary,
    args: ['--root', dataDir, '--config', 'temporal-ui', '--env', 'cluster', 'start'],
    env: {},
    logFile: path.join(logs, 'temporal-ui.log'),
    ready: (p) =>
      waitUntil('the Temporal UI answering', () => httpOk(`http://127.0.0.1:${port}/healthz`), {
        process: p,
      }),
  })
}

async function bundleWorkflows(file: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  })
  fs.writeFileSync(file, code)
  return file
}

async function demoTokens(databaseUrl: string, file: string): Promise<Record<Role, string>> {
  const db = await openDatabase(databaseUrl, { migrate: false })
  try {
    return await ensureDemoUsers(db, file)
  } finally {
    await db.close()
  }
}
