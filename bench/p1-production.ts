import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { knex } from '@mikro-orm/knex'
import { startOwnPostgres, type OwnPostgres } from '../test/faults/own-postgres'
import { temporalServices, type TemporalService } from '../runtime/cluster'
import { analyseCpuProfiles, type ThreadProfile, type Window } from './cpu-profile'
import {
  baselineSend,
  childPids,
  cpuUs,
  heraldSend,
  importProfiles,
  readyDelivery,
  startBenchCluster,
  withAsyncCommit,
  type BenchCluster,
} from './production'

/**
 * P1 on the production path, as users run it: the API and a worker as processes of their own, Temporal's
 * services on PostgreSQL, the sink in its own process; against plain nodemailer (pool 5) in a process of
 * its own sending the same personalised messages. Then where the difference goes: CPU per process,
 * PostgreSQL's statements and WAL flushes per message, Temporal's requests per message, and a second
 * run with the worker under `--cpu-prof`.
 *
 * PostgreSQL is a server of the benchmark's own (initdb; fsync and synchronous commits on, as by
 * default), so that pg_stat_statements can be loaded and nothing else runs on it.
 */
export interface ProductionResult {
  messages: number
  poolSize: number
  heraldPerSecond: number
  baselinePerSecond: number
  ratio: number
  distinct: number
  duplicates: number
  /** µs of CPU per message, by process: what bounds throughput on a 2-core machine */
  cpuUsPerMessage: Record<string, number>
  baselineCpuUsPerMessage: number
  postgres: {
    /** per message, for Herald's database and Temporal's two */
    perMessage: Record<string, { statements: number; execUs: number; commits: number }>
    walFlushesPerMessage: number
    walSyncUsPerMessage: number
    topStatements: { database: string; perMessage: number; usPerMessage: number; query: string }[]
  }
  /** Temporal requests per message: the frontend's (Herald's round trips), history's to its database */
  temporal: Record<string, [string, number][]>
  /** Time between two messages of one SMTP connection: the pool size over the throughput */
  laneCycleMs: { herald: number; baseline: number }
  /**
   * Diagnostic, not how Herald may run: the same send with Herald's database committing without waiting
   * for the WAL flush (`synchronous_commit = off`), which shows what the commit on each message's path
   * costs. A crash of PostgreSQL could then lose claims already acted on, so Herald never runs this way.
   */
  asyncCommit: { perSecond: number; ratio: number; laneCycleMs: number }
  profiledPerSecond: number
  profiledBaselinePerSecond: number
  /** The profiled run, cut to the send: each thread of the worker, and the baseline's */
  workerProfile: ThreadProfile[]
  baselineProfile: ThreadProfile[]
  /** Each statement the worker ran during the profiled run, timed from its side (bench/pg-probe.ts) */
  workerQueries: Record<
    string,
    { calls: number; totalMs: number; p50Us: number; p90Us: number; p99Us: number }
  >
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n)

const statementsQuery = `
  select d.datname as database, s.calls, s.total_exec_time as ms, s.query
    from pg_stat_statements s join pg_database d on d.oid = s.dbid`

