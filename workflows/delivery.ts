import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  allHandlersFinished,
  workflowInfo,
} from '@temporalio/workflow'
import type { HeraldActivities, BatchResult, PreparationResult } from '../activities'
import {
  assertCanApply,
  canApply,
  isFinal,
  statusLabels,
  type DeliveryCommand,
  type DeliveryStatus,
} from '../domain/delivery-states'
import { commandPayloads, payloadProblem, preparationInputInvalid } from '../domain/delivery-input'
import type { DeliverySettings } from '../domain/settings'
import * as messages from './messages'
import { startStatsChild } from './stats'
import type { Actor, DeliveryChanges, DeliveryView } from './messages'

export interface DeliveryWorkflowInput {
  deliveryId: number
  createdBy: string
  requireApproval: boolean
  approverMustDiffer: boolean
  /** epoch ms; null sends once confirmed */
  contactDate: number | null
  settings: DeliverySettings
  /** The state a previous run handed over with continue-as-new. */
  carried?: DeliveryState
}

export interface DeliveryState {
  status: DeliveryStatus
  contactDate: number | null
  messagesToDeliver: number
  batchCount: number
  /** Next batch number never started yet. */
  nextBatch: number
  /** Batches to run (again) before `nextBatch`: cancelled by a pause, or holding due retries. */
  queued: number[]
  batchesDone: number
  sendingStartedAt: number | null
  /** Soft failures are retried until then. */
  validUntil: number | null
}

export interface DeliveryOutcome {
  status: DeliveryStatus | 'deleted'
  messagesToDeliver: number
}

const {
  prepareDelivery,
  saveEdit,
  saveSchedule,
  deleteDelivery,
  remainingWork,
  expireRetries,
  failUnfinished,
} = proxyActivities<HeraldActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2 },
})

export const sendBatchOptions = {
  startToCloseTimeout: '1 hour',
  // A worker that dies is noticed within this, and its batch retried elsewhere.
  heartbeatTimeout: '10s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2 },
} as const

const { sendBatch } = proxyActivities<HeraldActivities>(sendBatchOptions)

const { recordState } = proxyLocalActivities<HeraldActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '10s' },
})

/** A preparation that failed for good on the delivery's own data (see activities' failPreparation). */
function isInputFailure(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === preparationInputInvalid
  )
}

interface Command {
  kind: DeliveryCommand
  input: Actor & Record<string, unknown>
  reply: (outcome: { view: DeliveryView } | { refusal: string; message: string }) => void
}

/**
 * One delivery, draft to finished (SPEC.md "Lifecycle of a delivery"). Users act through updates;
 * the workflow takes them one at a time from its inbox, so each is checked against the state it
 * actually applies to.
 */
export async function deliveryWorkflow(input: DeliveryWorkflowInput): Promise<DeliveryOutcome> {
  const delivery = new DeliveryLifecycle(input)
  return delivery.run()
}

class DeliveryLifecycle {
  private readonly s: DeliveryState
  private readonly inbox: Command[] = []
  private readonly running = new Map<number, CancellationScope>()
  private batchesThisRun = 0
  private deleted = false
  /** The error of a batch that failed for good; the delivery fails with it. */
  private failure: unknown = null

  constructor(private readonly input: DeliveryWorkflowInput) {
    this.s = input.carried ?? {
      status: 'draft',
      contactDate: input.contactDate,
      messagesToDeliver: 0,
      batchCount: 0,
      nextBatch: 0,
      queued: [],
      batchesDone: 0,
      sendingStartedAt: null,
      validUntil: null,
    }
    this.listen()
  }

  async run(): Promise<DeliveryOutcome> {
    this.describe()
    while (!isFinal(this.s.status) && !this.deleted) {
      if (this.timeToContinueAsNew()) {
        await this.drainInbox()
        if (!isFinal(this.s.status) && !this.deleted) return this.continueAsNew()
        break
      }
      switch (this.s.status) {
        case 'preparing':
          await this.prepare()
          break
        case 'start_pending':
          await this.waitForContactDate()
          break
        case 'sending':
        case 'retry_pending':
        case 'paused':
          await this.send()
          break
        default:
          await this.handle(await this.nextCommand())
      }
    }
    await this.startStats()
    await this.drainInbox()
    return { status: this.deleted ? 'deleted' : this.s.status, messagesToDeliver: this.s.messagesToDeliver }
  }

