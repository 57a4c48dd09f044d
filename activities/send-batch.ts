import { Context, CancelledFailure } from '@temporalio/activity'
import { ApplicationFailure } from '@temporalio/common'
import type { Database } from '../persistence/database'
import { loadBatch, SendingLogWriter, type Recipient, type SendResult } from '../persistence/sending-logs'
import { classifySmtpError, type DeliveryGuarantee, type SmtpErrorLike } from '../domain/sending'
import { composeMessage, type MessageContent } from '../mail/compose'
import type { Mailer } from '../mail/transport'
import type { SendRateLimiter } from '../mail/rate-limiter'
import { setSendError } from '../persistence/deliveries'
import { applyAddressEvents, clearErroneous } from '../persistence/address-status'
import type { QuarantineRules } from '../domain/quarantine'
import { compileTrackedHtml } from '../domain/tracked-links'
import { TrackingUrls } from '../mail/tracking-urls'

export interface SendBatchInput {
  deliveryId: number
  batchNo: number
  /** epoch ms: a soft failure due after this fails for good */
  validUntil: number
  retryIntervalMs: number
}

export interface BatchResult {
  batchNo: number
  sent: number
  hardFailed: number
  softFailed: number
  retrying: number
  /** in-doubt messages resent (at-least-once) or left unsent (at-most-once) */
  inDoubt: number
}

export interface SendDeps {
  db: Database
  mailer: Mailer
  rateLimiter: SendRateLimiter
  messageIdDomain: string
  defaultFrom: string
  clock: () => Date
  tracking: { secret: string; publicUrl: string }
  quarantine: QuarantineRules
  /** Called when a batch had failures (the bounce-ratio alert). */
  onFailures?: (deliveryId: number) => Promise<void>
}

interface BatchContent extends MessageContent {
  guarantee: DeliveryGuarantee
}

async function loadContent(deps: SendDeps, deliveryId: number): Promise<BatchContent> {
  const row = await deps.db
    .knex('delivery')
    .select('subject', 'html', 'text', 'from_name', 'from_email', 'guarantee', 'tracking')
    .where('id', deliveryId)
    .first()
  if (!row)
    throw ApplicationFailure.nonRetryable(`delivery ${deliveryId} no longer exists`, 'DeliveryNotFound')
  const from = row.from_email
    ? row.from_name
      ? { name: row.from_name, address: row.from_email }
      : row.from_email
    : deps.defaultFrom
  return {
    deliveryId,
    subject: row.subject,
    html: row.html,
    text: row.text,
    from: typeof from === 'string' ? from : `"${from.name.replace(/["\r\n]/g, '')}" <${from.address}>`,
    guarantee: row.guarantee,
    tracking: {
      urls: new TrackingUrls(deps.tracking.secret, deps.tracking.publicUrl, deliveryId),
      // Links are taken out of the template once per batch, never per message.
      trackedHtml: row.tracking ? compileTrackedHtml(row.html ?? '') : null,
    },
  }
}

/**
 * Sends one batch of a delivery. Up to the SMTP pool size of messages are in flight at once per worker;
 * each is claimed in its sending log before it leaves and recorded once the server answered, so a retry
 * of this batch skips every final row, sends every pending one, and treats rows still claimed by a
 * dead attempt as in doubt. A pause or stop (cancellation) lets the messages in flight finish.
 */