/** `keepProfilesIn`: a folder to keep the profiled run's .cpuprofile files in (Chrome DevTools opens them). */
export async function productionThroughput(
  messages: number,
  poolSize = 5,
  keepProfilesIn?: string,
): Promise<ProductionResult> {
  const pg = await startOwnPostgres({
    shared_preload_libraries: 'pg_stat_statements',
    track_wal_io_timing: 'on',
    max_connections: '300',
  })
  const admin = knex({ client: 'pg', connection: pg.adminUrl, pool: { min: 0, max: 1 } })
  let b: BenchCluster | null = null
  try {
    await admin.raw('create extension if not exists pg_stat_statements')
    b = await startBenchCluster({
      postgresUrl: pg.adminUrl,
      workers: 1,
      temporalMetrics: true,
      heraldEnv: { SMTP_POOL_SIZE: String(poolSize) },
    })
    const ids = await importProfiles(b.cluster, messages)
    const id = await readyDelivery(b, ids)
    const baseline = await baselineSend(b, id, poolSize)
    await b.cluster.sink.reset()

    const before = await snapshot(b, pg, admin)
    await admin.raw('select pg_stat_statements_reset()')
    const heraldMs = await heraldSend(b, id, messages)
    const after = await snapshot(b, pg, admin)
    const statements: Statement[] = (await admin.raw(statementsQuery)).rows
    const counts = await b.cluster.sink.counts()
    await b.cluster.sink.reset()

    const cluster = b
    const asyncMs = await withAsyncCommit(cluster, async () =>
      heraldSend(cluster, await readyDelivery(cluster, ids), messages),
    )

    // The same send again, both sides under the profiler (a run of its own: profiling costs time), the
    // worker's PostgreSQL queries timed from its side.
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-profile-'))
    const probeFile = path.join(profileDir, 'pg-probe.json')
    const cpuProf = (who: string) => ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, who)}`]
    await b.cluster.workers[0].stop()
    const profiled = await b.cluster.addWorker(
      [...cpuProf('worker'), '--require', 'tsx/cjs', '--require', require.resolve('./pg-probe')],
      {
        HERALD_PG_PROBE_FILE: probeFile,
      },
    )
    const again = await readyDelivery(b, ids)
    const baselineProfiled = await baselineSend(b, again, poolSize, cpuProf('baseline'))
    await b.cluster.sink.reset()
    const from = nowUs()
    await b.cluster.workers[0].stop()
    const profiledMs = await heraldSend(b, again, messages)
    const window: Window = [from, nowUs()]
    await profiled.stop()
    const workerProfile = analyseCpuProfiles(path.join(profileDir, 'worker'), messages, window)
    const baselineProfile = analyseCpuProfiles(
      path.join(profileDir, 'baseline'),
      messages,
      baselineProfiled.window,
    )
    const workerQueries = JSON.parse(fs.readFileSync(probeFile, 'utf8')) as ProductionResult['workerQueries']
    if (keepProfilesIn) fs.cpSync(profileDir, keepProfilesIn, { recursive: true })
    fs.rmSync(profileDir, { recursive: true, force: true })

    return {
      messages,
      poolSize,
      heraldPerSecond: Math.round((messages / heraldMs) * 1000),
      baselinePerSecond: Math.round((messages / baseline.ms) * 1000),
      ratio: Math.round((baseline.ms / heraldMs) * 100) / 100,
      distinct: counts.distinct,
      duplicates: counts.duplicates,
      cpuUsPerMessage: perMessage(before.cpu, after.cpu, messages),
      baselineCpuUsPerMessage: Math.round(baseline.cpuUs / messages),
      postgres: postgresFigures(b, before, after, statements, messages),
      temporal: temporalFigures(before.metrics, after.metrics, messages),
      laneCycleMs: {
        herald: round((poolSize / messages) * heraldMs),
        baseline: round((poolSize / messages) * baseline.ms),
      },
      asyncCommit: {
        perSecond: Math.round((messages / asyncMs) * 1000),
        ratio: Math.round((baseline.ms / asyncMs) * 100) / 100,
        laneCycleMs: round((poolSize / messages) * asyncMs),
      },
      profiledPerSecond: Math.round((messages / profiledMs) * 1000),
      profiledBaselinePerSecond: Math.round((messages / baselineProfiled.ms) * 1000),
      workerProfile,
      baselineProfile,
      workerQueries,
    }
  } finally {
    await b?.close()
    await admin.destroy()
    pg.stop()
  }
}

interface Statement {
  database: string
  calls: string
  ms: number
  query: string
}

interface Snapshot {
  cpu: Record<string, number>
  databases: Record<string, { commits: number }>
  wal: { syncs: number; syncMs: number }
  metrics: Record<TemporalService, Map<string, number>>
}

/** Counters before and after the measured send. */
async function snapshot(b: BenchCluster, pg: OwnPostgres, admin: ReturnType<typeof knex>): Promise<Snapshot> {
  const { cluster } = b
  const postgresCpu = childPids(pg.postmasterPid()).reduce((sum, pid) => sum + cpuUs(pid), 0)
  const cpu: Record<string, number> = {
    worker: cpuUs(cluster.workers[0].pid),
    api: cpuUs(cluster.apis[0].pid),
    sink: cpuUs(cluster.sink.pid),
    postgres: postgresCpu,
  }
  for (const service of temporalServices) cpu[`temporal ${service}`] = cpuUs(cluster.temporal[service].pid)
  const databases = Object.fromEntries(
    (await admin.raw('select datname, xact_commit from pg_stat_database where datname is not null')).rows.map(
      (r: { datname: string; xact_commit: string }) => [r.datname, { commits: Number(r.xact_commit) }],
    ),
  )
  const [wal] = (await admin.raw('select wal_sync, wal_sync_time from pg_stat_wal')).rows
  const metrics = {} as Snapshot['metrics']
  for (const service of temporalServices) metrics[service] = await scrape(cluster.ports.metrics![service])
  return { cpu, databases, wal: { syncs: Number(wal.wal_sync), syncMs: wal.wal_sync_time }, metrics }
}

function perMessage(before: Record<string, number>, after: Record<string, number>, messages: number) {
  return Object.fromEntries(
    Object.keys(after).map((name) => [name, Math.round((after[name] - before[name]) / messages)]),
  )
}

function postgresFigures(
  b: BenchCluster,
  before: Snapshot,
  after: Snapshot,
  statements: Statement[],
  messages: number,
) {
  const names = b.cluster.databases
  const label: Record<string, string> = {
    [names.herald]: 'herald',
    [names.temporal]: 'temporal',
    [names.visibility]: 'temporal_visibility',
  }
  const mine = statements.filter((s) => label[s.database])
  const figures: ProductionResult['postgres']['perMessage'] = {}
  for (const [database, name] of Object.entries(label)) {
    const rows = mine.filter((s) => s.database === database)
    figures[name] = {
      statements: round(rows.reduce((n, s) => n + Number(s.calls), 0) / messages),
      execUs: round((rows.reduce((n, s) => n + s.ms, 0) * 1000) / messages),
      commits: round((after.databases[database].commits - before.databases[database].commits) / messages),
    }
  }
  return {
    perMessage: figures,
    walFlushesPerMessage: round((after.wal.syncs - before.wal.syncs) / messages),
    walSyncUsPerMessage: round(((after.wal.syncMs - before.wal.syncMs) * 1000) / messages),
    topStatements: mine
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 10)
      .map((s) => ({
        database: label[s.database],
        perMessage: round(Number(s.calls) / messages),
        usPerMessage: round((s.ms * 1000) / messages),
        query: s.query.replace(/\s+/g, ' ').slice(0, 140),
      })),
  }
}

/** Requests per message by operation: the frontend's and matching's (RPCs), history's persistence calls. */
function temporalFigures(
  before: Snapshot['metrics'],
  after: Snapshot['metrics'],
  messages: number,
): Record<string, [string, number][]> {
  const wanted: [TemporalService, string][] = [
    ['frontend', 'service_requests'],
    ['history', 'persistence_requests'],
    ['matching', 'persistence_requests'],
  ]
  return Object.fromEntries(
    wanted.map(([service, metric]) => {
      const deltas = [...after[service]]
        .filter(([key]) => key.startsWith(`${metric} `))
        .map(
          ([key, value]) =>
            [key.slice(metric.length + 1), round((value - (before[service].get(key) ?? 0)) / messages)] as [
              string,
              number,
            ],
        )
        .filter(([, n]) => n >= 0.005)
        .sort((a, b) => b[1] - a[1])
      return [`${service} ${metric}`, deltas]
    }),
  )
}

/** A Prometheus endpoint's counters, summed by metric and `operation`. */
async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const sums = new Map<string, number>()
  for (const line of text.split('\n')) {
    const match = /^(\w+)\{([^}]*)\} ([\d.e+-]+)$/.exec(line)
    if (!match) continue
    const operation = /operation="([^"]*)"/.exec(match[2])?.[1]
    if (!operation) continue
    const key = `${match[1]} ${operation}`
    sums.set(key, (sums.get(key) ?? 0) + Number(match[3]))
  }
  return sums
}

const round = (n: number) => Math.round(n * 100) / 100
