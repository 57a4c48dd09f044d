import { startOwnPostgres } from '../test/faults/own-postgres'
import {
  baselineSend,
  batchFigures,
  childPids,
  cpuUs,
  heraldSend,
  importProfiles,
  readyDelivery,
  startBenchCluster,
  withAsyncCommit,
  type BatchFigures,
  type BenchCluster,
} from './production'

/**
 * P7: scale-out against a relay that answers each message after 20 ms (the sink's reply delay): 1, 2 and
 * 3 workers (pool 5 each) on `npm run cluster`'s topology, each beside plain nodemailer with as many
 * connections (5, 10, 15) sending the same messages from a process of its own.
 */
export interface ScaleOutRow {
  workers: number
  connections: number
  heraldPerSecond: number
  baselinePerSecond: number
  ratio: number
  distinct: number
  duplicates: number
  batches: BatchFigures
  /** Herald's database commits per message (one settle groups the lanes of a worker ready in one turn) */
  commitsPerMessage: number
  /** CPU per message: the workers together, and PostgreSQL */
  workersCpuUs: number
  postgresCpuUs: number
  baselineCpuUs: number
  /** Diagnostic, one worker only: the same send with commits not waiting for the WAL flush (withAsyncCommit) */
  asyncCommit?: { heraldPerSecond: number; ratio: number }
}

export interface ScaleOutResult {
  messages: number
  replyDelayMs: number
  rows: ScaleOutRow[]
  /** 3 workers' throughput over 1 worker's */
  scaling: number
}

export async function scaleOut(messages: number, replyDelayMs = 20, poolSize = 5): Promise<ScaleOutResult> {
  const pg = await startOwnPostgres({ max_connections: '300' })
  let b: BenchCluster | null = null
  try {
    // The default batch window (8) lets every worker have a batch; each takes one at a time.
    b = await startBenchCluster({
      postgresUrl: pg.adminUrl,
      workers: 1,
      heraldEnv: { SMTP_POOL_SIZE: String(poolSize) },
    })
    await b.cluster.sink.setReplyDelay(replyDelayMs)
    const ids = await importProfiles(b.cluster, messages)
    const rows: ScaleOutRow[] = []
    for (const workers of [1, 2, 3]) {
      while (b.cluster.workers.length < workers) await b.cluster.addWorker()
      const id = await readyDelivery(b, ids)
      const connections = poolSize * workers
      const baseline = await baselineSend(b, id, connections)
      await b.cluster.sink.reset()
      const before = await usage(b, pg.postmasterPid())
      const heraldMs = await heraldSend(b, id, messages)
      const after = await usage(b, pg.postmasterPid())
      const counts = await b.cluster.sink.counts()
      await b.cluster.sink.reset()
      rows.push({
        workers,
        connections,
        heraldPerSecond: Math.round((messages / heraldMs) * 1000),
        baselinePerSecond: Math.round((messages / baseline.ms) * 1000),
        ratio: Math.round((baseline.ms / heraldMs) * 100) / 100,
        distinct: counts.distinct,
        duplicates: counts.duplicates,
        batches: await batchFigures(b.cluster, id),
        commitsPerMessage: Math.round(((after.commits - before.commits) / messages) * 100) / 100,
        workersCpuUs: Math.round((after.workers - before.workers) / messages),
        postgresCpuUs: Math.round((after.postgres - before.postgres) / messages),
        baselineCpuUs: Math.round(baseline.cpuUs / messages),
      })
      if (workers === 1) {
        const cluster = b
        const asyncMs = await withAsyncCommit(cluster, async () =>
          heraldSend(cluster, await readyDelivery(cluster, ids), messages),
        )
        rows[0].asyncCommit = {
          heraldPerSecond: Math.round((messages / asyncMs) * 1000),
          ratio: Math.round((baseline.ms / asyncMs) * 100) / 100,
        }
      }
      console.error(`[P7] ${JSON.stringify(rows[rows.length - 1])}`)
    }
    return {
      messages,
      replyDelayMs,
      rows,
      scaling: Math.round((rows[2].heraldPerSecond / rows[0].heraldPerSecond) * 100) / 100,
    }
  } finally {
    await b?.close()
    pg.stop()
  }
}

/** Commits in Herald's database, and the CPU the workers and PostgreSQL have used so far (µs). */
async function usage(b: BenchCluster, postmaster: number) {
  const [row] = await b.db
    .select('xact_commit')
    .from('pg_stat_database')
    .where('datname', b.cluster.databases.herald)
  return {
    commits: Number(row.xact_commit),
    workers: b.cluster.workers.reduce((sum, w) => sum + cpuUs(w.pid), 0),
    postgres: childPids(postmaster).reduce((sum, pid) => sum + cpuUs(pid), 0),
  }
}
