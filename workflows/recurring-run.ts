import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow'
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/common'
import type { HeraldActivities, PreparedRun } from '../activities'
import { payloadProblem, runConfirmationPayload } from '../domain/delivery-input'
import type { DeliveryStatus } from '../domain/delivery-states'
import { runStatusLabels, type RunStatus } from '../domain/recurring-runs'
import type { DeliverySettings } from '../domain/settings'
import { describeWave, type Wave } from '../domain/waves'
import type { DeliveryStatePatch } from '../persistence/deliveries'
import { DeliveryIdAttribute, recordedPrefix, refusals, type Actor } from './messages'
import { recordDeliveryStatus, recordRun, showStatus } from './records'
import { confirmRun, recurringRunWorkflowId, runState, stopWaves, type RunView } from './recurring-messages'
import { afterPass, BatchWindow, failSend, workActivityOptions } from './sending'
import { startStatsChild } from './stats'
import { deliveryStatsWorkflowId } from './stats-messages'

export interface RecurringRunInput {
  recurringId: number
  /** Each run waits for a confirmation by a user with the "Start deliveries" role before it sends. */
  confirmBeforeEachSend: boolean
  settings: DeliverySettings
  /** Keeps apart several Herald databases in one namespace; absent from schedules made before it. */
  workflowIdPrefix?: string
  /** The state a previous run handed over with continue-as-new (a large send). */
  carried?: RunState
}

export interface RunState {
  runId: number
  executionId: number
  status: RunStatus
  messagesToDeliver: number
  /** Batches of the execution still to start in this pass. */
  toSend: number[]
  batchesDone: number
  /** Soft failures are retried until then, or until the next run is due. */
  validUntil: number
  /** The next run is due: the schedule asked this one to give way (overlap policy CANCEL_OTHER). */
  superseded: boolean
  /** Sent at each recipient's local time: the run's waves, earliest first (absent otherwise). */
  waves?: Wave[]
  /** A run sent in waves looked, after the cancellation, whether the recurrence was stopped. */
  cancelChecked?: boolean
  /** A run sent in waves was told its recurrence was stopped (signal `stopWaves`). */
  stopRequested?: boolean
}

export interface RunOutcome {
  status: RunStatus
  executionId: number | null
  messagesToDeliver: number
}

const { beginRun, prepareRun, recurringStopped } = proxyActivities<HeraldActivities>(workActivityOptions)

/** Set by Temporal on every workflow a schedule starts: the time the run was meant for. */
const scheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
)

/**
 * One run of a recurring delivery, started by its Temporal schedule (SPEC.md "Recurring deliveries"):
 * recompute the target into the execution of its aggregation period, wait for a confirmation if the
 * recurrence asks for one, send what it added, retry soft failures until the next run is due.
 */
export async function recurringRunWorkflow(input: RecurringRunInput): Promise<RunOutcome> {
  return new RecurringRun(input).run()
}

class RecurringRun {
  private readonly s: RunState
  private confirmation: { by: string; at: number } | null = null
  private readonly window: BatchWindow

  constructor(private readonly input: RecurringRunInput) {
    this.s = input.carried ?? {
      runId: 0,
      executionId: 0,
      status: 'started',
      messagesToDeliver: 0,
      toSend: [],
      batchesDone: 0,
      validUntil: 0,
      superseded: false,
    }
    // The schedule cancels a run when the next one is due; the run decides what that means for it.
    CancellationScope.current().cancelRequested.catch(() => {
      this.s.superseded = true
    })
    setHandler(confirmRun, (command) => this.confirm(command), {
      validator: (command) => this.validateConfirmation(command),
    })
    setHandler(runState, () => this.view())
    setHandler(stopWaves, () => void (this.s.stopRequested = true))
    this.window = new BatchWindow(
      input.settings,
      {
        target: () => ({ deliveryId: this.s.executionId, validUntil: this.s.validUntil }),
        next: () => (this.s.waves ? this.nextDueBatch() : this.nextBatch()),
        summary: (batchNo) => `Send batch ${batchNo + 1} of delivery ${this.s.executionId}`,
        sent: () => void this.s.batchesDone++,
        requeue: (batchNo) => void this.s.toSend.push(batchNo),
      },
      // Runs recorded before the engine was shared let the other batches finish when one failed.
      () => patched('run-failure-cancels-batches'),
    )
  }

  /** Nothing in a run is cancelled from outside: a send in progress finishes its messages. */
  async run(): Promise<RunOutcome> {
    return CancellationScope.nonCancellable(async () => {
      const outcome = await this.lifecycle()
      await condition(allHandlersFinished)
      return outcome
    })
  }

