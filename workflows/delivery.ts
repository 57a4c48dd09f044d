import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  allHandlersFinished,
  workflowInfo,
} from '@temporalio/workflow'
import type { HeraldActivities, PreparationResult } from '../activities'
import {
  canApply,
  illegalTransition,
  isFinal,
  isSending,
  statusLabels,
  waitingFor,
  type DeliveryCommand,
  type DeliveryStatus,
} from '../domain/delivery-states'
import { commandPayloads, payloadProblem, preparationInputInvalid } from '../domain/delivery-input'
import { describeWave, dueBatchEnd, nextWave, type Wave } from '../domain/waves'
import type { DeliverySettings } from '../domain/settings'
import type { DeliveryStatePatch } from '../persistence/deliveries'
import * as messages from './messages'
import { recordDeliveryStatus, recordState, showStatus } from './records'
import { afterPass, BatchWindow, failSend, workActivityOptions, type PassInterruptions } from './sending'
import { startStatsChild } from './stats'
import { deliveryStatsWorkflowId } from './stats-messages'
import type { Actor, CommandInputs, DeliveryView } from './messages'

export interface DeliveryWorkflowInput {
  deliveryId: number
  createdBy: string
  requireApproval: boolean
  approverMustDiffer: boolean
  /** epoch ms; null sends once confirmed */
  contactDate: number | null
  settings: DeliverySettings
  /** Keeps apart several Herald databases in one namespace; absent from inputs recorded before it. */
  workflowIdPrefix?: string
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
  /** Sent at each recipient's local time: the waves, earliest first (absent otherwise). */
  waves?: Wave[]
}

export interface DeliveryOutcome {
  status: DeliveryStatus | 'deleted'
  messagesToDeliver: number
}

const { prepareDelivery, saveEdit, saveSchedule, deleteDelivery, moveRemainingWaves } =
  proxyActivities<HeraldActivities>(workActivityOptions)

/** A preparation that failed for good on the delivery's own data (see activities' failPreparation). */
function isInputFailure(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === preparationInputInvalid
  )
}

/** A user's command as its update declared it, kind and payload together. */
type CommandOf = { [K in DeliveryCommand]: { kind: K; input: CommandInputs[K] } }[DeliveryCommand]

type Command = CommandOf & {
  reply: (outcome: { view: DeliveryView } | Refusal) => void
}

