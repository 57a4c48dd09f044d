import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fork } from 'node:child_process'
import { knex, type Knex } from '@mikro-orm/knex'
import { startCluster, dropClusterDatabases, type Cluster } from '../runtime/cluster'
import { deliveryWorkflowId } from '../workflows/messages'
import type { BaselineJob, BaselineResult } from './baseline-sender'

/**
 * The production path for the benchmarks (P1 production, P7): `npm run cluster`'s topology — Temporal's
 * services on PostgreSQL, Herald's API and workers as processes of their own, the sink in its own — on a
 * PostgreSQL given by URL, with a raw baseline (bench/baseline-sender.ts) sending the same messages.
 */
export const content = {
  subject: 'Hello {{firstName}}',
  text: 'Hi {{firstName}} {{lastName}}, your plan is {{attributes.plan}}.',
  html: '<p>Hi <b>{{firstName}} {{lastName}}</b>, your plan is {{attributes.plan}}.</p>',
}

export interface BenchCluster {
  cluster: Cluster
  db: Knex
  close(): Promise<void>
}

export async function startBenchCluster(options: {
  postgresUrl: string
  workers: number
  heraldEnv?: Record<string, string>
  temporalMetrics?: boolean
}): Promise<BenchCluster> {
  const prefix = `herald_bench_${crypto.randomBytes(4).toString('hex')}`
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-cluster-'))
  const cluster = await startCluster({
    dataDir,
    databasePrefix: prefix,
    postgresUrl: options.postgresUrl,
    apis: 1,
    workers: options.workers,
    ui: false,
    preferDefaultPorts: false,
    temporalMetrics: options.temporalMetrics,
    heraldEnv: { HERALD_LOG_LEVEL: 'WARN', ...options.heraldEnv },
    log: (line) => console.error(`[bench cluster] ${line}`),
  }).catch(async (err: unknown) => {
    await dropClusterDatabases(prefix, options.postgresUrl)
    fs.rmSync(dataDir, { recursive: true, force: true })
    throw err
  })
  const db = knex({ client: 'pg', connection: cluster.databaseUrl, pool: { min: 0, max: 2 } })
  return {
    cluster,
    db,
    async close() {
      await db.destroy()
      await cluster.stop()
      await dropClusterDatabases(prefix, options.postgresUrl)
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

async function api(
  cluster: Cluster,
  method: string,
  url: string,
  body?: unknown,
  as: 'start' | 'approve' = 'start',
): Promise<{ id: number; ids: number[]; status: string }> {
  const res = await fetch(`${cluster.apiUrls[0]}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${cluster.tokens[as]}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json = (await res.json()) as { id: number; ids: number[]; status: string }
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

/** Profiles with a first name, a last name and a plan, so that every message is personalised. */
export async function importProfiles(cluster: Cluster, count: number): Promise<number[]> {
  const tag = crypto.randomBytes(3).toString('hex')
  const ids: number[] = []
  for (let start = 0; start < count; start += 5000) {
    const profiles = Array.from({ length: Math.min(5000, count - start) }, (_, i) => ({
      externalId: `${tag}-${start + i}`,
      email: `${tag}-${start + i}@example.com`,
      firstName: `First${start + i}`,
      lastName: `Last${start + i}`,
      attributes: { plan: (start + i) % 2 ? 'pro' : 'free' },
    }))
    ids.push(...(await api(cluster, 'POST', '/api/profiles', { profiles })).ids)
  }
  return ids
}

/** A delivery to the profiles, prepared and approved through the API: ready to confirm. */
export async function readyDelivery(b: BenchCluster, profileIds: number[]): Promise<number> {
  const { id } = await api(b.cluster, 'POST', '/api/deliveries', {
    label: 'Bench',
    ...content,
    audience: { profileIds },
  })
  await api(b.cluster, 'POST', `/api/deliveries/${id}/prepare`)
  await until(
    async () => (await api(b.cluster, 'GET', `/api/deliveries/${id}`)).status === 'awaiting_approval',
  )
  await api(b.cluster, 'POST', `/api/deliveries/${id}/approve`, undefined, 'approve')
  return id
}

/** Confirm → every sending log final, watched cheaply from outside: the sink's count, then an index count. */
export async function heraldSend(b: BenchCluster, id: number, messages: number): Promise<number> {
  const started = performance.now()
  await api(b.cluster, 'POST', `/api/deliveries/${id}/confirm`, { expectedMessages: messages })
  await b.cluster.sink.waitForTotal(messages, 1_800_000)
  await until(async () => {
    const [{ n }] = await b
      .db('sending_log')
      .where('delivery_id', id)
      .whereIn('status', ['pending', 'sending'])
      .count('* as n')
    return Number(n) === 0
  }, 20)
  return performance.now() - started
}

/** The same messages through plain nodemailer with `poolSize` connections, from a process of its own. */
export async function baselineSend(
  b: BenchCluster,
  id: number,
  poolSize: number,
  nodeOptions: string[] = [],
): Promise<BaselineResult> {
  const env = b.cluster.apis[0].spec.env
  const job: BaselineJob = {
    databaseUrl: b.cluster.databaseUrl,
    deliveryId: id,
    content,
    smtpUrl: b.cluster.sink.url,
    poolSize,
    from: env.SMTP_FROM,
    messageIdDomain: env.HERALD_MESSAGE_ID_DOMAIN,
    trackingSecret: env.HERALD_TRACKING_SECRET,
    publicUrl: env.HERALD_PUBLIC_URL,
  }
  const child = fork(require.resolve('./baseline-sender'), [], {
    execArgv: ['--import', 'tsx', ...nodeOptions],
    stdio: 'inherit',
  })
  const result = new Promise<BaselineResult>((resolve, reject) => {
    child.once('message', (m: BaselineResult) => resolve(m))
    child.once('exit', (code) => reject(new Error(`baseline sender exited with ${code}`)))
  })
  child.send(job)
  const r = await result
  await b.cluster.sink.waitForTotal(r.sent)
  return r
}

/**
 * Diagnostic only, never how Herald runs: `send` with the workers' database sessions committing without
 * waiting for the WAL flush (`synchronous_commit = off`: a crash of PostgreSQL could then lose claims
 * already acted on). It shows what the commit on each message's path costs. The running workers are
 * restarted so that their connections take the setting, and again after.
 */
export async function withAsyncCommit<T>(b: BenchCluster, send: () => Promise<T>): Promise<T> {
  const running = b.cluster.workers.filter((w) => w.running)
  const restart = () => Promise.all(running.map(async (w) => (await w.stop(), await w.start())))
  const database = `"${b.cluster.databases.herald}"`
  await b.db.raw(`alter database ${database} set synchronous_commit = off`)
  await restart()
  try {
    return await send()
  } finally {
    await b.db.raw(`alter database ${database} reset synchronous_commit`)
    await restart()
    await b.cluster.sink.reset()
  }
}

async function until(check: () => Promise<boolean>, everyMs = 100, timeoutMs = 1_800_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

/** CPU time (user + system) a process has used, in µs; 0 if it is gone. */
export function cpuUs(pid: number | undefined): number {
  if (!pid) return 0
  try {
    // Fields after the command (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100
  } catch {
    return 0
  }
}

/** The children of a process (a PostgreSQL server's backends), from /proc. */
export function childPids(parent: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return fs.readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(parent)
      } catch {
        return false
      }
    })
    .map(Number)
}

export interface BatchFigures {
  /** Batch activities scheduled (retries not counted) */
  scheduled: number
  /** Batches each worker ran (by process id), the busiest first */
  perWorker: number[]
  /** Median time a batch took, and waited between being scheduled and a worker starting it */
  medianBatchMs: number
  medianQueueMs: number
}

/** How the delivery's batches went, from its workflow history: which worker ran each, how long. */
export async function batchFigures(cluster: Cluster, deliveryId: number): Promise<BatchFigures> {
  const history = await cluster.client.workflow.getHandle(deliveryWorkflowId(deliveryId)).fetchHistory()
  const events = history.events ?? []
  const timeOf = new Map<number, number>()
  const byWorker = new Map<string, number>()
  const batchMs: number[] = []
  const queueMs: number[] = []
  const batches = new Set<number>()
  for (const event of events) {
    const at = Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6
    timeOf.set(Number(event.eventId), at)
    if (event.activityTaskScheduledEventAttributes?.activityType?.name === 'sendBatch')
      batches.add(Number(event.eventId))
    const started = event.activityTaskStartedEventAttributes
    if (started && batches.has(Number(started.scheduledEventId))) {
      const identity = started.identity ?? '?'
      byWorker.set(identity, (byWorker.get(identity) ?? 0) + 1)
      queueMs.push(at - timeOf.get(Number(started.scheduledEventId))!)
    }
    const completed = event.activityTaskCompletedEventAttributes
    if (completed && batches.has(Number(completed.scheduledEventId)))
      batchMs.push(at - timeOf.get(Number(completed.startedEventId))!)
  }
  const median = (list: number[]) => Math.round(list.sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0)
  return {
    scheduled: batches.size,
    perWorker: [...byWorker.values()].sort((a, b) => b - a),
    medianBatchMs: median(batchMs),
    medianQueueMs: median(queueMs),
  }
}
