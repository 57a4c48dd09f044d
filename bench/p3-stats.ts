import { performance } from 'node:perf_hooks'
import { openDatabase, type Database } from '../persistence/database'
import { computeDeliveryStats, refreshDeliveryStats } from '../persistence/stats'
import { createPostgresDatabase } from '../test/support/postgres'

export interface StatsResult {
  sendingLogs: number
  trackingRows: number
  computeMedianMs: number
  computeMaxMs: number
  refreshMedianMs: number
  refreshMaxMs: number
  newRowsPerRefresh: number
  /** EXPLAIN ANALYZE of each read Compute stats makes: the indexes they use */
  plans: string[]
}

/**
 * P3: Compute stats and the hourly refresh on PostgreSQL over one large delivery, its rows generated
 * set-based (the PostgreSQL server is $HERALD_TEST_POSTGRES_URL or 127.0.0.1:5432). Also
 * `npx tsx bench/p3-stats.ts [sendingLogs] [trackingRows] [newRowsPerRefresh]` on its own.
 */
export async function statsTiming(
  logs = 1_000_000,
  tracking = 300_000,
  fresh = 10_000,
): Promise<StatsResult> {
  const database = await createPostgresDatabase()
  const db = await openDatabase(database.url)
  try {
    const deliveryId = await generate(db, logs, tracking)
    const compute = await timed(5, () => computeDeliveryStats(db, deliveryId, new Date()))
    const plans = await explainReads(db, () => computeDeliveryStats(db, deliveryId, new Date()))
    // Each refresh finds an hour's worth of new (settled) opens and clicks.
    const refresh = await timed(
      5,
      () => refreshDeliveryStats(db, deliveryId, new Date()),
      () => addTracking(db, deliveryId, logs, fresh, `now() - interval '1 minute'`),
    )
    return {
      sendingLogs: logs,
      trackingRows: tracking,
      computeMedianMs: compute.median,
      computeMaxMs: compute.max,
      refreshMedianMs: refresh.median,
      refreshMaxMs: refresh.max,
      newRowsPerRefresh: fresh,
      plans,
    }
  } finally {
    await db.close()
    await database.drop()
  }
}

/** The plans of the SELECTs `run` makes, as PostgreSQL executes them. */
async function explainReads(db: Database, run: () => Promise<unknown>): Promise<string[]> {
  const reads: { sql: string; bindings: unknown[] }[] = []
  const listener = (q: { sql: string; bindings?: unknown[] }) => {
    if (/^\s*select/i.test(q.sql)) reads.push({ sql: q.sql, bindings: q.bindings ?? [] })
  }
  db.knex.on('query', listener)
  try {
    await run()
  } finally {
    db.knex.off('query', listener)
  }
  const plans: string[] = []
  for (const read of reads) {
    const result = await db.knex.raw(
      `explain (analyze, costs off, timing off, summary off) ${read.sql.replace(/\$\d+/g, '?')}`,
      read.bindings as never,
    )
    plans.push(
      `${read.sql}\n${(result.rows as { 'QUERY PLAN': string }[]).map((r) => '  ' + r['QUERY PLAN']).join('\n')}`,
    )
  }
  return plans
}

async function generate(db: Database, logs: number, tracking: number): Promise<number> {
  const k = db.knex
  await k.raw(
    `insert into profile (email, email_norm, email_valid, first_name, attributes, subscribed, created_at, updated_at)
     select 'p' || g || '@example.com', 'p' || g || '@example.com', true, 'P' || g, '{}', true, now(), now()
     from generate_series(1, ?) g`,
    [logs],
  )
  const [{ id }] = await k('delivery')
    .insert({
      label: 'Bench',
      subject: 'S',
      html: '<a href="https://example.com/">x</a>',
      audience: JSON.stringify({ all: true }),
      tracking: true,
      status: 'finished',
      messages_to_deliver: logs,
      created_by: 'bench',
      created_at: new Date(),
      updated_at: new Date(),
    })
    .returning('id')
  await k('tracked_url').insert({ delivery_id: id, link_no: 1, url: 'https://example.com/' })
  // 2 % hard bounces, the rest sent.
  await k.raw(
    `insert into sending_log (delivery_id, profile_id, email, batch_no, status, failure_type, attempts, in_doubt, sent_at)
     select ?, p.id, p.email, (p.id - 1) / 500, case when p.id % 50 = 0 then 'failed' else 'sent' end,
            case when p.id % 50 = 0 then 'hard' end, 1, false, now()
     from profile p`,
    [id],
  )
  await addTracking(db, id, logs, tracking, `now() - interval '1 hour'`)
  await k.raw('vacuum analyze profile, sending_log, tracking_log')
  return Number(id)
}

/** Opens and clicks spread over the profiles, some profiles several times. */
async function addTracking(db: Database, deliveryId: number, profiles: number, rows: number, at: string) {
  await db.knex.raw(
    `insert into tracking_log (delivery_id, profile_id, type, link_no, user_agent, created_at)
     select ?, 1 + (g::bigint * 7919 + floor(random() * 1000)::bigint) % ?, case when g % 3 = 0 then 'click' else 'open' end,
            case when g % 3 = 0 then 1 end, 'bench', ${at}
     from generate_series(1, ?) g`,
    [deliveryId, profiles, rows],
  )
}

async function timed(
  runs: number,
  fn: () => Promise<unknown>,
  before: () => Promise<unknown> = async () => undefined,
): Promise<{ median: number; max: number }> {
  await before()
  await fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    await before()
    const start = performance.now()
    await fn()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  const round = (ms: number) => Math.round(ms * 10) / 10
  return { median: round(times[Math.floor(runs / 2)]), max: round(times[runs - 1]) }
}

if (require.main === module) {
  const [logs, tracking, fresh] = [100_000, 30_000, 1_000].map((fallback, i) =>
    Number(process.argv[2 + i] ?? fallback),
  )
  statsTiming(logs, tracking, fresh)
    .then((r) => {
      console.log(`PostgreSQL, one delivery: ${r.sendingLogs} sending logs, ${r.trackingRows} tracking rows`)
      console.log(`Compute stats      median ${r.computeMedianMs} ms, max ${r.computeMaxMs} ms (5 runs)`)
      console.log(
        `Hourly refresh     median ${r.refreshMedianMs} ms, max ${r.refreshMaxMs} ms (+${r.newRowsPerRefresh} new rows each)`,
      )
      for (const plan of r.plans) console.log(plan)
    })
    .catch((err) => {
      console.error(err)
      process.exit(1)
    })
}