  /** Answers every update still waiting, so none is lost when this run ends or continues as new. */
  private async drainInbox(): Promise<void> {
    for (;;) {
      await condition(() => this.inbox.length > 0 || allHandlersFinished())
      const command = this.inbox.shift()
      if (!command) return
      if (['sending', 'retry_pending', 'paused'].includes(this.s.status))
        await this.handleWhileSending(command)
      else await this.handle(command)
    }
  }

  // ── Users' commands ────────────────────────────────────────────────────────────────────────────

  private listen(): void {
    const accept =
      (kind: DeliveryCommand) =>
      (input: Actor & Record<string, unknown>): Promise<DeliveryView> =>
        new Promise((resolve, reject) =>
          this.inbox.push({
            kind,
            input,
            reply: (outcome) =>
              'view' in outcome
                ? resolve(outcome.view)
                : reject(
                    ApplicationFailure.create({
                      type: outcome.refusal,
                      message: outcome.message,
                      nonRetryable: true,
                    }),
                  ),
          }),
        )
    const updates = {
      prepare: messages.prepare,
      approve: messages.approve,
      reject: messages.reject,
      confirm: messages.confirm,
      schedule: messages.schedule,
      edit: messages.edit,
      pause: messages.pause,
      resume: messages.resume,
      stop: messages.stop,
      delete: messages.remove,
    } as const
    for (const [kind, update] of Object.entries(updates) as [DeliveryCommand, typeof messages.prepare][]) {
      setHandler(update, (input: Actor) => accept(kind)(input as Actor & Record<string, unknown>), {
        validator: (input: Actor) => this.validate(kind, input as Actor & Record<string, unknown>),
      })
    }
    setHandler(messages.state, () => this.view())
  }

  /**
   * Refuses, before anything enters history, a payload the API would refuse (it checks it with the same
   * schema: an update sent straight to Temporal writes nothing the API could not) and a command the
   * current state does not allow. Validators do not run on replay, so the schema may grow stricter.
   */
  private validate(kind: DeliveryCommand, input: Actor & Record<string, unknown>): void {
    const problem = payloadProblem(commandPayloads[kind], input)
    if (problem)
      throw ApplicationFailure.create({
        type: messages.refusals.invalidInput,
        message: problem,
        nonRetryable: true,
      })
    const refusal = this.refusal(kind, input)
    if (refusal)
      throw ApplicationFailure.create({ type: refusal.type, message: refusal.message, nonRetryable: true })
  }

  private refusal(
    kind: DeliveryCommand,
    input: Actor & Record<string, unknown>,
  ): { type: string; message: string } | null {
    if (typeof input?.by !== 'string' || !input.by) {
      return {
        type: messages.refusals.invalidInput,
        message: 'every command names the user who gives it (by)',
      }
    }
    try {
      assertCanApply(kind, this.s.status)
    } catch (err) {
      return { type: messages.refusals.illegalTransition, message: (err as Error).message }
    }
    if (kind === 'approve' && this.input.approverMustDiffer && input.by === this.input.createdBy) {
      return {
        type: messages.refusals.approverIsCreator,
        message: 'the creator of a delivery cannot approve it',
      }
    }
    const expected = input.expectedMessages
    if (kind === 'confirm' && expected !== undefined && expected !== this.s.messagesToDeliver) {
      return {
        type: messages.refusals.countMismatch,
        message: `you confirmed ${String(expected)} messages but the delivery is prepared for ${this.s.messagesToDeliver}; prepare again or confirm the current count`,
      }
    }
    return null
  }

  private async nextCommand(): Promise<Command> {
    await condition(() => this.inbox.length > 0)
    return this.inbox.shift()!
  }

