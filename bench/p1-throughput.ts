import nodemailer from 'nodemailer'
import { composeMessage } from '../mail/compose'
import { TrackingUrls } from '../mail/tracking-urls'
import { importProfiles, readyDelivery, startHarness } from '../test/support/harness'
import { SinkProcess } from './lib'

export interface ThroughputResult {
  messages: number
  poolSize: number
  database: string
  baselineMs: number
  heraldMs: number
  baselinePerSecond: number
  heraldPerSecond: number
  ratio: number
  /** CPU of this process (worker + API + baseline client) per message, in µs: what limits a 2-core box */
  baselineCpuUsPerMessage: number
  heraldCpuUsPerMessage: number
  distinct: number
  duplicates: number
  logsFinal: boolean
}

const content = {
  subject: 'Hello {{firstName}}',
  text: 'Hi {{firstName}} {{lastName}}, your plan is {{attributes.plan}}.',
  html: '<p>Hi <b>{{firstName}} {{lastName}}</b>, your plan is {{attributes.plan}}.</p>',
}

/**
 * P1: Herald from confirm until every sending log is final, against plain nodemailer with the same pool
 * sending the same messages to the same sink (a separate process).
 */
export async function sendThroughput(
  messages: number,
  database: 'sqlite' | 'postgres',
  poolSize = 5,
  skipBaseline = false,
): Promise<ThroughputResult> {
  process.env.HERALD_TEST_DB = database
  const sink = await SinkProcess.start()
  const h = await startHarness({
    env: {
      SMTP_URL: sink.url,
      SMTP_POOL_SIZE: String(poolSize),
      HERALD_BATCH_SIZE: '500',
      HERALD_VALIDITY: '1h',
    },
    settings: { batchesPerRun: 500 },
  })
  try {
    const ids: number[] = []
    for (let i = 0; i < messages; i += 5000) {
      ids.push(
        ...(await importProfiles(h, Math.min(5000, messages - i), (n) => ({
          attributes: { plan: n % 2 ? 'pro' : 'free' },
        }))),
      )
    }
    const id = await readyDelivery(h, ids, content)
    // Baseline: the same messages — same content, headers (List-Unsubscribe's signed URL included) and
    // Message-IDs — composed the same way, through a plain nodemailer pool.
    const urls = new TrackingUrls(h.config.trackingSecret!, h.config.api.publicUrl, id)
    const rows: { id: number; email: string; first_name: string; last_name: string; attributes: unknown }[] =
      await h.db.knex('profile').select('id', 'email', 'first_name', 'last_name', 'attributes').orderBy('id')
    const wanted = new Set(ids)
    const recipients = rows.filter((r) => wanted.has(r.id)).slice(0, skipBaseline ? 0 : undefined)
    const transport = nodemailer.createTransport({
      pool: true,
      maxConnections: poolSize,
      maxMessages: Infinity,
      url: sink.url,
    } as never)
    const baselineCpu = process.cpuUsage()
    const baselineStart = performance.now()
    await Promise.all(
      recipients.map((r) =>
        transport.sendMail(
          composeMessage(
            { deliveryId: id, from: h.config.smtp.from, ...content, tracking: { urls, trackedHtml: null } },
            {
              profileId: r.id,
              email: r.email,
              firstName: r.first_name,
              lastName: r.last_name,
              timeZone: null,
              attributes:
                typeof r.attributes === 'string'
                  ? JSON.parse(r.attributes)
                  : (r.attributes as Record<string, unknown>),
            },
            h.config.smtp.messageIdDomain,
          ),
        ),
      ),
    )
    const baselineMs = performance.now() - baselineStart
    const baselineCpuUs = cpuSince(baselineCpu)
    transport.close()
    if (!skipBaseline) await sink.waitForTotal(messages)
    await sink.reset()

    const heraldCpu = process.cpuUsage()
    const heraldStart = performance.now()
    await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: messages },
    })
    // Watched from outside, cheaply: the sink's count, then the sending logs still open (an index count).
    // Polling the API meanwhile would cost this process CPU the send is measured on.
    await sink.waitForTotal(messages, 1_800_000)
    for (;;) {
      const [{ n }] = await h.db
        .knex('sending_log')
        .where('delivery_id', id)
        .whereIn('status', ['pending', 'sending'])
        .count('* as n')
      if (Number(n) === 0) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const heraldMs = performance.now() - heraldStart
    const finished = await h.waitForStatus(id, 'finished', 60_000)
    const heraldCpuUs = cpuSince(heraldCpu)
    const counts = await sink.counts()
    return {
      messages,
      poolSize,
      database,
      baselineMs: Math.round(baselineMs),
      heraldMs: Math.round(heraldMs),
      baselinePerSecond: Math.round((messages / baselineMs) * 1000),
      heraldPerSecond: Math.round((messages / heraldMs) * 1000),
      ratio: Math.round((baselineMs / heraldMs) * 100) / 100,
      baselineCpuUsPerMessage: Math.round(baselineCpuUs / messages),
      heraldCpuUsPerMessage: Math.round(heraldCpuUs / messages),
      distinct: counts.distinct,
      duplicates: counts.duplicates,
      logsFinal: finished.progress.processed === messages && finished.progress.delivered === messages,
    }
  } finally {
    await h.close()
    sink.stop()
  }
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return used.user + used.system
}
