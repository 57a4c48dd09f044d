import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  ServiceError,
  WorkflowNotFoundError,
  isGrpcServiceError,
  type Client,
  type ScheduleHandle,
  type ScheduleSpec,
} from '@temporalio/client'
import type { HeraldConfig } from '../../config/env'
import type { IRecurringDelivery } from '../../persistence/entities'
import { earliestZone, intervalOffset } from '../../domain/recurrence'
import type { RecurringRunInput } from '../../workflows/recurring-run'
import type { Actor } from '../../workflows/messages'
import { confirmRun, stopWaves, type RunView } from '../../workflows/recurring-messages'
import { badRequest, conflict } from '../errors'
import { commandUpdateId } from '../idempotency'
import { withCommandDeadline } from './deadline'
import type { TemporalNames } from './names'

/** Temporal did not describe the schedule in time; the message says so to the reader. */
export class ScheduleUnanswered extends Error {
  constructor(scheduleId: string, waitedMs: number) {
    super(
      `Temporal did not describe the schedule ${scheduleId} within ${waitedMs / 1000} s; ` +
        'the status shown is the last one recorded',
    )
    this.name = 'ScheduleUnanswered'
  }
}

export interface ScheduleView {
  scheduleId: string
  paused: boolean
  note: string | null
  /** The next few run times, as Temporal computes them. */
  nextRuns: string[]
  runsStarted: number
  temporalUrl: string
}

/**
 * One Temporal schedule per recurring delivery; it starts one run workflow per occurrence. Its overlap
 * policy CANCEL_OTHER asks the previous run to give way when the next is due (an unconfirmed run
 * expires, a send finishes first), and keeps only the latest of the starts that queued meanwhile:
 * missed runs run once, never piled up.
 */
const overlap = ScheduleOverlapPolicy.CANCEL_OTHER

export class RecurringSchedules {
  constructor(
    private readonly client: Client,
    private readonly names: TemporalNames,
    private readonly config: Pick<HeraldConfig, 'temporal' | 'delivery'>,
  ) {}

  async create(recurring: IRecurringDelivery): Promise<void> {
    const input: RecurringRunInput = {
      recurringId: recurring.id,
      confirmBeforeEachSend: recurring.confirmBeforeEachSend,
      settings: this.config.delivery,
      workflowIdPrefix: this.config.temporal.workflowIdPrefix,
    }
    try {
      await this.client.schedule.create({
        scheduleId: this.names.scheduleId(recurring.id),
        spec: specOf(recurring),
        action: {
          type: 'startWorkflow',
          workflowType: 'recurringRunWorkflow',
          args: [input],
          taskQueue: this.config.temporal.taskQueue,
          workflowId: this.names.runWorkflowId(recurring.id),
          staticSummary: `Run of recurring delivery ${recurring.id}: ${recurring.label}`,
        },
        policies: { overlap },
        memo: { recurringId: recurring.id, label: recurring.label },
      })
    } catch (err) {
      // Temporal reads the cron expression too; where it disagrees, the request was at fault.
      if (isGrpcServiceError(err) && err.code === 3) throw badRequest('recurrence.cron', err.details)
      throw err
    }
  }

  /**
   * The schedule as Temporal has it (ops may pause or delete it in the Temporal UI); null once deleted.
   * Describing is a query to the schedule's own workflow, slow when the server is busy: after
   * `temporal.readTimeoutMs` it throws {@link ScheduleUnanswered}.
   */
  async describe(recurringId: number): Promise<ScheduleView | null> {
    try {
      const { readTimeoutMs } = this.config.temporal
      const description = await this.client.withDeadline(Date.now() + readTimeoutMs, () =>
        this.handle(recurringId).describe(),
      )
      return {
        scheduleId: description.scheduleId,
        paused: description.state.paused,
        note: description.state.note || null,
        nextRuns: description.info.nextActionTimes.slice(0, 5).map((date) => date.toISOString()),
        runsStarted: description.info.numActionsTaken,
        temporalUrl: this.names.scheduleUrl(recurringId),
      }
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return null
      if (isDeadlineExceeded(err))
        throw new ScheduleUnanswered(this.names.scheduleId(recurringId), this.config.temporal.readTimeoutMs)
      throw err
    }
  }