  private async lifecycle(): Promise<RunOutcome> {
    if (this.s.status === 'sending') return this.send()
    const skipped = await this.begin()
    if (skipped) return this.finish('skipped', skipped)
    const prepared = await this.prepare()
    if (prepared.problem) return this.failPreparation(prepared)
    if (prepared.toDeliver === 0) {
      await this.execution('finished', { finishedAt: Date.now() })
      return this.finish('sent', 'nothing new to send: every targeted profile is in this execution already')
    }
    if (this.input.confirmBeforeEachSend && !(await this.confirmed())) return this.expire()
    return this.send()
  }

  // ── Begin and prepare ──────────────────────────────────────────────────────────────────────────

  /** Records the run; a run the next one superseded before it began is skipped (missed runs run once). */
  private async begin(): Promise<string | null> {
    const info = workflowInfo()
    const scheduledAt =
      info.typedSearchAttributes.get(scheduledStartTime)?.getTime() ?? info.startTime.getTime()
    const begun = await beginRun({
      recurringId: this.input.recurringId,
      workflowId: info.workflowId,
      scheduledAt,
      startedAt: Date.now(),
    })
    this.s.runId = begun.runId
    if (begun.stopped) return 'the recurring delivery was stopped'
    if (this.s.superseded) return 'the next run was due before this one could start (no worker was running)'
    return null
  }

  private async prepare(): Promise<PreparedRun> {
    this.s.status = 'preparing'
    this.describe()
    const prepared = await prepareRun.executeWithOptions(
      {
        summary: 'Recompute the target into the execution of this period',
        startToCloseTimeout: '30 minutes',
      },
      [
        {
          runId: this.s.runId,
          recurringId: this.input.recurringId,
          batchSize: this.input.settings.batchSize,
          at: Date.now(),
        },
      ],
    )
    this.s.executionId = prepared.executionId
    this.s.messagesToDeliver = prepared.toDeliver
    this.s.toSend = Array.from({ length: prepared.batches }, (_, i) => prepared.firstBatch + i)
    // Sent at each recipient's local time: runs recorded before it never prepared waves.
    if (prepared.waves && patched('recurring-waves')) this.s.waves = prepared.waves
    upsertSearchAttributes([{ key: DeliveryIdAttribute, value: String(prepared.executionId) }])
    return prepared
  }

  private async failPreparation(prepared: PreparedRun): Promise<RunOutcome> {
    // An execution that sent earlier runs of its period keeps its status; a new one shows the failure.
    if (prepared.newExecution) await this.execution('preparation_failed')
    return this.finish('failed', `preparation failed: ${prepared.problem}`)
  }

  // ── Confirmation ───────────────────────────────────────────────────────────────────────────────

  /** Waits for a "Start deliveries" user, or for the next run to be due (then the run expires). */
  private async confirmed(): Promise<boolean> {
    await this.enter('waiting_for_confirmation')
    await this.execution('ready')
    await condition(() => this.confirmation !== null || this.s.superseded)
    return this.confirmation !== null
  }

  private validateConfirmation(command: Actor & { expectedMessages?: number }): void {
    const refuse = (type: string, message: string) => {
      throw ApplicationFailure.create({ type, message, nonRetryable: true })
    }
    // The API's own schema: a confirmation sent straight to Temporal is held to the same rules.
    const problem = payloadProblem(runConfirmationPayload, command)
    if (problem) refuse(refusals.invalidInput, problem)
    if (this.s.superseded) refuse(refusals.illegalTransition, 'the next run is due: this run has expired')
    if (this.s.status !== 'waiting_for_confirmation' || this.confirmation) {
      refuse(
        refusals.illegalTransition,
        `cannot confirm a run that is ${runStatusLabels[this.s.status].toLowerCase()}`,
      )
    }
    const expected = command.expectedMessages
    if (expected !== undefined && expected !== this.s.messagesToDeliver) {
      refuse(
        refusals.countMismatch,
        `you confirmed ${expected} messages but this run prepared ${this.s.messagesToDeliver}`,
      )
    }
  }

  /** Replies once the run has left the wait, so the user sees it sending. */
  private async confirm(command: Actor): Promise<RunView> {
    this.confirmation = { by: command.by, at: Date.now() }
    await condition(() => this.s.status !== 'waiting_for_confirmation')
    return this.view()
  }

  private async expire(): Promise<RunOutcome> {
    await this.execution('stopped', { finishedAt: Date.now() })
    return this.finish('expired', 'not confirmed before the next run was due; it will never be sent')
  }

