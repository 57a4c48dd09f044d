import nodemailer from 'nodemailer'
import { knex } from '@mikro-orm/knex'
import { composeMessage, type MessageRecipient } from '../mail/compose'
import { TrackingUrls } from '../mail/tracking-urls'

/**
 * The raw baseline of the production-path figures (P1 production, P7), in a process of its own like a
 * worker: plain nodemailer with a pool, sending a delivery's messages — the same content, personalisation,
 * headers and Message-IDs as Herald's, composed by the same function — to the same sink. Reads its
 * recipients before the clock starts; answers over IPC with the time and CPU the send took.
 */
export interface BaselineJob {
  databaseUrl: string
  deliveryId: number
  content: { subject: string; text: string; html: string }
  smtpUrl: string
  poolSize: number
  from: string
  messageIdDomain: string
  trackingSecret: string
  publicUrl: string
}

export interface BaselineResult {
  sent: number
  ms: number
  cpuUs: number
  /** The send's start and end on the monotonic clock, in µs (to cut a CPU profile to it). */
  window: [number, number]
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n)

async function recipients(job: BaselineJob): Promise<MessageRecipient[]> {
  const db = knex({ client: 'pg', connection: job.databaseUrl, pool: { min: 0, max: 1 } })
  try {
    const rows: { id: number; email: string; first_name: string; last_name: string; attributes: unknown }[] =
      await db('sending_log as s')
        .join('profile as p', 'p.id', 's.profile_id')
        .where('s.delivery_id', job.deliveryId)
        .select('p.id', 'p.email', 'p.first_name', 'p.last_name', 'p.attributes')
        .orderBy('p.id')
    return rows.map((r) => ({
      profileId: r.id,
      email: r.email,
      firstName: r.first_name,
      lastName: r.last_name,
      timeZone: null,
      attributes:
        typeof r.attributes === 'string'
          ? JSON.parse(r.attributes)
          : (r.attributes as Record<string, unknown>),
    }))
  } finally {
    await db.destroy()
  }
}

async function send(job: BaselineJob): Promise<BaselineResult> {
  const to = await recipients(job)
  const urls = new TrackingUrls(job.trackingSecret, job.publicUrl, job.deliveryId)
  const content = {
    deliveryId: job.deliveryId,
    from: job.from,
    ...job.content,
    tracking: { urls, trackedHtml: null },
  }
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: job.poolSize,
    maxMessages: Infinity,
    url: job.smtpUrl,
  } as never)
  const cpu = process.cpuUsage()
  const from = nowUs()
  const started = performance.now()
  await Promise.all(to.map((r) => transport.sendMail(composeMessage(content, r, job.messageIdDomain))))
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu)
  const window: [number, number] = [from, nowUs()]
  transport.close()
  return { sent: to.length, ms, cpuUs: used.user + used.system, window }
}

process.once('message', (job: BaselineJob) => {
  send(job).then(
    (result) => process.send!(result, () => process.exit(0)),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
})