export async function sendBatch(deps: SendDeps, input: SendBatchInput): Promise<BatchResult> {
  const ctx = Context.current()
  const { workflowExecution, activityId, attempt } = ctx.info
  const claimToken = `${workflowExecution?.workflowId}/${workflowExecution?.runId}/${activityId}#${attempt}`
  const content = await loadContent(deps, input.deliveryId)
  const recipients = await loadBatch(deps.db, input.deliveryId, input.batchNo, deps.clock())
  const writer = new SendingLogWriter(deps.db, claimToken, deps.clock)
  const result: BatchResult = {
    batchNo: input.batchNo,
    sent: 0,
    hardFailed: 0,
    softFailed: 0,
    retrying: 0,
    inDoubt: 0,
  }

  let cancelled = false
  ctx.cancelled.catch(() => (cancelled = true))
  let transportError: Error | null = null
  const queue = [...recipients]
  const delivered: string[] = []
  const progress = () => ({ ...result, total: recipients.length, remaining: queue.length })
  const heartbeat = setInterval(() => ctx.heartbeat(progress()), 500)

  const sendOne = async (recipient: Recipient): Promise<void> => {
    const inDoubt = recipient.status === 'sending'
    if (!(await writer.claim(recipient.id, inDoubt))) return
    if (inDoubt) result.inDoubt++
    if (inDoubt && content.guarantee === 'at_most_once') {
      return writer.record(recipient.id, {
        kind: 'in_doubt',
        reason: 'in flight when a worker or the database was lost; not resent (at-most-once)',
      })
    }
    let outcome
    try {
      const info = await deps.mailer.transporter.sendMail(
        composeMessage(content, recipient, deps.messageIdDomain),
      )
      outcome = { kind: 'accepted' as const, response: String(info.response ?? '') }
    } catch (err) {
      outcome = classifySmtpError(err as SmtpErrorLike)
    }
    const now = deps.clock()
    const record = resultOf(outcome, input, now)
    if (!record) {
      // In doubt: the row stays claimed, and the batch's next attempt decides.
      transportError = new Error(
        `SMTP connection lost while sending: ${outcome.kind === 'unknown' ? outcome.reason : ''}`,
      )
      return
    }
    if (record.kind === 'released')
      transportError = new Error(`SMTP server unreachable: ${'reason' in outcome ? outcome.reason : ''}`)
    else tally(result, record)
    await writer.record(recipient.id, record)
    if (outcome.kind === 'hard' || outcome.kind === 'soft') {
      const bounce = { kind: outcome.kind, reason: outcome.reason, at: now.getTime() }
      await applyAddressEvents(deps.db, [{ email: recipient.email, event: bounce }], deps.quarantine)
    } else if (record.kind === 'sent') delivered.push(recipient.email)
  }

  const lane = async (): Promise<void> => {
    while (!cancelled && !transportError && queue.length) {
      const recipient = queue.shift()!
      await deps.mailer.withPermit(async () => {
        await deps.rateLimiter.take()
        if (cancelled || transportError) return queue.unshift(recipient)
        await sendOne(recipient)
      })
    }
  }

  try {
    const lanes = await Promise.allSettled(Array.from({ length: deps.mailer.poolSize }, lane))
    const broken = lanes.find((lane): lane is PromiseRejectedResult => lane.status === 'rejected')
    if (broken) throw broken.reason
  } finally {
    clearInterval(heartbeat)
  }
  await clearErroneous(deps.db, delivered, deps.quarantine, deps.clock())
  if (result.hardFailed + result.softFailed + result.retrying > 0) await deps.onFailures?.(input.deliveryId)
  if (transportError) {
    await setSendError(deps.db, input.deliveryId, (transportError as Error).message)
    throw transportError
  }
  if (attempt > 1) await setSendError(deps.db, input.deliveryId, null)
  if (cancelled && queue.length) throw new CancelledFailure('batch cancelled by a pause or stop')
  return result
}

function resultOf(
  outcome: ReturnType<typeof classifySmtpError> | { kind: 'accepted'; response: string },
  input: SendBatchInput,
  now: Date,
): SendResult | null {
  switch (outcome.kind) {
    case 'accepted':
      return { kind: 'sent', smtpCode: 250 }
    case 'hard':
      return { kind: 'failed', failureType: 'hard', reason: outcome.reason, smtpCode: outcome.code }
    case 'soft': {
      const nextRetryAt = new Date(now.getTime() + input.retryIntervalMs)
      if (nextRetryAt.getTime() > input.validUntil) {
        return {
          kind: 'failed',
          failureType: 'soft',
          reason: `validity period expired: ${outcome.reason}`,
          smtpCode: outcome.code,
        }
      }
      return { kind: 'retry', reason: outcome.reason, smtpCode: outcome.code, nextRetryAt }
    }
    case 'unreachable':
      return { kind: 'released' }
    case 'unknown':
      return null
  }
}

function tally(result: BatchResult, record: SendResult): void {
  if (record.kind === 'sent') result.sent++
  else if (record.kind === 'retry') result.retrying++
  else if (record.kind === 'failed') {
    if (record.failureType === 'hard') result.hardFailed++
    else result.softFailed++
  }
}
