import fs from 'node:fs'
import path from 'node:path'
import { machine, startBenchEnv } from './lib'
import { sendThroughput } from './p1-throughput'
import { trackingThroughput } from './p2-tracking'

/**
 * `npm run bench [-- --only P1] [-- --messages 20000]`: Herald beside its raw baselines, measured in one
 * run on this machine; prints each figure with its goal and writes bench/results.json.
 */
function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

async function run() {
  const only = option('only')?.split(',')
  const messages = Number(option('messages') ?? 20000)
  const databases = (option('databases') ?? 'sqlite,postgres').split(',') as ('sqlite' | 'postgres')[]
  const env = await startBenchEnv()
  const results: Record<string, unknown> = { machine: machine(), startedAt: new Date().toISOString() }
  try {
    if (!only || only.includes('P1')) {
      const rows = []
      for (const database of databases) {
        const r = await sendThroughput(messages, database, 5, process.argv.includes('--herald-only'))
        rows.push(r)
        console.log(
          `P1 send throughput (${database}, ${r.messages} messages, pool ${r.poolSize}): Herald ${r.heraldPerSecond}/s ` +
            `vs nodemailer ${r.baselinePerSecond}/s → ratio ${r.ratio} (goal ≥ 0.85); ` +
            `distinct ${r.distinct}, duplicates ${r.duplicates}, logs final ${r.logsFinal}; ` +
            `CPU µs/message Herald ${r.heraldCpuUsPerMessage} vs ${r.baselineCpuUsPerMessage}`,
        )
      }
      results.P1 = rows
    }
    if (!only || only.includes('P2')) {
      const rows = []
      for (const database of databases) {
        const r = await trackingThroughput(database, 10, Number(option('connections') ?? 50))
        rows.push(r)
        console.log(
          `P2 open-pixel hits (${database}, ${r.connections} connections, ${r.durationS} s): Herald ${r.heraldPerSecond}/s ` +
            `vs bare Hono ${r.baselinePerSecond}/s → ratio ${r.ratio} (goal ≥ 0.5); 200 responses ${r.heraldOk}, ` +
            `rows stored ${r.rowsStored} (${r.rowsMatch ? 'equal' : 'NOT equal'}), errors ${r.heraldErrors}`,
        )
      }
      results.P2 = rows
    }
  } finally {
    await env.close()
  }
  const out = path.resolve(__dirname, 'results.json')
  fs.writeFileSync(out, JSON.stringify(results, null, 2))
  console.log(`results written to ${out}`)
}

run().catch((err) => {
  console.error(err)
  process.exit(1)
})
