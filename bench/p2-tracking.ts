import path from 'node:path'
import { fork, type ChildProcess } from 'node:child_process'
import autocannon from 'autocannon'
import { freePort } from '../runtime/dev-server'
import { importProfiles, readyDelivery, startHarness } from '../test/support/harness'

export interface TrackingResult {
  database: string
  durationS: number
  connections: number
  baselinePerSecond: number
  heraldPerSecond: number
  ratio: number
  heraldOk: number
  rowsStored: number
  rowsMatch: boolean
  heraldErrors: number
}

const root = path.resolve(__dirname, '..')

function startServer(entry: string, env: Record<string, string>): Promise<ChildProcess> {
  const profile = process.env.HERALD_BENCH_CPU_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HERALD_BENCH_CPU_PROFILE}`]
    : []
  const child = fork(path.join(root, entry), [], {
    execArgv: ['--import', 'tsx', ...profile],
    env: { ...process.env, ...env },
    stdio: 'inherit',
  })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}`)))
    if (entry.includes('bare')) child.once('message', () => resolve(child))
    else {
      const port = env.HERALD_PORT
      const poll = async () => {
        for (;;) {
          if (
            await fetch(`http://127.0.0.1:${port}/health`).then(
              (r) => r.ok,
              () => false,
            )
          )
            return resolve(child)
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      void poll()
    }
  })
}

/**
 * About `durationS` of load, as a fixed number of requests (a 2 s probe sets it): autocannon then waits
 * for every answer, so the 200s it counts are all the requests the server finished.
 */
async function load(urls: string[], durationS: number, connections: number, rows = async () => 0) {
  const target = {
    url: new URL(urls[0]).origin,
    connections,
    requests: urls.map((u) => ({ method: 'GET' as const, path: new URL(u).pathname })),
  }
  const probe = await autocannon({ ...target, duration: 2 })
  const amount = Math.max(1000, Math.round((probe.requests.total / 2) * durationS))
  await new Promise((resolve) => setTimeout(resolve, 1000)) // the probe's last requests finish
  const rowsBefore = await rows()
  const started = performance.now()
  const result = await autocannon({ ...target, amount })
  return { ...result, seconds: (performance.now() - started) / 1000, rowsBefore }
}

/**
 * P2: open-pixel requests per second with every hit stored, against a bare Hono route on the same
 * server setup; both servers run in a process of their own, autocannon in this one.
 */
export async function trackingThroughput(
  database: 'sqlite' | 'postgres',
  durationS = 10,
  connections = 50,
): Promise<TrackingResult> {
  process.env.HERALD_TEST_DB = database
  const h = await startHarness({ env: { HERALD_PUBLIC_URL: 'http://127.0.0.1:1' } })
  const children: ChildProcess[] = []
  try {
    const ids = await importProfiles(h, 100)
    const id = await readyDelivery(h, ids, { html: '<p>Hi {{firstName}}</p>', tracking: true })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 100 } })
    await h.waitForStatus(id, 'finished')
    const pixels: string[] = []
    for (const message of h.sink.messages) {
      const html = String((await h.sink.parsed(message.seq)).html)
      pixels.push(new URL(/<img src="([^"]+\/t\/o\/[^"]+)"/.exec(html)![1]).pathname)
    }
    await h.stopWorker()

    const barePort = await freePort()
    children.push(await startServer('bench/bare-server.ts', { HERALD_PORT: String(barePort) }))
    const baseline = await load(
      pixels.map((p) => `http://127.0.0.1:${barePort}${p}`),
      durationS,
      connections,
    )

    const port = await freePort()
    children.push(
      await startServer('server/main.ts', {
        HERALD_PORT: String(port),
        DATABASE_URL: h.databaseUrl,
        TEMPORAL_ADDRESS: h.config.temporal.address,
        HERALD_TRACKING_SECRET: h.config.trackingSecret ?? '',
        HERALD_LOG_LEVEL: 'ERROR',
      }),
    )
    const herald = await load(
      pixels.map((p) => `http://127.0.0.1:${port}${p}`),
      durationS,
      connections,
      async () => Number((await h.db.knex('tracking_log').count('* as n'))[0].n),
    )
    const rowsStored = Number((await h.db.knex('tracking_log').count('* as n'))[0].n) - herald.rowsBefore
    const answered = herald['2xx']
    const heraldPerSecond = Math.round(herald['2xx'] / herald.seconds)
    const baselinePerSecond = Math.round(baseline['2xx'] / baseline.seconds)
    return {
      database,
      durationS,
      connections,
      baselinePerSecond,
      heraldPerSecond,
      ratio: Math.round((heraldPerSecond / baselinePerSecond) * 100) / 100,
      heraldOk: answered,
      rowsStored,
      rowsMatch: rowsStored === answered,
      heraldErrors: herald.non2xx + herald.errors + herald.timeouts,
    }
  } finally {
    // Each server drains and exits on its own (writing its CPU profile when one was asked for).
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null) return resolve(null)
            const force = setTimeout(() => child.kill('SIGKILL'), 15_000)
            child.once('exit', () => resolve(clearTimeout(force)))
            child.kill('SIGTERM')
          }),
      ),
    )
    await h.close()
  }
}