  // ── Sending ────────────────────────────────────────────────────────────────────────────────────

  private async send(): Promise<RunOutcome> {
    if (this.s.status !== 'sending') {
      const now = Date.now()
      // The validity period runs from the last wave's instant for a run sent in waves.
      const lastWave = this.s.waves?.at(-1)?.at ?? now
      this.s.validUntil = Math.max(now, lastWave) + this.input.settings.validityMs
      const confirmed = this.confirmation
        ? { confirmedBy: this.confirmation.by, confirmedAt: this.confirmation.at }
        : {}
      await this.enter('sending', confirmed)
      await this.execution('sending', { sendingStartedAt: now, ...confirmed })
    }
    if (this.s.waves) return this.sendWaves()
    for (;;) {
      await this.window.run()
      if (this.window.failure) return this.failSend()
      if (this.s.toSend.length) return this.continueAsNew()
      if (await this.allSent()) break
    }
    await this.execution('finished', { finishedAt: Date.now() })
    await this.startStats()
    return this.finish('sent')
  }

  private nextBatch(): number | null {
    return this.s.toSend.length && !this.window.timeToContinueAsNew() ? this.s.toSend.shift()! : null
  }

  // ── Waves (recipient time zone) ──────────────────────────────────────────────────────────────────

  /** The first batch to send whose wave is due, or null (a later wave waits for its instant). */
  private nextDueBatch(): number | null {
    if (this.window.timeToContinueAsNew()) return null
    const i = this.s.toSend.findIndex((batch) => this.isDue(batch))
    return i < 0 ? null : this.s.toSend.splice(i, 1)[0]
  }

  private isDue(batch: number): boolean {
    const wave = this.s.waves?.find((w) => batch >= w.firstBatch && batch < w.firstBatch + w.batches)
    return !wave || wave.at <= Date.now()
  }

  /** The earliest wave with batches not started yet, or null. */
  private nextWave(): Wave | null {
    return (
      this.s.waves?.find((w) =>
        this.s.toSend.some((b) => b >= w.firstBatch && b < w.firstBatch + w.batches),
      ) ?? null
    )
  }

  /**
   * The waves due go at once, each later one at its instant on a durable timer; after a wave the run
   * continues as new before waiting for the next. The next occurrence does not cut the waiting short: a
   * superseded run still sends its waves (the schedule starts the next run once this one ends). A run
   * whose recurrence was stopped sends no further wave.
   */
  private async sendWaves(): Promise<RunOutcome> {
    for (;;) {
      await this.window.run()
      if (this.window.failure) return this.failSend()
      if (this.s.toSend.some((b) => this.isDue(b))) return this.continueAsNew()
      const wave = this.nextWave()
      const after = await afterPass(
        this.s.executionId,
        this.s.validUntil,
        (batches) => this.s.toSend.push(...batches.filter((b) => !this.s.toSend.includes(b))),
        () => this.s.superseded,
      )
      if (after.next === 'send') continue
      if (!wave) {
        if (after.next === 'done') break
        await this.execution('retry_pending')
        await condition(() => this.s.superseded, Math.max(after.at - Date.now(), 1))
        await this.execution('sending')
        continue
      }
      if (after.next === 'retry' && after.at < wave.at) {
        await condition(() => this.s.superseded, Math.max(after.at - Date.now(), 1))
        continue
      }
      if (this.window.startedAny) return this.continueAsNew()
      if (await this.waitForWave(wave)) return this.stopWaves()
    }
    await this.execution('finished', { finishedAt: Date.now() })
    await this.startStats()
    return this.finish('sent')
  }

  /**
   * Waits for a wave's instant. A stop (signal `stopWaves`) ends the wait: the wave is not sent (true). A
   * cancellation (the next occurrence due, or a stop) wakes it to look whether the recurrence was
   * stopped, as does the instant itself: a signal lost in a continue-as-new cannot send a stopped wave.
   */
  private async waitForWave(wave: Wave): Promise<boolean> {
    this.describe()
    for (;;) {
      const woke = await condition(
        () => this.s.stopRequested === true || (this.s.superseded && !this.s.cancelChecked),
        Math.max(wave.at - Date.now(), 1),
      )
      if (this.s.stopRequested) return true
      if (woke) this.s.cancelChecked = true
      if (await recurringStopped(this.input.recurringId)) return true
      if (!woke) return false
      this.describe()
    }
  }