interface Refusal {
  refusal: string
  message: string
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
  private readonly window: BatchWindow
  private deleted = false
  /** A wave delivery continues as new before waiting for its next wave once this run has sent one. */
  private handOver = false

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
    this.window = new BatchWindow(input.settings, {
      target: () => ({ deliveryId: input.deliveryId, validUntil: this.s.validUntil ?? Date.now() }),
      next: () => (this.mayStartBatch() ? (this.s.queued.shift() ?? this.s.nextBatch++) : null),
      summary: (batchNo) => `Send batch ${batchNo + 1} of ${this.s.batchCount}`,
      sent: () => void this.s.batchesDone++,
      requeue: (batchNo) => void this.s.queued.push(batchNo),
    })
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
      if (this.s.status === 'preparing') await this.prepare()
      else if (this.s.status === 'start_pending') await this.waitForContactDate()
      else if (isSending(this.s.status)) await this.send()
      else await this.dispatch(await this.nextCommand())
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
      await this.dispatch(command)
    }
  }

  // ── Users' commands ────────────────────────────────────────────────────────────────────────────

  private listen(): void {
    setHandler(messages.prepare, (input) => this.queue({ kind: 'prepare', input }), this.checks('prepare'))
    setHandler(messages.approve, (input) => this.queue({ kind: 'approve', input }), this.checks('approve'))
    setHandler(messages.reject, (input) => this.queue({ kind: 'reject', input }), this.checks('reject'))
    setHandler(messages.confirm, (input) => this.queue({ kind: 'confirm', input }), this.checks('confirm'))
    setHandler(messages.schedule, (input) => this.queue({ kind: 'schedule', input }), this.checks('schedule'))
    setHandler(messages.edit, (input) => this.queue({ kind: 'edit', input }), this.checks('edit'))
    setHandler(messages.pause, (input) => this.queue({ kind: 'pause', input }), this.checks('pause'))
    setHandler(messages.resume, (input) => this.queue({ kind: 'resume', input }), this.checks('resume'))
    setHandler(messages.stop, (input) => this.queue({ kind: 'stop', input }), this.checks('stop'))
    setHandler(messages.remove, (input) => this.queue({ kind: 'delete', input }), this.checks('delete'))
    setHandler(messages.state, () => this.view())
  }

  /** Queues a command; its update is answered once the command has taken effect, or refused. */
  private queue(command: CommandOf): Promise<DeliveryView> {
    return new Promise((resolve, reject) =>
      this.inbox.push({
        ...command,
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
  }

  /**
   * Refuses, before anything enters history, a payload the API would refuse (it checks it with the same
   * schema: an update sent straight to Temporal writes nothing the API could not) and a command the
   * current state does not allow. Validators do not run on replay, so the schema may grow stricter.
   */
  private checks(kind: DeliveryCommand) {
    return {
      validator: (input: Actor & { expectedMessages?: number }) => {
        const refusal = this.payloadRefusal(kind, input) ?? this.refusal(kind, input)
        if (refusal)
          throw ApplicationFailure.create({
            type: refusal.refusal,
            message: refusal.message,
            nonRetryable: true,
          })
      },
    }
  }

  private payloadRefusal(kind: DeliveryCommand, input: unknown): Refusal | null {
    const problem = payloadProblem(commandPayloads[kind], input)
    return problem ? { refusal: messages.refusals.invalidInput, message: problem } : null
  }

  private refusal(kind: DeliveryCommand, input: Actor & { expectedMessages?: number }): Refusal | null {
    if (typeof input?.by !== 'string' || !input.by) {
      return {
        refusal: messages.refusals.invalidInput,
        message: 'every command names the user who gives it (by)',
      }
    }
    const illegal = this.movesWaves(kind) ? null : illegalTransition(kind, this.s.status)
    if (illegal) return { refusal: messages.refusals.illegalTransition, message: illegal }
    if (kind === 'approve' && this.input.approverMustDiffer && input.by === this.input.createdBy) {
      return {
        refusal: messages.refusals.approverIsCreator,
        message: 'the creator of a delivery cannot approve it',
      }
    }
    const expected = input.expectedMessages
    if (kind === 'confirm' && expected !== undefined && expected !== this.s.messagesToDeliver) {
      return {
        refusal: messages.refusals.countMismatch,
        message: `you confirmed ${String(expected)} messages but the delivery is prepared for ${this.s.messagesToDeliver}; prepare again or confirm the current count`,
      }
    }
    return null
  }

  private async nextCommand(): Promise<Command> {
    await condition(() => this.inbox.length > 0)
    return this.inbox.shift()!
  }

  /** While the send is under way only pause, resume and stop act; before it, every other command. */
  private dispatch(command: Command): Promise<void> {
    return isSending(this.s.status) ? this.handleWhileSending(command) : this.handle(command)
  }

  /** Applies one command, replying to its update once its effect is in place. */
  private async handle(command: Command): Promise<void> {
    const refusal = this.refusal(command.kind, command.input)
    if (refusal) return command.reply(refusal)
    const applied = await this.apply(command)
    command.reply(applied ? { view: this.view() } : this.cannot(command.kind))
  }

  /** The effect of a command the current state allows; false for one only a send in progress takes. */
  private async apply(command: CommandOf): Promise<boolean> {
    const { by } = command.input
    const now = Date.now()
    switch (command.kind) {
      case 'prepare':
        await this.enter('preparing')
        return true
      case 'edit':
        await saveEdit(this.input.deliveryId, command.input.changes)
        await this.enter('draft')
        return true
      case 'schedule':
        await this.reschedule(command.input.contactDate, command.input.timeZone)
        return true
      case 'approve':
        await this.enter('ready', { approvedBy: by, approvedAt: now })
        return true
      case 'reject':
        await this.enter('draft', { rejectionReason: String(command.input.reason) })
        return true
      case 'confirm': {
        const start = this.startAt()
        const later = start !== null && start > now
        await this.enter(later ? 'start_pending' : 'sending', { confirmedBy: by, confirmedAt: now })
        return true
      }
      case 'stop':
        await this.enter('stopped', { finishedAt: now })
        return true
      case 'delete':
        await deleteDelivery(this.input.deliveryId)
        this.deleted = true
        return true
      default:
        // pause and resume only reach here in states that refuse them
        return false
    }
  }

  private cannot(kind: DeliveryCommand): Refusal {
    return { refusal: messages.refusals.illegalTransition, message: `cannot ${kind} now` }
  }

  private async reschedule(contactDate: number | null, timeZone: string | null | undefined): Promise<void> {
    await saveSchedule(this.input.deliveryId, contactDate, timeZone)
    this.s.contactDate = contactDate
    // New waves for the new time: the delivery is prepared again, then approved and confirmed again.
    if (this.s.waves && this.s.status === 'start_pending')
      return this.enter('preparing', { confirmedBy: null, confirmedAt: null })
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
    if (prepared.waves) this.s.waves = prepared.waves
    else delete this.s.waves
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
      const wait = (this.startAt() ?? 0) - Date.now()
      if (wait <= 0 || !(await condition(() => this.inbox.length > 0, wait))) {
        await this.enter('sending')
        return
      }
      await this.dispatch(this.inbox.shift()!)
    }
  }

  // ── Sending (the engine is ./sending) ────────────────────────────────────────────────────────

  private async send(): Promise<void> {
    if (this.s.sendingStartedAt === null) {
      const now = Date.now()
      this.s.sendingStartedAt = now
      // The validity period runs from the last wave's instant for a delivery sent in waves.
      const lastWave = this.s.waves?.at(-1)?.at ?? now
      this.s.validUntil = Math.max(now, lastWave) + this.input.settings.validityMs
      await recordState(this.input.deliveryId, { sendingStartedAt: now })
    }
    while (!isFinal(this.s.status)) {
      if (this.s.status === 'paused') {
        await this.whilePaused()
        continue
      }
      await this.window.run(this.commandsBetweenBatches)
      if (this.window.failure) return this.fail()
      if (this.s.status !== 'sending' && this.s.status !== 'retry_pending') continue
      if (this.timeToContinueAsNew()) return
      await this.afterPass()
    }
  }

  /**
   * Its own async step on purpose: the extra turn lets a resume's update complete before the next batch
   * is scheduled, the order recorded histories hold (inlined, paused-resumed-…-run3 fails to replay).
   */
  private async whilePaused(): Promise<void> {
    await this.dispatch(await this.nextCommand())
  }

  /** Pause and stop act between batches of a pass, cancelling the batches in flight. */
  private readonly commandsBetweenBatches: PassInterruptions = {
    waiting: () => this.inbox.length > 0,
    handle: async () => {
      while (this.inbox.length) await this.dispatch(this.inbox.shift()!)
    },
    halted: () => this.s.status !== 'sending',
  }

  private mayStartBatch(): boolean {
    const left = this.s.queued.length > 0 || this.s.nextBatch < this.dueBatches()
    return this.s.status === 'sending' && left && !this.timeToContinueAsNew()
  }

  private async fail(): Promise<void> {
    await failSend(this.input.deliveryId, this.window.failure, (patch) => this.enter('failed', patch))
  }

  private async handleWhileSending(command: Command): Promise<void> {
    const { kind } = command
    if (command.kind === 'schedule' && this.movesWaves(kind)) {
      const refusal = this.refusal(kind, command.input)
      if (refusal) return command.reply(refusal)
      await this.moveWaves(command.input.contactDate, command.input.timeZone)
      return command.reply({ view: this.view() })
    }
    if (!canApply(kind, this.s.status) || !['pause', 'stop', 'resume'].includes(kind)) {
      return command.reply(
        this.refusal(kind, command.input) ?? {
          refusal: messages.refusals.illegalTransition,
          message: `cannot ${kind} a delivery that is ${statusLabels[this.s.status].toLowerCase()}`,
        },
      )
    }
    if (kind !== 'resume') await this.window.cancelAll()
    if (kind === 'pause') await this.enter('paused')
    else if (kind === 'stop') await this.enter('stopped', { finishedAt: Date.now() })
    else await this.enter('sending')
    command.reply({ view: this.view() })
  }

  /** Between passes: due retries are sent, soft failures wait for their retry (status "retry pending"). */
  private async afterPass(): Promise<void> {
    const after = await afterPass(
      this.input.deliveryId,
      this.s.validUntil ?? Date.now(),
      (batches) => this.s.queued.push(...batches.filter((b) => !this.s.queued.includes(b))),
      () => Date.now() >= (this.s.validUntil ?? 0),
    )
    if (after.next === 'send') {
      if (this.s.status !== 'sending') await this.enter('sending')
      return
    }
    const wave = this.s.waves ? nextWave(this.s.waves, this.s.nextBatch) : null
    if (wave && (after.next === 'done' || wave.at <= after.at)) return this.waitForWave(wave)
    if (after.next === 'done') return this.enter('finished', { finishedAt: Date.now() })
    if (this.s.status !== 'retry_pending') await this.enter('retry_pending')
    const woke = await condition(() => this.inbox.length > 0, Math.max(after.at - Date.now(), 1), {
      summary: 'next soft-bounce retry',
    })
    if (woke) await this.dispatch(this.inbox.shift()!)
  }

  // ── Waves (recipient time zone) ────────────────────────────────────────────────────────────

  /** The batches that may start now: every batch, or those of the waves already due. */
  private dueBatches(): number {
    return this.s.waves ? dueBatchEnd(this.s.waves, Date.now()) : this.s.batchCount
  }

  /** While a delivery sent in waves is under way, a new contact time moves the waves not started yet. */
  private movesWaves(kind: DeliveryCommand): boolean {
    const { waves, status, nextBatch } = this.s
    return kind === 'schedule' && !!waves && isSending(status) && nextWave(waves, nextBatch) !== null
  }

  private async moveWaves(contactDate: number | null, timeZone: string | null | undefined): Promise<void> {
    if (contactDate === null) return
    await saveSchedule(this.input.deliveryId, contactDate, timeZone)
    this.s.contactDate = contactDate
    this.s.waves = await moveRemainingWaves(this.input.deliveryId, this.s.nextBatch)
    // The validity period still runs from the last wave's instant.
    const lastWave = this.s.waves.at(-1)?.at ?? Date.now()
    this.s.validUntil = Math.max(this.s.validUntil ?? 0, lastWave + this.input.settings.validityMs)
    this.describe()
  }

  /** When sending starts: the contact date, or the first wave's instant. */
  private startAt(): number | null {
    return this.s.waves?.[0]?.at ?? this.s.contactDate
  }

  /**
   * The due waves are done (or wait for a later retry): the next wave starts at its instant, on a durable
   * timer; pause and stop act meanwhile. A run that has sent a wave continues as new first, so a day
   * of waves never piles up in one history.
   */
  private async waitForWave(wave: Wave): Promise<void> {
    if (this.window.startedAny) {
      this.handOver = true
      return
    }
    if (this.s.status !== 'sending') await this.enter('sending')
    else this.describe()
    const woke = await condition(() => this.inbox.length > 0, Math.max(wave.at - Date.now(), 1), {
      summary: `wave ${this.s.waves!.indexOf(wave) + 1} of ${this.s.waves!.length}: ${describeWave(wave)}`,
    })
    if (woke) await this.dispatch(this.inbox.shift()!)
  }

  // ── Stats ────────────────────────────────────────────────────────────────────────────────────

  /** Once sending has ended, a child workflow follows the open and click rates for the tracking period. */
  private async startStats(): Promise<void> {
    if (this.deleted || !isFinal(this.s.status) || this.s.sendingStartedAt === null) return
    // Workflows recorded before the stats child existed complete without it.
    if (!patched('stats-child')) return
    const { deliveryId, settings } = this.input
    await startStatsChild(deliveryId, deliveryStatsWorkflowId(deliveryId, this.workflowIdPrefix()), settings)
  }

  private workflowIdPrefix(): string {
    const { workflowIdPrefix, deliveryId } = this.input
    return (
      workflowIdPrefix ??
      messages.recordedPrefix(workflowInfo().workflowId, messages.deliveryWorkflowId(deliveryId))
    )
  }

  // ── State, history and visibility ────────────────────────────────────────────────────────────

  private async enter(status: DeliveryStatus, extra: DeliveryStatePatch = {}): Promise<void> {
    this.s.status = status
    this.describe()
    await recordDeliveryStatus(this.input.deliveryId, status, extra)
  }

  private describe(): void {
    showStatus(statusLabels[this.s.status], waitingFor(this.progress()))
  }

  /** What the Temporal UI and the view say the workflow waits for, with the next wave if it has waves. */
  private progress() {
    const waves = this.s.waves
    const wave = waves ? nextWave(waves, this.s.nextBatch) : null
    if (!waves || !wave) return this.s
    return {
      ...this.s,
      nextWave: { number: waves.indexOf(wave) + 1, total: waves.length, text: describeWave(wave) },
    }
  }

  private view(): DeliveryView {
    return {
      deliveryId: this.input.deliveryId,
      status: this.s.status,
      messagesToDeliver: this.s.messagesToDeliver,
      contactDate: this.s.contactDate,
      batches: { total: this.s.batchCount, done: this.s.batchesDone },
      waitingFor: waitingFor(this.progress()),
    }
  }

  private timeToContinueAsNew(): boolean {
    return this.handOver || this.window.timeToContinueAsNew()
  }

  private continueAsNew(): Promise<never> {
    return continueAsNew<typeof deliveryWorkflow>({ ...this.input, carried: this.s })
  }
}