  /** Applies one command, replying to its update once its effect is in place. */
  private async handle(command: Command): Promise<void> {
    const refusal = this.refusal(command.kind, command.input)
    if (refusal) return command.reply({ refusal: refusal.type, message: refusal.message })
    const by = command.input.by
    const now = Date.now()
    switch (command.kind) {
      case 'prepare':
        await this.enter('preparing')
        break
      case 'edit':
        await saveEdit(this.input.deliveryId, command.input.changes as DeliveryChanges)
        await this.enter('draft')
        break
      case 'schedule':
        await this.reschedule(
          command.input.contactDate as number | null,
          command.input.timeZone as string | undefined,
        )
        break
      case 'approve':
        await this.enter('ready', { approvedBy: by, approvedAt: now })
        break
      case 'reject':
        await this.enter('draft', { rejectionReason: String(command.input.reason) })
        break
      case 'confirm':
        await this.enter(
          this.s.contactDate !== null && this.s.contactDate > now ? 'start_pending' : 'sending',
          {
            confirmedBy: by,
            confirmedAt: now,
          },
        )
        break
      case 'stop':
        await this.enter('stopped', { finishedAt: now })
        break
      case 'delete':
        await deleteDelivery(this.input.deliveryId)
        this.deleted = true
        break
      default:
        // pause and resume only reach here in states that refuse them
        return command.reply({
          refusal: messages.refusals.illegalTransition,
          message: `cannot ${command.kind} now`,
        })
    }
    command.reply({ view: this.view() })
  }

  private async reschedule(contactDate: number | null, timeZone: string | null | undefined): Promise<void> {
    await saveSchedule(this.input.deliveryId, contactDate, timeZone)
    this.s.contactDate = contactDate
    if (this.s.status === 'start_pending') return this.unconfirm()
    // Before the confirmation a new date means preparing again.
    if (this.s.status !== 'draft') await this.enter('draft')
    else this.describe()
  }

  /**
   * A confirmed delivery whose date moves is confirmed again: the confirmation was for that date, and
   * the prepare role may move dates but not start sends. Histories from before kept it confirmed.
   */
  private async unconfirm(): Promise<void> {
    if (!patched('reconfirm-after-reschedule')) return this.describe()
    await this.enter('ready', { confirmedBy: null, confirmedAt: null })
  }

  // ── Preparation ──────────────────────────────────────────────────────────────────────────────

  private async prepare(): Promise<void> {
    let prepared: PreparationResult
    try {
      prepared = await prepareDelivery.executeWithOptions(
        { summary: 'Compute the target, exclusions and sending logs', startToCloseTimeout: '30 minutes' },
        [{ deliveryId: this.input.deliveryId, batchSize: this.input.settings.batchSize }],
      )
    } catch (err) {
      // The delivery's own data cannot be prepared (the activity wrote why in the report): fixed by an
      // edit, then a new preparation. Histories from before failed the workflow instead.
      if (!isInputFailure(err) || !patched('preparation-input-failure')) throw err
      prepared = { toDeliver: 0, batches: 0, critical: true }
    }
    this.s.messagesToDeliver = prepared.toDeliver
    this.s.batchCount = prepared.batches
    this.s.nextBatch = 0
    this.s.queued = []
    this.s.batchesDone = 0
    if (prepared.critical) await this.enter('preparation_failed')
    else
      await this.enter(this.input.requireApproval ? 'awaiting_approval' : 'ready', { rejectionReason: null })
  }

  // ── Schedule ─────────────────────────────────────────────────────────────────────────────────

  private async waitForContactDate(): Promise<void> {
    while (this.s.status === 'start_pending') {
      const wait = (this.s.contactDate ?? 0) - Date.now()
      if (wait <= 0 || !(await condition(() => this.inbox.length > 0, wait))) {
        await this.enter('sending')
        return
      }
      await this.handle(this.inbox.shift()!)
    }
  }

  // ── Sending ──────────────────────────────────────────────────────────────────────────────────

