import { Context, CancelledFailure } from '@temporalio/activity'
import { ApplicationFailure } from '@temporalio/common'
import type { Database } from '../persistence/database'
import { loadBatch, SendingLogWriter, type Recipient, type SendResult } from '../persistence/sending-logs'
import { classifySmtpError, type DeliveryGuarantee, type SmtpErrorLike } from '../domain/sending'
import type { SendMailOptions } from 'nodemailer'
import { compileContent, composeMessage, fromHeader, type MessageContent } from '../mail/compose'
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
  const from = fromHeader(row.fromName, row.fromEmail, deps.defaultFrom)
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
  const batch = new BatchSend(
    deps,
    input,
    content,
    recipients,
    new SendingLogWriter(deps.db, claimToken, deps.clock),
  )
  ctx.cancelled.catch(() => (batch.cancelled = true))
  const heartbeat = setInterval(() => ctx.heartbeat(batch.progress()), 200)
  try {
    await batch.runLanes()
  } finally {
    clearInterval(heartbeat)
  }
  await batch.finish(attempt)
  // Through the SDK's activity logger: the line carries workflowId, runId and activity too.
  ctx.log.info('batch sent', { deliveryId: input.deliveryId, ...batch.result, left: batch.left })
  if (batch.cancelled && batch.left) throw new CancelledFailure('batch cancelled by a pause or stop')
  return batch.result
}

/** What one message came to: what to record, `skip` when the row was not ours, null when unknown. */
type Delivered = { record: SendResult; bounce: Bounce | null } | 'skip' | null

/** One attempt at one batch: its queue of recipients, its lanes, its tally. */
class BatchSend {
  readonly result: BatchResult
  cancelled = false
  private transportError: Error | null = null
  private readonly queue: Recipient[]
  private readonly delivered: string[] = []
  /** Parsed once for the whole batch: each message only renders. */
  private readonly templates: ReturnType<typeof compileContent>

  constructor(
    private readonly deps: SendDeps,
    private readonly input: SendBatchInput,
    private readonly content: BatchContent,
    private readonly recipients: Recipient[],
    private readonly writer: SendingLogWriter,
  ) {
    this.templates = compileContent(content)
    this.queue = [...recipients]
    this.result = { batchNo: input.batchNo, sent: 0, hardFailed: 0, softFailed: 0, retrying: 0, inDoubt: 0 }
  }

  get left(): number {
    return this.queue.length
  }

  progress() {
    return { ...this.result, total: this.recipients.length, remaining: this.queue.length }
  }

  /** One lane per SMTP connection of the pool; the first lane to fail fails the attempt. */
  async runLanes(): Promise<void> {
    const lanes = await Promise.allSettled(
      Array.from({ length: this.deps.mailer.poolSize }, () => this.lane()),
    )
    const broken = lanes.find((lane): lane is PromiseRejectedResult => lane.status === 'rejected')
    if (broken) throw broken.reason
  }

  /** After the lanes: addresses that took mail, the bounce-ratio check, the delivery's transport error. */
  async finish(attempt: number): Promise<void> {
    const { deps, input } = this
    await clearErroneous(deps.db, this.delivered, deps.quarantine, deps.clock())
    const { hardFailed, softFailed, retrying } = this.result
    if (hardFailed + softFailed + retrying > 0) await deps.onFailures?.(input.deliveryId)
    if (this.transportError) {
      await setSendError(deps.db, input.deliveryId, this.transportError.message)
      throw this.transportError
    }
    if (attempt > 1) await setSendError(deps.db, input.deliveryId, null)
  }

  private next(): Recipient | undefined {
    return this.cancelled || this.transportError ? undefined : this.queue.shift()
  }

  private async claim(recipient: Recipient): Promise<boolean> {
    if (this.deps.rateLimiter.limited) {
      const waited = rateLimitWaitSeconds.startTimer()
      await this.deps.rateLimiter.take()
      waited()
    }
    return this.writer.claim(recipient.id, recipient.status === 'sending')
  }

  /**
   * A lane holds one of the worker's SMTP permits. When a message is answered, one statement records it
   * and claims the lane's next message, while that next message's SMTP exchange already begins: the
   * database write overlaps the transfer instead of idling the connection. A lane thus holds at most two
   * unrecorded rows, and at most one of them can have reached the server.
   */
  private lane(): Promise<void> {
    return this.deps.mailer.withPermit(async () => {
      let recipient = this.next()
      let claimed: Promise<boolean> = recipient ? this.claim(recipient) : Promise.resolve(false)
      while (recipient) {
        const delivered = await this.deliver(recipient, claimed)
        if (delivered === null) return
        const following = this.next()
        claimed = (await this.settle(recipient, delivered, following)).next
        recipient = following
      }
    })
  }

