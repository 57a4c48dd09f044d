import nodemailer, { type Transporter } from 'nodemailer'
import type SMTPPool from 'nodemailer/lib/smtp-pool'
import { DeliveryGate } from './gated-stream'

/**
 * The worker's one SMTP pool, and the permits that keep the messages in flight — claimed in the
 * sending log but not yet recorded — at most the pool size, whatever the number of activities.
 */
export interface Mailer {
  readonly transporter: Transporter<SMTPPool.SentMessageInfo>
  readonly poolSize: number
  /** Runs `fn` holding one of the pool's permits. */
  withPermit<T>(fn: () => Promise<T>): Promise<T>
  close(): void
}

export function createMailer(smtpUrl: string, poolSize: number): Mailer {
  const url = new URL(smtpUrl)
  const transporter = nodemailer.createTransport({
    pool: true,
    maxConnections: poolSize,
    maxMessages: Infinity,
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 25)),
    secure: url.protocol === 'smtps:',
    auth: url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined,
    // smtp://host?tls_verify=false accepts a relay's self-signed certificate.
    tls: { rejectUnauthorized: url.searchParams.get('tls_verify') !== 'false' },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
  } as SMTPPool.Options)
  // A message given a `deliveryGate` (see DeliveryGate) is committed to the server only once it opens.
  transporter.use('stream', (mail, done) => {
    const gate = (mail.data as { deliveryGate?: Promise<boolean> }).deliveryGate
    if (gate) mail.message.transform(() => new DeliveryGate(gate))
    done()
  })
  return { transporter, poolSize, withPermit: semaphore(poolSize), close: () => transporter.close() }
}

function semaphore(size: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let free = size
  const waiting: (() => void)[] = []
  return async (fn) => {
    if (free > 0) free--
    else await new Promise<void>((resolve) => waiting.push(resolve))
    try {
      return await fn()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else free++
    }
  }
}