  private async send(): Promise<void> {
    if (this.s.sendingStartedAt === null) {
      const now = Date.now()
      this.s.sendingStartedAt = now
      this.s.validUntil = now + this.input.settings.validityMs
      await this.record({ sendingStartedAt: now })
    }
    while (!isFinal(this.s.status)) {
      if (this.s.status === 'paused') {
        await this.whilePaused()
        continue
      }
      await this.runBatches()
      if (this.failure) return this.fail(this.failure)
      if (this.s.status !== 'sending' && this.s.status !== 'retry_pending') continue
      if (this.timeToContinueAsNew()) return
      await this.afterPass()
    }
  }

  /** A batch could not complete (the validity period ended with the transport still failing). */
  private async fail(err: unknown): Promise<void> {
    const reason =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)
    await failUnfinished(this.input.deliveryId, `delivery failed: ${reason}`)
    await this.enter('failed', { finishedAt: Date.now(), sendError: reason })
  }

  /** Runs every queued and unstarted batch, a few at a time, until done, paused or stopped. */
  private async runBatches(): Promise<void> {
    const { batchWindow } = this.input.settings
    for (;;) {
      while (this.s.status === 'sending' && this.running.size < batchWindow && this.hasBatchToStart()) {
        if (this.failure || this.timeToContinueAsNew()) break
        this.startBatch(this.s.queued.length ? this.s.queued.shift()! : this.s.nextBatch++)
      }
      if (this.running.size === 0 && !this.inbox.length) return
      const before = this.running.size
      await condition(() => this.running.size < before || this.inbox.length > 0)
      while (this.inbox.length) await this.handleWhileSending(this.inbox.shift()!)
      if (this.failure) await this.cancelRunningBatches()
      if ((this.s.status !== 'sending' || this.failure) && this.running.size === 0) return
    }
  }

  private hasBatchToStart(): boolean {
    return this.s.queued.length > 0 || this.s.nextBatch < this.s.batchCount
  }

  private startBatch(batchNo: number): void {
    const scope = new CancellationScope()
    this.running.set(batchNo, scope)
    this.batchesThisRun++
    const validFor = Math.max((this.s.validUntil ?? Date.now()) - Date.now(), 60_000)
    scope
      .run(() =>
        sendBatch.executeWithOptions(
          {
            ...sendBatchOptions,
            scheduleToCloseTimeout: validFor,
            summary: `Send batch ${batchNo + 1} of ${this.s.batchCount}`,
          },
          [
            {
              deliveryId: this.input.deliveryId,
              batchNo,
              validUntil: this.s.validUntil ?? Date.now(),
              retryIntervalMs: this.input.settings.retryIntervalMs,
            },
          ],
        ),
      )
      .then(
        (result: BatchResult) => {
          this.s.batchesDone++
          return result
        },
        (err: unknown) => {
          // A pause or stop cancelled it: whatever it did not send is sent after a resume.
          if (isCancellation(err)) this.s.queued.push(batchNo)
          else this.failure = err
        },
      )
      .finally(() => this.running.delete(batchNo))
  }

  private async handleWhileSending(command: Command): Promise<void> {
    if (command.kind === 'pause' && canApply('pause', this.s.status)) {
      await this.cancelRunningBatches()
      await this.enter('paused')
      return command.reply({ view: this.view() })
    }
    if (command.kind === 'stop' && canApply('stop', this.s.status)) {
      await this.cancelRunningBatches()
      await this.enter('stopped', { finishedAt: Date.now() })
      return command.reply({ view: this.view() })
    }
    if (command.kind === 'resume' && canApply('resume', this.s.status)) {
      await this.enter('sending')
      return command.reply({ view: this.view() })
    }
    const refusal = this.refusal(command.kind, command.input) ?? {
      type: messages.refusals.illegalTransition,
      message: `cannot ${command.kind} a delivery that is ${statusLabels[this.s.status].toLowerCase()}`,
    }
    command.reply({ refusal: refusal.type, message: refusal.message })
  }

  /** Pause and stop act within one batch: cancel the batches in flight and wait until they have stopped. */
  private async cancelRunningBatches(): Promise<void> {
    for (const scope of this.running.values()) scope.cancel()
    await condition(() => this.running.size === 0)
  }

  private async whilePaused(): Promise<void> {
    await this.handleWhileSending(await this.nextCommand())
  }

  /**
   * After a pass over the batches: finished when every sending log is final; otherwise soft failures
   * wait for their retry (status "retry pending") until the validity period ends.
   */
  private async afterPass(): Promise<void> {
    const work = await remainingWork(this.input.deliveryId)
    if (work.dueBatches.length) {
      this.s.queued.push(...work.dueBatches.filter((b) => !this.s.queued.includes(b)))
      if (this.s.status !== 'sending') await this.enter('sending')
      return
    }
    if (work.unfinished === 0) {
      await this.enter('finished', { finishedAt: Date.now() })
      return
    }
    const validUntil = this.s.validUntil ?? Date.now()
    if (work.nextRetryAt === null || work.nextRetryAt > validUntil || Date.now() >= validUntil) {
      await expireRetries(this.input.deliveryId)
      await this.enter('finished', { finishedAt: Date.now() })
      return
    }
    if (this.s.status !== 'retry_pending') await this.enter('retry_pending')
    const woke = await condition(() => this.inbox.length > 0, Math.max(work.nextRetryAt - Date.now(), 1), {
      summary: 'next soft-bounce retry',
    })
    if (woke) await this.handleWhileSending(this.inbox.shift()!)
  }

  // ── Stats ────────────────────────────────────────────────────────────────────────────────────

  /** Once sending has ended, a child workflow follows the open and click rates for the tracking period. */
  private async startStats(): Promise<void> {
    if (this.deleted || !isFinal(this.s.status) || this.s.sendingStartedAt === null) return
    // Workflows recorded before the stats child existed complete without it.
    if (!patched('stats-child')) return
    await startStatsChild(this.input.deliveryId, `${workflowInfo().workflowId}-stats`, this.input.settings)
  }

  // ── State, history and visibility ────────────────────────────────────────────────────────────

  private async enter(status: DeliveryStatus, extra: Record<string, unknown> = {}): Promise<void> {
    this.s.status = status
    upsertSearchAttributes([{ key: messages.DeliveryStatusAttribute, value: status }])
    this.describe()
    await this.record({ status, ...extra })
  }

  private async record(patch: Record<string, unknown>): Promise<void> {
    await recordState(this.input.deliveryId, patch)
  }

  private describe(): void {
    setCurrentDetails(`**${statusLabels[this.s.status]}** — ${this.waitingFor()}`)
  }

  private waitingFor(): string {
    switch (this.s.status) {
      case 'draft':
        return 'waiting for a user to prepare the delivery'
      case 'preparing':
        return 'computing the target and the sending logs'
      case 'preparation_failed':
        return 'waiting for the content or audience to be fixed, then a new preparation'
      case 'awaiting_approval':
        return `waiting for approval by a user with the "approve" role (${this.s.messagesToDeliver} messages prepared)`
      case 'ready':
        return `waiting for a user with the "Start deliveries" role to confirm ${this.s.messagesToDeliver} messages`
      case 'start_pending':
        return `waiting for the contact date ${new Date(this.s.contactDate ?? 0).toISOString()}`
      case 'sending':
        return `sending: ${this.s.batchesDone} of ${this.s.batchCount} batches done`
      case 'retry_pending':
        return 'waiting to retry soft-bounced messages within the validity period'
      case 'paused':
        return 'paused: waiting for resume or stop'
      default:
        return 'done'
    }
  }

  private view(): DeliveryView {
    return {
      deliveryId: this.input.deliveryId,
      status: this.s.status,
      messagesToDeliver: this.s.messagesToDeliver,
      contactDate: this.s.contactDate,
      batches: { total: this.s.batchCount, done: this.s.batchesDone },
      waitingFor: this.waitingFor(),
    }
  }

  private timeToContinueAsNew(): boolean {
    return this.batchesThisRun >= this.input.settings.batchesPerRun || workflowInfo().continueAsNewSuggested
  }

  private continueAsNew(): Promise<never> {
    return continueAsNew<typeof deliveryWorkflow>({ ...this.input, carried: this.s })
  }
}