  /**
   * Records a message and claims the lane's next one: in one statement when it can, else one by one. The
   * claim is not awaited (it is `next`, wrapped): the next message's transfer overlaps it.
   */
  private async settle(
    recipient: Recipient,
    delivered: Exclude<Delivered, null>,
    following?: Recipient,
  ): Promise<{ next: Promise<boolean> }> {
    const { deps, writer } = this
    const claimNext = () => ({ next: following ? this.claim(following) : Promise.resolve(false) })
    if (delivered === 'skip') return claimNext()
    const { record, bounce } = delivered
    if (following && following.status !== 'sending' && record.kind === 'sent' && !deps.rateLimiter.limited)
      return { next: writer.settle(recipient.id, record, { id: following.id, takeover: false }) }
    // A rate-limit slot may be a while away: record now rather than hold the row unrecorded.
    await writer.record(recipient.id, record)
    if (bounce)
      await applyAddressEvents(deps.db, [{ email: recipient.email, event: bounce }], deps.quarantine)
    return claimNext()
  }

  /**
   * Sends one message whose claim is on its way to the database (`claim`): the SMTP envelope and body go
   * out meanwhile, and the final "." that commits the message waits for the claim (see gatedMessage).
   * Returns what to record; `skip` when the row was not ours; null when its fate is unknown (the row
   * stays claimed: in doubt). A failed database write is thrown: the attempt ends, nothing unclaimed left.
   */
  private async deliver(recipient: Recipient, claim: Promise<boolean>): Promise<Delivered> {
    const claimed = claim.then(
      (ok) => ({ ok }),
      (error: Error) => ({ error }),
    )
    const inDoubt = recipient.status === 'sending'
    if (inDoubt && this.content.guarantee === 'at_most_once') {
      const verdict = await claimed
      if ('error' in verdict) throw verdict.error
      if (!verdict.ok) return 'skip'
      this.result.inDoubt++
      const reason = 'in flight when a worker or the database was lost; not resent (at-most-once)'
      return { record: { kind: 'in_doubt', reason }, bounce: null }
    }
    const outcome = await this.transfer(recipient, claim)
    const verdict = await claimed
    if ('error' in verdict) throw verdict.error
    if (!verdict.ok) return 'skip'
    if (inDoubt) this.result.inDoubt++
    return this.recordOf(recipient, outcome)
  }

  /** The SMTP exchange of one message, its final "." held until `claim` is committed. */
  private async transfer(recipient: Recipient, claim: Promise<boolean>): Promise<Outcome> {
    const smtpAnswered = smtpSendStarted()
    try {
      const message = {
        ...composeMessage(this.templates, recipient, this.deps.messageIdDomain),
        deliveryGate: claim,
      }
      const info = await inSpan('smtp send', { 'herald.sending_log_id': recipient.id }, () =>
        this.deps.mailer.transporter.sendMail(message as SendMailOptions),
      )
      return { kind: 'accepted', response: String(info.response ?? '') }
    } catch (err) {
      return classifySmtpError(err as SmtpErrorLike)
    } finally {
      smtpAnswered()
    }
  }

  /** What the server's answer means for the sending log, the tally and the address. */
  private recordOf(recipient: Recipient, outcome: Outcome): Delivered {
    const record = resultOf(outcome, this.input, this.deps.clock())
    if (!record) {
      const reason = outcome.kind === 'unknown' ? outcome.reason : ''
      this.transportError = new Error(`SMTP connection lost while sending: ${reason}`)
      return null
    }
    if (record.kind === 'released') {
      const reason = 'reason' in outcome ? outcome.reason : ''
      this.transportError = new Error(`SMTP server unreachable: ${reason}`)
    } else tally(this.result, record)
    if (record.kind === 'sent') this.delivered.push(recipient.email)
    const bounce =
      outcome.kind === 'hard' || outcome.kind === 'soft'
        ? { kind: outcome.kind, reason: outcome.reason, at: this.deps.clock().getTime() }
        : null
    return { record, bounce }
  }
}

/** What the SMTP server made of one message. */
type Outcome = ReturnType<typeof classifySmtpError> | { kind: 'accepted'; response: string }

function resultOf(outcome: Outcome, input: SendBatchInput, now: Date): SendResult | null {
  switch (outcome.kind) {
    case 'accepted':
      return { kind: 'sent', smtpCode: 250 }
    case 'hard':
      return {
        kind: 'failed',
        failureType: 'hard',
        category: outcome.category,
        reason: outcome.reason,
        smtpCode: outcome.code,
      }
    case 'soft': {
      const nextRetryAt = new Date(now.getTime() + input.retryIntervalMs)
      if (nextRetryAt.getTime() > input.validUntil) {
        return {
          kind: 'failed',
          failureType: 'soft',
          category: outcome.category,
          reason: `validity period expired: ${outcome.reason}`,
          smtpCode: outcome.code,
        }
      }
      return {
        kind: 'retry',
        category: outcome.category,
        reason: outcome.reason,
        smtpCode: outcome.code,
        nextRetryAt,
      }
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
