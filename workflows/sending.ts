import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow'
import type { HeraldActivities, SendBatchInput } from '../activities'
import type { DeliverySettings } from '../domain/settings'
import { sendTaskQueue } from '../domain/sending'

/**
 * The send engine both workflows share (SPEC.md "Sending"): a sliding window of batch activities, the
 * decision after each pass over the batches (retry, wait or done), and how a send fails. Each workflow
 * keeps its own lifecycle around it: what it records, which commands interrupt a pass, when it continues
 * as new.
 */

/** Database work: retried with backoff until it succeeds. */
export const workActivityOptions = {
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2 },
} as const

export const sendBatchOptions = {
  startToCloseTimeout: '1 hour',
  // A worker that dies is noticed within this, and its batch retried elsewhere.
  heartbeatTimeout: '10s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2 },
} as const

const { sendBatch } = proxyActivities<HeraldActivities>(sendBatchOptions)
const { remainingWork, expireRetries, failUnfinished } =
  proxyActivities<HeraldActivities>(workActivityOptions)

/** The batches of one send, as the window takes them. */
export interface BatchSource {
  /** The batch to start now, or null when none may start (none left, not sending, time to continue as new). */
  next(): number | null
  /** The delivery the batches belong to, and the end of its validity period. */
  target(): Pick<SendBatchInput, 'deliveryId' | 'validUntil'>
  /** What the Temporal UI shows for a batch's activity. */
  summary(batchNo: number): string
  /** Every message of the batch has a final or retry-pending sending log. */
  sent(batchNo: number): void
  /** A pause or stop cancelled the batch: whatever it did not send is sent after a resume. */
  requeue(batchNo: number): void
}

/** Commands that act between batches while a pass runs (a delivery's pause and stop). */
export interface PassInterruptions {
  waiting(): boolean
  handle(): Promise<void>
  /** Paused or stopped: the pass ends once no batch runs. */
  halted(): boolean
}

const uninterrupted: PassInterruptions = {
  waiting: () => false,
  handle: async () => {},
  halted: () => false,
}

/** At most `batchWindow` batch activities at once, each in its own cancellation scope. */
export class BatchWindow {
  private readonly running = new Map<number, CancellationScope>()
  /** Batches started by this workflow run. */
  private started = 0
  /** The error of a batch that failed for good; the send fails with it. */
  failure: unknown = null

  constructor(
    private readonly settings: Pick<DeliverySettings, 'batchWindow' | 'batchesPerRun' | 'retryIntervalMs'>,
    private readonly batches: BatchSource,
    /** Whether a failure cancels the batches still running (else they finish first). */
    private readonly cancelOnFailure: () => boolean = () => true,
  ) {}

  /** The workflow continues as new after `batchesPerRun` batches, or when Temporal suggests it. */
  timeToContinueAsNew(): boolean {
    return this.started >= this.settings.batchesPerRun || workflowInfo().continueAsNewSuggested
  }

  /** Whether this workflow run has started any batch. */
  get startedAny(): boolean {
    return this.started > 0
  }

  get idle(): boolean {
    return this.running.size === 0
  }

  /** Runs batches, a few at a time, until none is left to start and none runs, or the pass halts. */
  async run(interruptions: PassInterruptions = uninterrupted): Promise<void> {
    for (;;) {
      this.fill()
      if (this.idle && !interruptions.waiting()) return
      const before = this.running.size
      await condition(() => this.running.size < before || interruptions.waiting())
      await interruptions.handle()
      if (this.failure && this.cancelOnFailure()) await this.cancelAll()
      if ((interruptions.halted() || this.failure) && this.idle) return
    }
  }

  /** Pause and stop act within one batch: cancel the batches in flight and wait until they have stopped. */
  async cancelAll(): Promise<void> {
    for (const scope of this.running.values()) scope.cancel()
    await condition(() => this.idle)
  }

  private fill(): void {
    while (!this.failure && this.running.size < this.settings.batchWindow) {
      const batchNo = this.batches.next()
      if (batchNo === null) return
      this.start(batchNo)
    }
  }

  private start(batchNo: number): void {
    const scope = new CancellationScope()
    this.running.set(batchNo, scope)
    this.started++
    const { deliveryId, validUntil } = this.batches.target()
    const input = { deliveryId, batchNo, validUntil, retryIntervalMs: this.settings.retryIntervalMs }
    const options = {
      ...sendBatchOptions,
      scheduleToCloseTimeout: Math.max(validUntil - Date.now(), 60_000),
      summary: this.batches.summary(batchNo),
      // Batches go to the send queue, where each worker takes one at a time; histories recorded before
      // scheduled them on the workflow's own queue (every worker still serves sendBatch there too).
      ...(patched('send-task-queue') ? { taskQueue: sendTaskQueue(workflowInfo().taskQueue) } : {}),
    }
    scope
      .run(() => sendBatch.executeWithOptions(options, [input]))
      .then(
        () => this.batches.sent(batchNo),
        (err: unknown) => {
          if (isCancellation(err)) this.batches.requeue(batchNo)
          else this.failure = err
        },
      )
      .finally(() => this.running.delete(batchNo))
  }
}

export type NextAfterPass = { next: 'send' } | { next: 'done' } | { next: 'retry'; at: number }

/**
 * After a pass over the batches: batches holding due retries are queued to send now; the send is done
 * when every sending log is final, or when the next soft-bounce retry would come too late (then those
 * messages fail for good); otherwise it waits for that retry.
 */
export async function afterPass(
  deliveryId: number,
  validUntil: number,
  queue: (batches: number[]) => void,
  /** No retry waits any more (read after the activity: time has passed meanwhile). */
  givenUp: () => boolean,
): Promise<NextAfterPass> {
  const work = await remainingWork(deliveryId)
  if (work.dueBatches.length) {
    queue(work.dueBatches)
    return { next: 'send' }
  }
  if (work.unfinished === 0) return { next: 'done' }
  if (work.nextRetryAt === null || work.nextRetryAt > validUntil || givenUp()) {
    await expireRetries(deliveryId)
    return { next: 'done' }
  }
  return { next: 'retry', at: work.nextRetryAt }
}

export interface SendFailure {
  finishedAt: number
  sendError: string
}

/**
 * A batch could not complete (the validity period ended with the transport still failing): every
 * unfinished sending log fails with the reason, then the delivery is marked failed.
 */
export async function failSend(
  deliveryId: number,
  failure: unknown,
  markFailed: (patch: SendFailure) => Promise<void>,
): Promise<string> {
  const reason = failureReason(failure)
  await failUnfinished(deliveryId, `delivery failed: ${reason}`)
  await markFailed({ finishedAt: Date.now(), sendError: reason })
  return reason
}

function failureReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  return err.cause instanceof Error ? err.cause.message : err.message
}