  /** The recurrence was stopped: the waves not sent yet stay pending, never sent. */
  private async stopWaves(): Promise<RunOutcome> {
    await this.execution('stopped', { finishedAt: Date.now() })
    await this.startStats()
    const left = this.s.waves!.filter((w) => this.nextWaveIndex() <= this.s.waves!.indexOf(w)).length
    return this.finish('stopped', `the recurring delivery was stopped: ${left} wave(s) not sent`)
  }

  private nextWaveIndex(): number {
    const wave = this.nextWave()
    return wave ? this.s.waves!.indexOf(wave) : this.s.waves!.length
  }

  /**
   * After a pass: done when every sending log is final. Soft failures wait for their retry until the
   * validity period ends or the next run is due, whichever comes first; then they fail for good.
   */
  private async allSent(): Promise<boolean> {
    const after = await afterPass(
      this.s.executionId,
      this.s.validUntil,
      (batches) => this.s.toSend.push(...batches),
      () => this.s.superseded,
    )
    if (after.next !== 'retry') return after.next === 'done'
    await this.execution('retry_pending')
    await condition(() => this.s.superseded, Math.max(after.at - Date.now(), 1))
    await this.execution('sending')
    return false
  }

  private async failSend(): Promise<RunOutcome> {
    const failed = (patch: DeliveryStatePatch) => this.execution('failed', patch)
    const reason = await failSend(this.s.executionId, this.window.failure, failed)
    await this.startStats()
    return this.finish('failed', reason)
  }

  /**
   * After a send, the execution's open and click rates are followed like any delivery's, by its stats
   * workflow (a child of this run, left running when the run ends). Within an aggregation period the
   * first run that sends starts it; the later ones find it running and leave it be.
   */
  private async startStats(): Promise<void> {
    // Runs recorded before executions had stats end without them.
    if (!patched('execution-stats')) return
    const { executionId } = this.s
    const prefix = this.workflowIdPrefix()
    try {
      await startStatsChild(executionId, deliveryStatsWorkflowId(executionId, prefix), this.input.settings)
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err
    }
  }

  /** Temporal names a run `<prefix>recurring-7-run-<scheduled time>`; its execution's stats share the prefix. */
  private workflowIdPrefix(): string {
    const { workflowIdPrefix, recurringId } = this.input
    return workflowIdPrefix ?? recordedPrefix(workflowInfo().workflowId, recurringRunWorkflowId(recurringId))
  }

  // ── State, history and visibility ──────────────────────────────────────────────────────────────

  private async enter(status: RunStatus, extra: { confirmedBy?: string; confirmedAt?: number } = {}) {
    this.s.status = status
    this.describe()
    await recordRun(this.s.runId, { status, ...extra })
  }

  private async finish(status: RunStatus, reason?: string): Promise<RunOutcome> {
    this.s.status = status
    this.describe()
    await recordRun(this.s.runId, { status, reason: reason ?? null, finishedAt: Date.now() })
    return {
      status,
      executionId: this.s.executionId || null,
      messagesToDeliver: this.s.messagesToDeliver,
    }
  }

  /** The execution is a delivery: its status follows the run that is adding to it. */
  private async execution(status: DeliveryStatus, extra: DeliveryStatePatch = {}): Promise<void> {
    await recordDeliveryStatus(this.s.executionId, status, extra)
  }

  private describe(): void {
    showStatus(runStatusLabels[this.s.status], this.waitingFor())
  }

  private waitingFor(): string {
    const execution = `delivery ${this.s.executionId}`
    switch (this.s.status) {
      case 'started':
        return 'recording the run'
      case 'preparing':
        return 'recomputing the target'
      case 'waiting_for_confirmation':
        return `waiting for a user with the "Start deliveries" role to confirm ${this.s.messagesToDeliver} messages (${execution}); it expires when the next run is due`
      case 'sending': {
        const sending = `sending ${this.s.messagesToDeliver} messages of ${execution}: ${this.s.batchesDone} batches done`
        const waves = this.s.waves
        const wave = waves ? this.nextWave() : null
        if (!waves || !wave || wave.at <= Date.now()) return sending
        return `${sending}; waiting for wave ${waves.indexOf(wave) + 1} of ${waves.length}: ${describeWave(wave)}`
      }
      default:
        return 'done'
    }
  }

  private view(): RunView {
    return {
      recurringId: this.input.recurringId,
      runId: this.s.runId || null,
      executionId: this.s.executionId || null,
      status: this.s.status,
      messagesToDeliver: this.s.messagesToDeliver,
      waitingFor: this.waitingFor(),
    }
  }

  private continueAsNew(): Promise<never> {
    return continueAsNew<typeof recurringRunWorkflow>({ ...this.input, carried: this.s })
  }
}