  pause(recurringId: number, by: string): Promise<void> {
    return this.act(recurringId, (handle) => handle.pause(`paused by ${by} through Herald`))
  }

  resume(recurringId: number, by: string): Promise<void> {
    return this.act(recurringId, (handle) => handle.unpause(`resumed by ${by} through Herald`))
  }

  /**
   * Runs once now; a run in progress gives way as when its successor is due. The policy is named: the
   * SDK would trigger with ALLOW_ALL, and two unconfirmed runs would wait side by side.
   */
  trigger(recurringId: number): Promise<void> {
    return this.act(recurringId, (handle) => handle.trigger(overlap))
  }

  /**
   * Deletes the schedule and asks the runs that have not begun sending to give way; runs sent in waves
   * (`waveRuns`) are told to send no further wave.
   */
  async stop(recurringId: number, unfinishedRuns: string[], waveRuns: string[] = [], by = ''): Promise<void> {
    await this.handle(recurringId)
      .delete()
      .catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err
      })
    await Promise.all(
      unfinishedRuns.map((workflowId) =>
        this.client.workflow
          .getHandle(workflowId)
          .cancel()
          .catch((err: unknown) => {
            if (!(err instanceof WorkflowNotFoundError)) throw err
          }),
      ),
    )
    await Promise.all(
      waveRuns.map((workflowId) =>
        this.client.workflow
          .getHandle(workflowId)
          .signal(stopWaves, { by })
          .catch((err: unknown) => {
            if (!(err instanceof WorkflowNotFoundError)) throw err
          }),
      ),
    )
  }

  confirm(workflowId: string, input: Actor & { expectedMessages?: number }): Promise<RunView> {
    return withCommandDeadline(this.client, () =>
      this.client.workflow
        .getHandle(workflowId)
        .executeUpdate(confirmRun, { args: [input], updateId: commandUpdateId(confirmRun.name) }),
    )
  }

  private handle(recurringId: number): ScheduleHandle {
    return this.client.schedule.getHandle(this.names.scheduleId(recurringId))
  }

  private async act(recurringId: number, command: (handle: ScheduleHandle) => Promise<void>): Promise<void> {
    try {
      await command(this.handle(recurringId))
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err
      throw conflict(`the schedule of recurring delivery ${recurringId} no longer exists in Temporal`)
    }
  }
}

/** The SDK wraps the gRPC status of a schedule call in a ServiceError. */
function isDeadlineExceeded(err: unknown): boolean {
  const cause = err instanceof ServiceError ? err.cause : err
  return isGrpcServiceError(cause) && cause.code === 4 // DEADLINE_EXCEEDED
}

/**
 * Cron in the recurrence's time zone, or an interval counted from the start (whole seconds). A recurrence
 * sent at each recipient's local time fires when its occurrence's time comes in the earliest zone (UTC+14):
 * the run then plans the waves of every zone from that wall-clock time (domain/recurrence.ts occurrenceOf).
 */
function specOf(recurring: IRecurringDelivery): ScheduleSpec {
  const startsAt = recurring.startsAt ?? undefined
  const timezone = recurring.recipientTimeZone ? earliestZone : recurring.timeZone
  const bounds = { startAt: startsAt, endAt: recurring.endsAt ?? undefined, timezone }
  if (recurring.cron) return { cronExpressions: [recurring.cron], ...bounds }
  const every = Number(recurring.intervalMs)
  const anchor = Math.floor((startsAt ?? recurring.createdAt).getTime() / 1000) * 1000
  return { intervals: [{ every, offset: intervalOffset(every, anchor) }], ...bounds }
}
