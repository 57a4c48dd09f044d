import { Context, CancelledFailure } from '@temporalio/activity'
import { ApplicationFailure } from '@temporalio/common'
import type { Database } from '../persistence/database'
import { loadBatch, SendingLogWriter, type Recipient, type SendResult } from '../persistence/sending-logs'
import { classifySmtpError, type DeliveryGuarantee, type SmtpErrorLike } from '../domain/sending'
import type { SendMailOptions } from 'nodemailer'
import { compileContent, composeMessage, type MessageContent } from '../mail/compose'
import type { Mailer } from '../mail/transport'
import type { SendRateLimiter } from '../mail/rate-limiter'
import { loadSendContent, setSendError } from '../persistence/deliveries'
import { applyAddressEvents, clearErroneous } from '../persistence/address-status'
import type { QuarantineRules } from '../domain/quarantine'
import { compileTrackedHtml } from '../domain/tracked-links'
import { TrackingUrls } from '../mail/tracking-urls'
import { rateLimitWaitSeconds, smtpSendStarted } from '../observability/metrics'
import { inSpan } from '../observability/tracing'

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
  const row = await loadSendContent(deps.db, deliveryId)
  if (!row)
    throw ApplicationFailure.nonRetryable(`delivery ${deliveryId} no longer exists`, 'DeliveryNotFound')
  const from = row.fromEmail
    ? row.fromName
      ? `"${String(row.fromName).replace(/["\\\r\n]/g, '')}" <${row.fromEmail}>`
      : row.fromEmail
    : deps.defaultFrom
  return {
    deliveryId,
    subject: row.subject,
    html: row.html,
    text: row.text,
    from,
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
  const { content, recipients } = await inSpan(
    'load batch',
    { 'herald.batch_no': input.batchNo },
    async () => ({
      content: await loadContent(deps, input.deliveryId),
      recipients: await loadBatch(deps.db, input.deliveryId, input.batchNo, deps.clock()),
    }),
  )
  // Parsed once for the whole batch: each message only renders.
  const templates = compileContent(content)
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
  const heartbeat = setInterval(() => ctx.heartbeat(progress()), 200)

  /**
   * Sends one message whose claim is on its way to the database (`claim`): the SMTP envelope and body go
   * out meanwhile, and the final "." that commits the message waits for the claim (see gatedMessage).
   * Returns what to record; `skip` when the row was not ours; null when its fate is unknown (the row
   * stays claimed: in doubt). A failed database write is thrown: the attempt ends, nothing unclaimed left.
   */
  const deliver = async (
    recipient: Recipient,
    claim: Promise<boolean>,
  ): Promise<{ record: SendResult; bounce: Bounce | null } | 'skip' | null> => {
    const claimed = claim.then(
      (ok) => ({ ok }),
      (error: Error) => ({ error }),
    )
    const inDoubt = recipient.status === 'sending'
    if (inDoubt && content.guarantee === 'at_most_once') {
      const verdict = await claimed
      if ('error' in verdict) throw verdict.error
      if (!verdict.ok) return 'skip'
      result.inDoubt++
      const reason = 'in flight when a worker or the database was lost; not resent (at-most-once)'
      return { record: { kind: 'in_doubt', reason }, bounce: null }
    }
    let outcome
    const smtpAnswered = smtpSendStarted()
    try {
      const message = { ...composeMessage(templates, recipient, deps.messageIdDomain), deliveryGate: claim }
      const info = await inSpan('smtp send', { 'herald.sending_log_id': recipient.id }, () =>
        deps.mailer.transporter.sendMail(message as SendMailOptions),
      )
      outcome = { kind: 'accepted' as const, response: String(info.response ?? '') }
    } catch (err) {
      outcome = classifySmtpError(err as SmtpErrorLike)
    } finally {
      smtpAnswered()
    }
    const verdict = await claimed
    if ('error' in verdict) throw verdict.error
    if (!verdict.ok) return 'skip'
    if (inDoubt) result.inDoubt++
    const record = resultOf(outcome, input, deps.clock())
    if (!record) {
      transportError = new Error(
        `SMTP connection lost while sending: ${outcome.kind === 'unknown' ? outcome.reason : ''}`,
      )
      return null
    }
    if (record.kind === 'released') {
      transportError = new Error(`SMTP server unreachable: ${'reason' in outcome ? outcome.reason : ''}`)
    } else tally(result, record)
    if (record.kind === 'sent') delivered.push(recipient.email)
    const bounce =
      outcome.kind === 'hard' || outcome.kind === 'soft'
        ? { kind: outcome.kind, reason: outcome.reason, at: deps.clock().getTime() }
        : null
    return { record, bounce }
  }

  const next = () => (cancelled || transportError ? undefined : queue.shift())
  const claim = async (recipient: Recipient) => {
    if (deps.rateLimiter.limited) {
      const waited = rateLimitWaitSeconds.startTimer()
      await deps.rateLimiter.take()
      waited()
    }
    return writer.claim(recipient.id, recipient.status === 'sending')
  }

  /**
   * A lane holds one of the worker's SMTP permits. When a message is answered, one statement records it
   * and claims the lane's next message, while that next message's SMTP exchange already begins: the
   * database write overlaps the transfer instead of idling the connection. A lane thus holds at most two
   * unrecorded rows, and at most one of them can have reached the server.
   */
  const lane = () =>
    deps.mailer.withPermit(async () => {
      let recipient = next()
      let claimed: Promise<boolean> = recipient ? claim(recipient) : Promise.resolve(false)
      while (recipient) {
        const delivered = await deliver(recipient, claimed)
        if (delivered === null) return
        const following = next()
        if (delivered === 'skip') {
          claimed = following ? claim(following) : Promise.resolve(false)
        } else if (
          following &&
          following.status !== 'sending' &&
          delivered.record.kind === 'sent' &&
          !deps.rateLimiter.limited
        ) {
          claimed = writer.settle(recipient.id, delivered.record, { id: following.id, takeover: false })
        } else {
          // A rate-limit slot may be a while away: record now rather than hold the row unrecorded.
          await writer.record(recipient.id, delivered.record)
          const { bounce } = delivered
          if (bounce)
            await applyAddressEvents(deps.db, [{ email: recipient.email, event: bounce }], deps.quarantine)
          claimed = following ? claim(following) : Promise.resolve(false)
        }
        recipient = following
      }
    })

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
  // Through the SDK's activity logger: the line carries workflowId, runId and activity too.
  ctx.log.info('batch sent', { deliveryId: input.deliveryId, ...result, left: queue.length })
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

/** An SMTP bounce, as an event for the address's quarantine rules. */
type Bounce = { kind: 'hard' | 'soft'; reason: string; at: number }

function tally(result: BatchResult, record: SendResult): void {
  if (record.kind === 'sent') result.sent++
  else if (record.kind === 'retry') result.retrying++
  else if (record.kind === 'failed') {
    if (record.failureType === 'hard') result.hardFailed++
    else result.softFailed++
  }
}
